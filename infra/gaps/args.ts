/** `npm run gaps` flags, validated with messages that name the flag and what would be valid. */
import { parseArgs } from 'node:util';
import { COLLECTIONS, parseCollectionName, type CollectionName } from '../../functions/conveyour/collections.js';
import { ConfigError, parseNumber } from '../../functions/config/env.js';
import type { GapSelector } from '../../functions/pipeline/coverageGapsAck.js';

export const USAGE = `usage: npm run gaps -- list [--collection=NAME] [--source=NAME] [--json]
       npm run gaps -- ack --collection=NAME --second=S|all [--source=NAME] [--wait=SECONDS]
       (either one) [--data-dir=DIR] | [--outputs=cdk-outputs.json | --table=NAME] [--region=R]

  list                 every open coverage gap: a second whose query returned the API's cap, so
                       records of it may be missing (README: Coverage gaps)
  ack                  acknowledge a gap: remove it from the checkpoint, once its records are dealt with
  --collection=NAME    the gap's collection: ${COLLECTIONS.join(', ')}
  --second=S|all       the gap's second, in unix seconds as list and npm run status show it; all: every
                       gap of the collection
  --source=NAME        the ConveYour source (default: the one whose collection has that gap)
  --wait=SECONDS       how long ack waits for a run holding the collection's lease (default 300)
  --json               list as JSON

  Locally (default): the local runtime's data dir (--data-dir, default .local), or the npm start running on it.
  Deployed: --outputs=cdk-outputs.json (from cdk deploy --outputs-file) or --table, with --region or AWS_REGION.`;

/** The flags, for parseArgs and for the test that keeps README's table of them true. */
export const GAPS_OPTIONS = {
  collection: { type: 'string' },
  second: { type: 'string' },
  source: { type: 'string' },
  wait: { type: 'string', default: '300' },
  json: { type: 'boolean', default: false },
  'data-dir': { type: 'string', default: '.local' },
  outputs: { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

export interface Location {
  dataDir: string;
  deployed: { outputs?: string; table?: string; region?: string } | undefined;
}

export type GapsArgs =
  | ({ command: 'list'; collection: CollectionName | undefined; source: string | undefined; json: boolean } & Location)
  | ({ command: 'ack'; collection: CollectionName; selector: GapSelector; source: string | undefined; waitMs: number } & Location);

export function parseGapsArgs(argv: string[]): GapsArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: GAPS_OPTIONS,
    });
  } catch (error) {
    throw new ConfigError('argv', `${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [command, ...extra] = positionals;
  if (command !== 'list' && command !== 'ack') {
    throw new ConfigError('command', `the command must be list or ack, got ${command === undefined ? 'none' : `'${command}'`} (npm run gaps -- --help)`);
  }
  if (extra.length > 0) throw new ConfigError('command', `one command at a time, got '${positionals.join(' ')}'`);
  if (values.table === '' || values.outputs === '') throw new ConfigError(values.table === '' ? '--table' : '--outputs', `${values.table === '' ? '--table' : '--outputs'} must not be empty`);
  const location: Location = {
    dataDir: values['data-dir'],
    deployed: values.outputs !== undefined || values.table !== undefined ? { outputs: values.outputs, table: values.table, region: values.region } : undefined,
  };
  const source = values.source;
  if (source !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(source)) {
    throw new ConfigError('--source', `--source must be 1-64 letters, digits, '-' or '_', starting with a letter or digit, got "${source}"`);
  }
  if (command === 'list') {
    if (values.second !== undefined) throw new ConfigError('--second', '--second belongs to ack: list shows every open gap');
    return { command, collection: values.collection === undefined ? undefined : parseCollectionName(values.collection, '--collection'), source, json: values.json, ...location };
  }
  if (values.json) throw new ConfigError('--json', '--json belongs to list');
  if (!values.collection) throw new ConfigError('--collection', `--collection is required with ack: one of ${COLLECTIONS.join(', ')}`);
  if (values.second === undefined) throw new ConfigError('--second', '--second is required with ack: the gap\'s second in unix seconds (npm run gaps -- list shows it), or all');
  return {
    command,
  collection: parseCollectionName(values.collection, '--collection'),
    selector: values.second === 'all' ? 'all' : { second: parseSecond(values.second) },
    source,
    waitMs: parseNumber(values.wait, '--wait', { min: 0, max: 3600, integer: true }) * 1000,
    ...location,
  };
}

function parseSecond(raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value)) {
    throw new ConfigError('--second', `--second must be unix seconds (an integer >= 0, as list shows it) or all, got '${raw}'`);
  }
  return value;
}
