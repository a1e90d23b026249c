/**
 * The saved "latest version" and "current state" Athena queries, run on DuckDB over landing files the pipeline's own
 * encoder wrote. Only the table reference and Athena's "$path" pseudo-column are swapped for
 * DuckDB's read_json(..., filename = true); the window function, the regexp that reads the
 * source from the file name and the filter run as written.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConveYourRecord } from '../../functions/conveyour/types.js';
import { encodeLandingObjectsSync, landingKey } from '../../functions/pipeline/landing.js';
import { encodeDeletionObjects } from '../../functions/rescan/deletions.js';
import type { Tombstone } from '../../functions/rescan/tombstones.js';
import { currentStateQuery, latestVersionQuery, SOURCE_FROM_PATH_REGEX } from '../../infra/cdk/constructs/athenaSchema.js';

let dir: string;

function land(source: string, window: { start: number; end: number }, range: string, records: ConveYourRecord[]): void {
  const identity = { prefix: 'conveyour/', source, collection: 'events', window, run: `run-${source}`, generation: 0, range, queryId: `q-${source}-${window.start}` };
  for (const object of encodeLandingObjectsSync(identity, records)) {
    const path = join(dir, object.key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, object.body);
  }
}

async function tombstone(source: string, tombstones: Array<Omit<Tombstone, 'collection'>>): Promise<void> {
  const identity = { prefix: 'conveyour/', source, collection: 'events', coverage: { start: 946_684_800, end: 1_700_100_000 }, run: `rescan-${source}`, generation: 0 };
  for (const object of await encodeDeletionObjects(identity, tombstones.map((t) => ({ collection: 'events', ...t })))) {
    const path = join(dir, object.key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, object.body);
  }
}

const event = (id: string, updatedAt: number, name: string): ConveYourRecord => ({ _id: id, created_at: 1_700_000_000, updated_at: updatedAt, d: { name }, con_id: 'c1', campaign_id: 'k1', event: name });

async function runOnDuckDb(sql: string): Promise<Array<Record<string, unknown>>> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJson() as Array<Record<string, unknown>>;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'landing-'));
  // acme_eu-1 (a source name with '_' and '-'): e1 lands, then its update lands in a later window,
  // twice (an overlap re-read); e2 lands once. beta has its own e1, an unrelated record.
  land('acme_eu-1', { start: 1_700_000_000, end: 1_700_000_060 }, 'p000001-000001', [event('e1', 1_700_000_010, 'opened'), event('e2', 1_700_000_020, 'sent')]);
  land('acme_eu-1', { start: 1_700_086_400, end: 1_700_086_460 }, 'p000001-000001', [event('e1', 1_700_086_410, 'clicked')]);
  land('acme_eu-1', { start: 1_700_086_400, end: 1_700_086_520 }, 'c1i0-c1i4', [event('e1', 1_700_086_410, 'clicked')]);
  land('beta', { start: 1_700_000_000, end: 1_700_000_060 }, 'p000001-000001', [event('e1', 1_700_000_030, 'bounced')]);
  // acme_eu-1's e2 is deleted (its tombstone covers its latest version). beta's e2 and e3: e2 was
  // tombstoned, then a newer version landed (it came back); e3's tombstone names an id acme never had.
  land('beta', { start: 1_700_090_000, end: 1_700_090_060 }, 'p000001-000001', [event('e2', 1_700_090_010, 'back'), event('e3', 1_700_090_020, 'live')]);
  await tombstone('acme_eu-1', [{ _id: 'e2', deleted_at: 1_700_090_000, last_updated_at: 1_700_000_020 }]);
  await tombstone('beta', [{ _id: 'e2', deleted_at: 1_700_050_000, last_updated_at: 1_700_000_000 }, { _id: 'e9', deleted_at: 1_700_050_000, last_updated_at: 1_700_000_000 }]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the latest-version query', () => {
  it('keeps exactly the newest version of each record of each source', async () => {
    const files = `read_json('${dir}/conveyour/collection=events/*/*.ndjson.gz', format = 'newline_delimited', filename = true)`;
    const sql = latestVersionQuery('db', 'events').replace('"db"."events"', files).replaceAll('"$path"', 'filename');

    const rows = await runOnDuckDb(`SELECT source, "_id", updated_at, event FROM (${sql}) ORDER BY source, "_id"`);

    expect(rows).toEqual([
      { source: 'acme_eu-1', _id: 'e1', updated_at: '1700086410', event: 'clicked' },
      { source: 'acme_eu-1', _id: 'e2', updated_at: '1700000020', event: 'sent' },
      { source: 'beta', _id: 'e1', updated_at: '1700000030', event: 'bounced' },
      { source: 'beta', _id: 'e2', updated_at: '1700090010', event: 'back' },
      { source: 'beta', _id: 'e3', updated_at: '1700090020', event: 'live' },
    ]);
  });
});

describe('the current-state query', () => {
  it('keeps the newest version of each record, less those whose tombstone covers it, per source', async () => {
    const table = (glob: string) => `read_json('${dir}/conveyour/${glob}', format = 'newline_delimited', filename = true, hive_partitioning = true)`;
    const sql = currentStateQuery('db', 'events')
      .replace('"db"."events"', table('collection=events/*/*.ndjson.gz'))
      .replace('"db"."deletions"', table('deletions/collection=*/*/*.ndjson.gz'))
      .replaceAll('"$path"', 'filename');

    const rows = await runOnDuckDb(`SELECT source, "_id", updated_at, event FROM (${sql}) ORDER BY source, "_id"`);

    expect(rows).toEqual([
      { source: 'acme_eu-1', _id: 'e1', updated_at: '1700086410', event: 'clicked' },
      { source: 'beta', _id: 'e1', updated_at: '1700000030', event: 'bounced' },
      { source: 'beta', _id: 'e2', updated_at: '1700090010', event: 'back' },
      { source: 'beta', _id: 'e3', updated_at: '1700090020', event: 'live' },
    ]);
  });
});

describe('the source-from-path regex', () => {
  it('reads the source name back from keys the pipeline writes, for page and transcript ranges', () => {
    const key = (source: string, range: string) =>
      landingKey({ prefix: 'p/', source, collection: 'events', window: { start: 1, end: 2 }, run: '0b5e8a52-1d3c-4f6a-8e9b-7c2d1f0a3e64', generation: 3, range }, '2024-01-01');
    const pattern = new RegExp(SOURCE_FROM_PATH_REGEX);
    expect(pattern.exec(`s3://bucket/${key('acme_eu-1', 'p000001-000002')}`)?.[1]).toBe('acme_eu-1');
    expect(pattern.exec(`s3://bucket/${key('beta', 'c12i3-c14i7')}`)?.[1]).toBe('beta');
  });
});
