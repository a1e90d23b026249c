/**
 * PHP's strtotime as the oracle for phpStrtotime: PHP itself where `php` is on PATH, else the
 * answers PHP gave when test/fixtures/php-strtotime.json was recorded (`npm run record:strtotime`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PHRASES, REFERENCES, type Reference } from './strtotimeBattery.js';

const SCRIPT = fileURLToPath(new URL('./php-strtotime.php', import.meta.url));
export const FIXTURE = fileURLToPath(new URL('../fixtures/php-strtotime.json', import.meta.url));

/** What PHP answered, by reference label then phrase: unix seconds or false. */
export interface Oracle {
  source: string;
  answers: Record<string, Record<string, number | false>>;
}

interface Recorded {
  php: string;
  references: Reference[];
  answers: Record<string, Record<string, number | false>>;
}

export function phpAvailable(): boolean {
  try {
    execFileSync('php', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function askPhp(references: Reference[] = REFERENCES, phrases: string[] = PHRASES): Recorded {
  const output = execFileSync('php', [SCRIPT], { input: JSON.stringify({ references, phrases }), maxBuffer: 64 * 1024 * 1024 });
  const { php, answers } = JSON.parse(output.toString()) as { php: string; answers: (number | false)[][] };
  return {
    php,
    references,
    answers: Object.fromEntries(references.map((reference, r) => [reference.label, Object.fromEntries(phrases.map((phrase, p) => [phrase, answers[r]![p]!]))])),
  };
}

export function recorded(): Recorded {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as Recorded;
}

export function oracle(): Oracle {
  if (phpAvailable()) {
    const live = askPhp();
    return { source: `PHP ${live.php} on PATH`, answers: live.answers };
  }
  const fixture = recorded();
  return { source: `PHP ${fixture.php} as recorded in test/fixtures/php-strtotime.json`, answers: fixture.answers };
}

/** `npm run record:strtotime`: asks PHP again and rewrites the fixture. */
export function record(): void {
  const result = askPhp();
  writeFileSync(FIXTURE, `${JSON.stringify(result, null, 1)}\n`);
  console.log(`recorded ${PHRASES.length} phrases x ${REFERENCES.length} references from PHP ${result.php} into ${FIXTURE}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) record();
