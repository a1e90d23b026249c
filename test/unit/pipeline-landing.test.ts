import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeLandingObjects, encodeLandingObjectsSync, GZIP_LEVEL, landingKey, normalisePrefix, pageRange, partitionDate, SOURCE_FROM_KEY_PATTERN, UNDATED_PARTITION_DATE, type FileIdentity } from '../../functions/pipeline/landing.js';

const identity: FileIdentity = {
  prefix: 'raw/conveyour',
  source: 'acme',
  collection: 'events',
  window: { start: 1700000000, end: 1700000060 },
  run: '6f1c2a9e-3b7d-4e21-9c55-0d8e7f3a1b42',
  generation: 0,
  range: pageRange(3, 5),
};

describe('landing zone', () => {
  it('builds Hive-style keys under the prefix', () => {
    const key = landingKey(identity, '2023-11-14');
    expect(key).toBe('raw/conveyour/collection=events/dt=2023-11-14/acme_1700000000-1700000060_r6f1c2a9e-3b7d-4e21-9c55-0d8e7f3a1b42_g0_p000003-000005.ndjson.gz');
    expect(new RegExp(SOURCE_FROM_KEY_PATTERN).exec(key)?.[1]).toBe('acme');
  });

  it('names files deterministically: same identity, same key; another run, generation or range, another key', () => {
    expect(landingKey(identity, '2023-11-14')).toBe(landingKey({ ...identity }, '2023-11-14'));
    expect(landingKey({ ...identity, run: 'run-2' }, '2023-11-14')).not.toBe(landingKey(identity, '2023-11-14'));
    expect(landingKey({ ...identity, generation: 1 }, '2023-11-14')).not.toBe(landingKey(identity, '2023-11-14'));
    expect(landingKey({ ...identity, range: pageRange(3, 6) }, '2023-11-14')).not.toBe(landingKey(identity, '2023-11-14'));
  });

  it('normalises prefixes to empty or a trailing slash', () => {
    expect(normalisePrefix('')).toBe('');
    expect(normalisePrefix('/a/b/')).toBe('a/b/');
    expect(normalisePrefix('a')).toBe('a/');
  });

  it('partitions by the UTC date of updated_at, else created_at', () => {
    expect(partitionDate({ _id: 'a', updated_at: 1609459199, created_at: 1 })).toBe('2020-12-31');
    expect(partitionDate({ _id: 'a', created_at: 1609459200 })).toBe('2021-01-01');
    expect(partitionDate({ _id: 'a' })).toBe(UNDATED_PARTITION_DATE);
    expect(UNDATED_PARTITION_DATE).toBe('2000-01-01');
    expect(partitionDate({ _id: 'a', updated_at: 'yesterday' as never })).toBe('2000-01-01');
  });

  it('writes one object per date with the records exactly as given, one per line', async () => {
    const records = [
      { _id: 'a', updated_at: 1609459199, d: { name: 'Zoë 山田 😀' } },
      { _id: 'b', updated_at: 1609459200, d: { nested: { list: [1, 2] } } },
      { _id: 'c', updated_at: 1609459100, d: {} },
    ];
    const objects = await encodeLandingObjects(identity, records);
    expect(objects.map((o) => o.dt)).toEqual(['2020-12-31', '2021-01-01']);
    const first = gunzipSync(objects[0]!.body).toString('utf8');
    expect(first).toBe(`${JSON.stringify(records[0])}\n${JSON.stringify(records[2])}\n`);
    expect(objects[0]!.records).toBe(2);
    expect(objects[0]!.metadata).toMatchObject({ source: 'acme', collection: 'events', records: '2', 'window-start': '1700000000', range: 'p000003-000005' });
  });

  it('writes no object for no records', async () => {
    expect(await encodeLandingObjects(identity, [])).toEqual([]);
  });
});

describe('compression', () => {
  const bigBatch = () =>
    Array.from({ length: 20_000 }, (_, i) => ({ _id: `r${i}`, updated_at: 1609459200 + i, d: { text: `record ${i} `.repeat(20), n: i } }));

  it('gzips off the event loop: timers run while a large flush is compressed', async () => {
    const records = bigBatch();
    let loopTurns = 0;
    const timer = setInterval(() => (loopTurns += 1), 0);
    try {
      await encodeLandingObjects(identity, records);
    } finally {
      clearInterval(timer);
    }
    expect(loopTurns).toBeGreaterThan(0);
  });

  it('produces the same bytes as compressing on the calling thread', async () => {
    const records = bigBatch();
    const [offLoop] = await encodeLandingObjects(identity, records);
    const [onThread] = encodeLandingObjectsSync(identity, records);
    expect(offLoop!.body.equals(onThread!.body)).toBe(true);
    expect(offLoop!.body.equals(gzipSync(Buffer.from(`${records.map((r) => JSON.stringify(r)).join('\n')}\n`), { level: GZIP_LEVEL }))).toBe(true);
  });
});
