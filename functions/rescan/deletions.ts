/**
 * Where tombstones land, beside the records and in their format:
 *
 *   {prefix}deletions/collection={collection}/dt={YYYY-MM-DD}/{name}.ndjson.gz
 *
 * one `{"collection","_id","deleted_at","last_updated_at"}` a line, `dt` the UTC date of
 * `deleted_at`. `name` is the records' own (landing.ts `objectName`: source, the range the rescan
 * read, its run id, generation, and here the tombstones' positions `d{first}-{last}`), so the
 * same regex reads the source back in Athena and Snowflake, and a key is write-once as the
 * records' are: a retried write of the same tombstones lands on the same key, and no other
 * rescan ever does (its run id differs). The caller moves the generation whenever the set it
 * would write may differ from one already written under this run (it persists the decision, or
 * bumps the generation before deciding again).
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { QueryWindow } from '../conveyour/types.js';
import { GZIP_LEVEL, normalisePrefix, objectName, type LandingObject } from '../pipeline/landing.js';
import type { ObjectSink, WriteOptions } from '../pipeline/ports.js';
import { RescanInputError } from './errors.js';
import type { Tombstone } from './tombstones.js';

const gzipAsync = promisify(gzip);

/** The folder under the landing prefix; the records' `collection=` folders never start with it. */
export const DELETIONS_FOLDER = 'deletions';

/** Tombstones per file: ~6 MB of NDJSON, ~1 MB gzipped; a rescan that deletes more writes several. */
export const TOMBSTONES_PER_FILE = 100_000;

export interface DeletionsFileIdentity {
  prefix: string;
  source: string;
  collection: string;
  /** The range the rescan read, [start, end). */
  coverage: QueryWindow;
  /** The rescan's run id: unique per rescan, so no two rescans share a key. */
  run: string;
  generation: number;
}

/** `{prefix}deletions/collection={c}/`: the Athena table's and the Snowflake pipe's root. */
export function deletionsPrefix(prefix: string, collection?: string): string {
  return `${normalisePrefix(prefix)}${DELETIONS_FOLDER}/${collection === undefined ? '' : `collection=${collection}/`}`;
}

export function deletionsKey(id: DeletionsFileIdentity, dt: string, range: string): string {
  return `${deletionsPrefix(id.prefix, id.collection)}dt=${dt}/${objectName({ source: id.source, window: id.coverage, run: id.run, generation: id.generation, range })}.ndjson.gz`;
}

/** `d{first}-{last}`: positions in the decision's (sorted) tombstone list. */
export function tombstoneRange(first: number, last: number): string {
  return `d${String(first).padStart(6, '0')}-${String(last).padStart(6, '0')}`;
}

export function deletionDate(tombstone: Tombstone): string {
  return new Date(tombstone.deleted_at * 1000).toISOString().slice(0, 10);
}

/** The objects for a list of tombstones: grouped by `dt`, at most `perFile` lines each, none empty. */
export async function encodeDeletionObjects(id: DeletionsFileIdentity, tombstones: readonly Tombstone[], perFile = TOMBSTONES_PER_FILE): Promise<LandingObject[]> {
  if (!Number.isSafeInteger(perFile) || perFile < 1) throw new RescanInputError(`perFile must be a whole number >= 1, got ${perFile}`);
  const parts: Array<{ dt: string; range: string; lines: string[] }> = [];
  tombstones.forEach((tombstone, position) => {
    checkTombstone(id, tombstone, position);
    const dt = deletionDate(tombstone);
    let part = parts.at(-1);
    if (!part || part.dt !== dt || part.lines.length >= perFile) parts.push((part = { dt, range: String(position), lines: [] }));
    // Fixed field order, and nothing but the contract's four fields.
    part.lines.push(JSON.stringify({ collection: tombstone.collection, _id: tombstone._id, deleted_at: tombstone.deleted_at, last_updated_at: tombstone.last_updated_at }));
  });
  return Promise.all(
    parts.map(async (part) => {
      const first = Number(part.range);
      const range = tombstoneRange(first, first + part.lines.length - 1);
      const raw = Buffer.from(`${part.lines.join('\n')}\n`, 'utf8');
      return {
        key: deletionsKey(id, part.dt, range),
        body: await gzipAsync(raw, { level: GZIP_LEVEL }),
        records: part.lines.length,
        rawBytes: raw.length,
        dt: part.dt,
        metadata: {
          kind: 'tombstones',
          source: id.source,
          collection: id.collection,
          'window-start': String(id.coverage.start),
          'window-end': String(id.coverage.end),
          run: id.run,
          generation: String(id.generation),
          range,
          records: String(part.lines.length),
        },
      };
    }),
  );
}

/** Lands the tombstones through the records' sink; resolves with the objects once all are stored. Nothing to write writes nothing. */
export async function writeTombstones(sink: ObjectSink, id: DeletionsFileIdentity, tombstones: readonly Tombstone[], options: WriteOptions & { perFile?: number } = {}): Promise<LandingObject[]> {
  const objects = await encodeDeletionObjects(id, tombstones, options.perFile);
  await Promise.all(objects.map((object) => sink.put(object, options.signal ? { signal: options.signal } : {})));
  return objects;
}

function checkTombstone(id: DeletionsFileIdentity, tombstone: Tombstone, position: number): void {
  const where = `tombstone ${position} ('${tombstone._id}')`;
  if (tombstone.collection !== id.collection) throw new RescanInputError(`${where}: collection must be '${id.collection}', the file's, got '${tombstone.collection}'`);
  if (typeof tombstone._id !== 'string' || tombstone._id === '') throw new RescanInputError(`${where}: _id must be a non-empty string`);
  for (const field of ['deleted_at', 'last_updated_at'] as const) {
    const value = tombstone[field];
    if (!Number.isSafeInteger(value) || value < 0) throw new RescanInputError(`${where}: ${field} must be unix seconds (a whole number >= 0), got ${value}`);
  }
}
