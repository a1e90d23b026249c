/** A chaos run's report as text (the CLI's output) and as the Markdown figures RELIABILITY.md quotes. */
import type { ChaosReport } from './harness.js';

export function reproduceCommand(report: { seed: number; options: Omit<ChaosReport['options'], 'maxDurationSec'> & { maxDurationSec?: number } }): string {
  const { durationSec, maxDurationSec, versions, profile, simulatorFlags = [] } = report.options;
  const defaultMax = maxDurationSec === undefined || maxDurationSec === durationSec * 3 + 30;
  return `npm run test:chaos -- --seed=${report.seed} --duration=${durationSec}${defaultMax ? '' : ` --max-duration=${maxDurationSec}`} --versions=${versions}${profile === 'standard' ? '' : ` --profile=${profile}`}${simulatorFlags.map((flag) => ` ${flag}`).join('')}`;
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(2)} %`;
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const list = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');

export function formatReport(report: ChaosReport): string {
  const { verdict: v, faults } = report;
  const lines = [
    `chaos run ${report.ok ? 'PASSED' : 'FAILED'}: seed ${report.seed}, ${report.rounds} rounds in ${report.chaosSec} s of chaos, ${report.elapsedSec} s in all`,
    `  reproduce: ${reproduceCommand(report)}`,
    `  episodes: ${list(report.episodes)}; ticks ${report.invocations.ticks}, continuation batches ${report.invocations.continuationBatches}`,
    `  ConveYour faults (${total(faults.conveyour)}): ${list(faults.conveyour)}`,
    `  AWS faults (${total(faults.aws)}): ${list(faults.aws)}`,
    `  crashes (${total(faults.crashes)}): ${list(faults.crashes)}`,
    `  SQS redeliveries after the visibility timeout ${faults.sqsRedeliveries}; zombies frozen ${faults.zombiesFrozen} (runs stopped by a lost lease ${faults.zombieRunsStopped}); conditional-check conflicts ${faults.conditionalConflicts}`,
    `  run outcomes: ${list(report.runStatuses)}`,
    `  failures met: ${list(report.runFailures) || 'none'}`,
    `  versions checked ${v.versionsChecked} (initial state ${v.initialState}, tail ${v.tailVersions}); lost ${v.lost}`,
    `  landed ${v.landedCopies} copies of ${v.distinctVersions} versions in ${v.objects} objects; duplicates ${v.duplicates} (${percent(v.duplicateRatio)}): ${list(v.duplicatesExplained)}; unexplained ${v.unexplainedDuplicates.length}`,
    `  keys rewritten ${v.rewrites} (with other bytes: ${v.rewritesWithOtherBytes.length}); checkpoint writes applied ${v.checkpointWrites}, moved backwards ${v.monotonicViolations.length}`,
    `  settled ${report.settled}; left in flight ${v.leftInFlight.length}; last errors ${v.lastErrors.length}; dead letters ${v.deadLetters} (unexplained ${v.deadLettersUnexplained.length})`,
  ];
  if (report.notExercised.length > 0) lines.push(`  NOT EXERCISED: ${report.notExercised.join(', ')}`);
  const problems: Array<[string, string[]]> = [
    ['lost', v.lostExamples],
    ['unexplained duplicates', v.unexplainedDuplicates],
    ['records outside their window', v.misplaced],
    ['keys rewritten with other bytes', v.rewritesWithOtherBytes],
    ['checkpoint moved backwards', v.monotonicViolations],
    ['left in flight', v.leftInFlight],
    ['last errors', v.lastErrors],
    ['unexplained dead letters', v.deadLettersUnexplained],
  ];
  for (const [title, examples] of problems) if (examples.length > 0) lines.push(`  ${title}:`, ...examples.slice(0, 20).map((example) => `    ${example}`));
  return lines.join('\n');
}

/** The figures table of RELIABILITY.md's "last long run". */
export function figuresMarkdown(report: ChaosReport): string {
  const { verdict: v, faults } = report;
  const rows: Array<[string, string]> = [
    ['Command', `\`${reproduceCommand(report)}\``],
    ['Seed', String(report.seed)],
    ['Result', report.ok ? 'passed' : 'FAILED'],
    ['Chaos phase / whole run', `${report.chaosSec} s / ${report.elapsedSec} s, ${report.rounds} rounds`],
    ['Episodes', list(report.episodes)],
    ['Invocations', `${report.invocations.ticks} ticks, ${report.invocations.continuationBatches} continuation batches`],
    [`ConveYour faults (${total(faults.conveyour)})`, list(faults.conveyour)],
    [`AWS faults on the wire (${total(faults.aws)})`, list(faults.aws)],
    [`Crashes (${total(faults.crashes)})`, list(faults.crashes)],
    ['SQS redeliveries after the visibility timeout', String(faults.sqsRedeliveries)],
    ['Zombies frozen / their runs stopped by the lease', `${faults.zombiesFrozen} / ${faults.zombieRunsStopped}`],
    ['DynamoDB conditional-check conflicts', String(faults.conditionalConflicts)],
    ['Versions checked', `${v.versionsChecked} (initial state ${v.initialState}, tail ${v.tailVersions})`],
    ['Lost', String(v.lost)],
    ['Duplicates', `${v.duplicates} of ${v.landedCopies} landed copies (${percent(v.duplicateRatio)}): ${list(v.duplicatesExplained)}; unexplained ${v.unexplainedDuplicates.length}`],
    ['Keys rewritten (all with the same bytes)', `${v.rewrites} (with other bytes: ${v.rewritesWithOtherBytes.length})`],
    ['Checkpoint writes checked / moved backwards', `${v.checkpointWrites} / ${v.monotonicViolations.length}`],
    ['Left in flight / dead letters (unexplained)', `${v.leftInFlight.length} / ${v.deadLetters} (${v.deadLettersUnexplained.length})`],
  ];
  return ['| Figure | Value |', '| --- | --- |', ...rows.map(([name, value]) => `| ${name} | ${value} |`)].join('\n');
}
