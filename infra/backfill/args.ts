/** `npm run backfill` flags, validated with messages that name the flag and what would be valid. */
import { parseArgs } from 'node:util';
import { COLLECTIONS, parseCollectionName, type CollectionName } from '../../functions/conveyour/collections.js';
import { ConfigError, parseNumber } from '../../functions/config/env.js';
import { resolveTime } from '../../functions/time/timeExpression.js';
import { parseTimeZone } from '../../functions/time/timeZone.js';

export const USAGE = `usage: npm run backfill -- --collection=NAME|all --from=TIME [--to=TIME] [--concurrency=N] [--source=NAME]
                        [--data-dir=DIR] | [--outputs=cdk-outputs.json | --table=NAME --queue-url=URL] [--region=R] [--detach]

  --collection=NAME|all  the collection to backfill, or all nine
  --from=TIME            where the backfill starts: unix seconds, ISO 8601 or a phrase ('-5 years')
  --to=TIME              where it ends (default: where the collection's tail began, so the two meet
                         without overlap; now if the tail never ran)
  --timezone=Area/City   the IANA zone --from/--to phrases and zone-less dates mean (default UTC)
  --concurrency=N        windows read at once (default 4, 1-64); halved while the API answers 429
  --source=NAME          the ConveYour source (default: the only one; 'local' locally)
  --id=ID                the backfill's id (default: from the time; letters, digits, '-')

  Locally (default): runs on the local runtime's data dir (--data-dir, default .local) until done.
  Deployed: --outputs=cdk-outputs.json (from cdk deploy --outputs-file) or --table and --queue-url;
  the deployed functions do the work; it watches the progress until done, or exits at once with --detach.`;

export interface BackfillArgs {
  collections: CollectionName[];
  from: number;
  to: number | undefined;
  concurrency: number;
  source: string | undefined;
  id: string;
  dataDir: string;
  deployed: { outputs?: string; table?: string; queueUrl?: string; region?: string } | undefined;
  detach: boolean;
}

export function parseBackfillArgs(argv: string[], nowMs: number): BackfillArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        collection: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        timezone: { type: 'string' },
        concurrency: { type: 'string', default: '4' },
        source: { type: 'string' },
        id: { type: 'string' },
        'data-dir': { type: 'string', default: '.local' },
        outputs: { type: 'string' },
        table: { type: 'string' },
        'queue-url': { type: 'string' },
        region: { type: 'string' },
        detach: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new ConfigError('argv', `${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) return 'help';
  if (!values.collection) throw new ConfigError('--collection', `--collection is required: one of ${COLLECTIONS.join(', ')}, or all`);
  if (!values.from) throw new ConfigError('--from', `--from is required, e.g. --from=2019-01-01 or --from='-5 years'`);
  const nowSec = Math.floor(nowMs / 1000);
  const timeZone = values.timezone === undefined ? 'UTC' : parseTimeZone(values.timezone, '--timezone');
  const from = resolveTime(values.from, { now: nowSec, name: '--from', timeZone });
  const to = values.to === undefined ? undefined : resolveTime(values.to, { now: nowSec, name: '--to', timeZone });
  if (to !== undefined && to <= from) throw new ConfigError('--to', `--to (${values.to}) must be after --from (${values.from})`);
  const id = values.id ?? new Date(nowMs).toISOString().slice(0, 19).replace(/[:T]/g, '-');
  if (!/^[A-Za-z0-9-]{1,40}$/.test(id)) throw new ConfigError('--id', `--id must be 1-40 letters, digits or '-', got '${id}'`);
  const deployed = values.outputs || values.table || values['queue-url'] ? { outputs: values.outputs, table: values.table, queueUrl: values['queue-url'], region: values.region } : undefined;
  if (deployed && !deployed.outputs && !(deployed.table && deployed.queueUrl)) {
    throw new ConfigError('--table', 'a deployed backfill needs --outputs=cdk-outputs.json, or both --table and --queue-url');
  }
  return {
    collections: values.collection === 'all' ? [...COLLECTIONS] : [parseCollectionName(values.collection, '--collection')],
    from,
    to,
    concurrency: parseNumber(values.concurrency, '--concurrency', { min: 1, max: 64, integer: true }),
    source: values.source,
    id,
    dataDir: values['data-dir'],
    deployed,
    detach: values.detach,
  };
}
