<?php
// The oracle: PHP's own strtotime over every reference x phrase read as JSON from stdin
// ({"references":[{"now":..,"timeZone":..}],"phrases":[..]}); prints answers[ref][phrase],
// unix seconds or false.
$input = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$answers = [];
foreach ($input['references'] as $reference) {
    date_default_timezone_set($reference['timeZone']);
    $row = [];
    foreach ($input['phrases'] as $phrase) $row[] = strtotime($phrase, $reference['now']);
    $answers[] = $row;
}
echo json_encode(['php' => PHP_VERSION, 'answers' => $answers]), "\n";
