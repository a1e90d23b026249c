/**
 * `npm run query`'s views over a local landing zone that the real writers filled through
 * s3rver (records with encodeLandingObjects, tombstones with writeTombstones): the deletions
 * view, and current-state views that leave the deleted ids out.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectSink } from '../../functions/adapters/s3ObjectSink.js';
import type { ConveYourRecord } from '../../functions/conveyour/types.js';
import { encodeLandingObjects } from '../../functions/pipeline/landing.js';
import { writeTombstones } from '../../functions/rescan/deletions.js';
import type { Tombstone } from '../../functions/rescan/tombstones.js';
import { defineQueryViews } from '../../infra/local/queryViews.js';
import { LOCAL_NAMES } from '../../infra/local/runtime.js';
import { startAwsEmulators } from '../support/awsEmulators.js';

const ROOT = new URL('../../', import.meta.url).pathname;
let dataDir: string;
let bucketRoot: string;

const record = (id: string, updatedAt: number, extra: Record<string, unknown> = {}): ConveYourRecord => ({ _id: id, created_at: 1_700_000_000, updated_at: updatedAt, d: { n: id }, ...extra });
const gone = (collection: string, id: string, lastUpdatedAt: number): Tombstone => ({ collection, _id: id, deleted_at: 1_700_200_000, last_updated_at: lastUpdatedAt });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'local-query-'));
  // The layout npm start leaves: --data-dir/aws/s3/<bucket>/.
  const aws = await startAwsEmulators({ dataDir: join(dataDir, 'aws') });
  try {
    await aws.clients.s3.send(new CreateBucketCommand({ Bucket: LOCAL_NAMES.bucket }));
    const sink = new S3ObjectSink(aws.clients.s3, LOCAL_NAMES.bucket);
    const land = async (source: string, collection: string, run: string, records: ConveYourRecord[]) => {
      for (const object of await encodeLandingObjects({ prefix: '', source, collection, window: { start: 1_700_000_000, end: 1_700_100_000 }, run, generation: 0, range: 'p000000-000000' }, records)) await sink.put(object);
    };
    // local: e1 twice (an update), e2 and e3 once; c1 a contact. other: an unrelated e2.
    await land('local', 'events', 'run-1', [record('e1', 1_700_000_010, { event: 'sent' }), record('e2', 1_700_000_020, { event: 'sent' }), record('e3', 1_700_000_030, { event: 'sent' })]);
    await land('local', 'events', 'run-2', [record('e1', 1_700_050_000, { event: 'opened' })]);
    await land('local', 'contacts', 'run-3', [record('c1', 1_700_000_040)]);
    await land('other', 'events', 'run-4', [record('e2', 1_700_000_050, { event: 'clicked' })]);
    // A rescan of local's events found e2 gone, and e1 as it was before its update (the update revives it).
    const rescan = { prefix: '', source: 'local', collection: 'events', coverage: { start: 946_684_800, end: 1_700_100_000 }, run: 'rescan-1', generation: 0 };
    await writeTombstones(sink, rescan, [gone('events', 'e1', 1_700_000_010), gone('events', 'e2', 1_700_000_020)]);
  } finally {
    await aws.close();
  }
  bucketRoot = join(dataDir, 'aws', 's3', LOCAL_NAMES.bucket);
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function query(sql: string, root = bucketRoot): Promise<Array<Record<string, unknown>>> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await defineQueryViews(connection, root);
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('npm run query views', () => {
  it('deletions: one row per tombstone, with the source read from its file name', async () => {
    expect(await query('select collection, source, "_id", deleted_at, last_updated_at, dt from deletions order by "_id"')).toEqual([
      { collection: 'events', source: 'local', _id: 'e1', deleted_at: '1700200000', last_updated_at: '1700000010', dt: '2023-11-17' },
      { collection: 'events', source: 'local', _id: 'e2', deleted_at: '1700200000', last_updated_at: '1700000020', dt: '2023-11-17' },
    ]);
  });

  it('current_state: the newest version per collection, source and _id, less those a tombstone covers', async () => {
    const latest = await query(`select collection, source, "_id", updated_at from latest order by all`);
    const current = await query(`select collection, source, "_id", updated_at from current_state order by all`);

    expect(latest.map((row) => `${row.collection}/${row.source}/${row._id}@${row.updated_at}`)).toEqual([
      'contacts/local/c1@1700000040',
      'events/local/e1@1700050000',
      'events/local/e2@1700000020',
      'events/local/e3@1700000030',
      'events/other/e2@1700000050',
    ]);
    expect(current.map((row) => `${row.collection}/${row.source}/${row._id}@${row.updated_at}`)).toEqual([
      'contacts/local/c1@1700000040',
      'events/local/e1@1700050000',
      'events/local/e3@1700000030',
      'events/other/e2@1700000050',
    ]);
  });

  it('{collection}_current: one collection with its fields as columns, the deleted ids left out', async () => {
    expect(await query('select source, "_id", event from events_current order by source, "_id"')).toEqual([
      { source: 'local', _id: 'e1', event: 'opened' },
      { source: 'local', _id: 'e3', event: 'sent' },
      { source: 'other', _id: 'e2', event: 'clicked' },
    ]);
  });

  it('before any rescan found a deletion: an empty deletions view, and current state equal to the latest versions', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'local-query-none-'));
    try {
      // Only the records, without the deletions/ folder.
      const aws = await startAwsEmulators({ dataDir: join(empty, 'aws') });
      try {
        await aws.clients.s3.send(new CreateBucketCommand({ Bucket: LOCAL_NAMES.bucket }));
        const sink = new S3ObjectSink(aws.clients.s3, LOCAL_NAMES.bucket);
        for (const object of await encodeLandingObjects({ prefix: '', source: 'local', collection: 'events', window: { start: 1, end: 2 }, run: 'r', generation: 0, range: 'p000000-000000' }, [record('e1', 1_700_000_010)])) await sink.put(object);
      } finally {
        await aws.close();
      }
      const root = join(empty, 'aws', 's3', LOCAL_NAMES.bucket);
      expect(await query('select count(*) as n from deletions', root)).toEqual([{ n: '0' }]);
      expect(await query('select "_id" from current_state', root)).toEqual([{ _id: 'e1' }]);
      expect(await query('select "_id" from events_current', root)).toEqual([{ _id: 'e1' }]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('npm run query -- SQL prints the current state from the command line', () => {
    const result = spawnSync('npx', ['tsx', 'infra/local/query.ts', `--data-dir=${dataDir}`, 'select "_id" from events_current where source = \'local\' order by 1'], { cwd: ROOT, encoding: 'utf8' });

    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.split('\n').map((line) => line.trim())).toEqual(['_id', '---', 'e1', 'e3', '(2 rows)', '']);
  });
});
