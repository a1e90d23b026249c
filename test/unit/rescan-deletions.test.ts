/** The deletions files (functions/rescan/deletions.ts): keys, lines, chunking and the inputs they refuse. */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SOURCE_FROM_KEY_PATTERN } from '../../functions/pipeline/landing.js';
import { deletionsKey, encodeDeletionObjects, type DeletionsFileIdentity } from '../../functions/rescan/deletions.js';
import { RescanInputError } from '../../functions/rescan/errors.js';
import type { Tombstone } from '../../functions/rescan/tombstones.js';

const RUN = '0b5e8a52-1d3c-4f6a-8e9b-7c2d1f0a3e64';
const identity: DeletionsFileIdentity = { prefix: 'conveyour', source: 'acme_eu-1', collection: 'events', coverage: { start: 946_684_800, end: 1_700_000_000 }, run: RUN, generation: 2 };
const tombstone = (id: string, deletedAt = 1_700_000_100): Tombstone => ({ collection: 'events', _id: id, deleted_at: deletedAt, last_updated_at: 1_650_000_000 });
const lines = (body: Buffer) => gunzipSync(body).toString('utf8');

describe('encodeDeletionObjects', () => {
  it('writes one tombstone a line under deletions/collection=/dt= of deleted_at, named like the records', async () => {
    const [object, ...rest] = await encodeDeletionObjects(identity, [tombstone('e1'), tombstone('e2')]);

    expect(rest).toEqual([]);
    expect(object!.key).toBe(`conveyour/deletions/collection=events/dt=2023-11-14/acme_eu-1_946684800-1700000000_r${RUN}_g2_d000000-000001.ndjson.gz`);
    expect(lines(object!.body)).toBe(
      '{"collection":"events","_id":"e1","deleted_at":1700000100,"last_updated_at":1650000000}\n{"collection":"events","_id":"e2","deleted_at":1700000100,"last_updated_at":1650000000}\n',
    );
    expect(object!.metadata).toMatchObject({ kind: 'tombstones', source: 'acme_eu-1', collection: 'events', run: RUN, generation: '2', range: 'd000000-000001', records: '2' });
  });

  it('keeps the source readable from the key with the regex Athena and Snowflake use on record files', () => {
    expect(new RegExp(SOURCE_FROM_KEY_PATTERN).exec(deletionsKey(identity, '2024-01-01', 'd000000-000009'))?.[1]).toBe('acme_eu-1');
  });

  it('splits at perFile and at a change of UTC date, never an empty file', async () => {
    const list = [tombstone('a', 1_700_006_399), tombstone('b', 1_700_006_399), tombstone('c', 1_700_006_399), tombstone('d', 1_700_006_400)];

    const objects = await encodeDeletionObjects(identity, list, 2);

    expect(objects.map((object) => [object.dt, object.metadata.range, object.records])).toEqual([
      ['2023-11-14', 'd000000-000001', 2],
      ['2023-11-14', 'd000002-000002', 1],
      ['2023-11-15', 'd000003-000003', 1],
    ]);
    expect(new Set(objects.map((object) => object.key)).size).toBe(3);
    expect(await encodeDeletionObjects(identity, [])).toEqual([]);
  });

  it('writes the same bytes to the same key for the same tombstones: a retried write is harmless', async () => {
    const [first] = await encodeDeletionObjects(identity, [tombstone('e1')]);
    const [again] = await encodeDeletionObjects(identity, [tombstone('e1')]);

    expect(again!.key).toBe(first!.key);
    expect(again!.body.equals(first!.body)).toBe(true);
  });

  it('keeps to the four contract fields, whatever else the tombstone object carries', async () => {
    const [object] = await encodeDeletionObjects(identity, [{ ...tombstone('e1'), extra: 'x' } as Tombstone]);

    expect(Object.keys(JSON.parse(lines(object!.body)))).toEqual(['collection', '_id', 'deleted_at', 'last_updated_at']);
  });

  it.each<[string, Tombstone, RegExp]>([
    ['another collection', { ...tombstone('e1'), collection: 'contacts' }, /^tombstone 0 \('e1'\): collection must be 'events', the file's, got 'contacts'$/],
    ['an empty _id', tombstone(''), /_id must be a non-empty string/],
    ['deleted_at in milliseconds as a fraction', { ...tombstone('e1'), deleted_at: 1.7e9 + 0.5 }, /deleted_at must be unix seconds \(a whole number >= 0\), got 1700000000\.5/],
    ['a negative last_updated_at', { ...tombstone('e1'), last_updated_at: -1 }, /last_updated_at must be unix seconds/],
  ])('refuses %s, naming the tombstone and the field', async (_, bad, message) => {
    await expect(encodeDeletionObjects(identity, [bad])).rejects.toThrow(RescanInputError);
    await expect(encodeDeletionObjects(identity, [bad])).rejects.toThrow(message);
  });
});
