/** `--help`: generated from the flag table, so it lists exactly what the parser accepts. */
import { COLLECTIONS } from '../conveyour/collections.js';
import { ALIASES, FLAGS, FLAG_NAMES } from './flags.js';

export function usageText(): string {
  const rows = FLAG_NAMES.map((name) => {
    const spec: { value?: string; help: string; short?: string } = FLAGS[name];
    const aliases = Object.entries(ALIASES)
      .filter(([, target]) => target === name)
      .map(([alias]) => `, --${alias}`)
      .join('');
    const short = spec.short ? `-${spec.short}, ` : '';
    return { flag: `${short}--${name}${aliases}${spec.value ? `=${spec.value}` : ''}`, help: spec.help };
  });
  const width = Math.max(...rows.map((row) => row.flag.length)) + 2;
  return [
    'Streams created or updated records of a ConveYour collection to stdout, one JSON object per line.',
    '',
    'Usage:',
    "  npm run stream -- --collection=events --start_time='-15 minutes' [--end_time=now] [--fields=a,b.c]",
    "  npm run stream --collection=events --start_time='-1 minutes' --watch      (the original spelling)",
    '  conveyour-stream --config config.json [--state state.json] [--catalog catalog.json] --format=singer',
    '  conveyour-stream --discover',
    '',
    'Flags:',
    ...rows.map((row) => `  ${row.flag.padEnd(width)}${row.help}`),
    '',
    `Collections: ${COLLECTIONS.join(', ')}`,
    'Times are resolved here, in UTC: phrases like "yesterday" do not depend on the API user\'s time zone.',
    'Credentials: CONVEYOUR_DOMAIN (or CONVEYOUR_BASE_URL), CONVEYOUR_APPKEY, CONVEYOUR_TOKEN in .env or the environment.',
    'Exit codes: 0 done (or stopped, or stdout closed), 1 the run failed (API, network, credentials refused), 2 bad usage.',
    '',
  ].join('\n');
}
