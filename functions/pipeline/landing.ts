/**
 * The landing zone's contract: Hive-style keys that Athena, Snowflake and DuckDB read as
 * they are, and NDJSON.gz bodies holding the records exactly as the API returned them.
 *
 *   {prefix}collection={collection}/dt={YYYY-MM-DD}/{name}.ndjson.gz
 *
 * `dt` is the UTC date of the record's `updated_at` (else `created_at`), so a backfill of
 * 2021 lands in 2021's partitions. `name` is a pure function of the read that produced the file
 * (source, run, window, generation, position range): a retried write of the same pages lands on
 * the same key with the same records, and no other read ever does. The run id is new for every run
 * (so a re-run, a fresh backfill lane or a later run of the same window never meets an older
 * file), and within a run the generation moves whenever a query may be opened again.
 */
import { gzipSync, constants } from 'node:zlib';
import type { ConveYourRecord, QueryWindow } from '../conveyour/types.js';

/**
 * Level 6 (zlib's default): on NDJSON it is within a few percent of level 9's size at about
 * a third of its CPU, and level 1 files are ~25% larger, which Athena scans and S3 stores forever.
 */
export const GZIP_LEVEL = constants.Z_DEFAULT_COMPRESSION;

export interface LandingObject {
  key: string;
  body: Buffer;
  /** S3 object metadata (x-amz-meta-*): extraction facts that stay out of the records. */
  metadata: Record<string, string>;
  records: number;
  rawBytes: number;
  dt: string;
}

export interface FileIdentity {
  prefix: string;
  source: string;
  collection: string;
  window: QueryWindow;
  /** The run's id (the checkpoint's `inFlight.runId`): unique per run, so no two runs share a key. */
  run: string;
  generation: number;
  /** Where in the query the file's records came from, e.g. `p000012-000015`. */
  range: string;
}

/**
 * Extracts the source from a landing key's file name: for Athena (`regexp_extract`) and
 * Snowflake (`REGEXP_SUBSTR`), which both read this one definition.
 */
export const SOURCE_FROM_KEY_PATTERN = '([^/]+)_[0-9]+-[0-9]+_r[A-Za-z0-9-]+_g[0-9]+_[^/_]+[.]ndjson[.]gz$';

/** Normalises a prefix to '' or 'path/'. */
export function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/**
 * The `dt` of a record with no numeric `updated_at` or `created_at`: the first day of the
 * deployment's default history (historyStart), inside every table's partition projection,
 * where 1970-01-01 was outside it and such a record was invisible to Athena.
 */
export const UNDATED_PARTITION_DATE = '2000-01-01';

export function partitionDate(record: ConveYourRecord): string {
  const seconds = typeof record.updated_at === 'number' ? record.updated_at : typeof record.created_at === 'number' ? record.created_at : undefined;
  if (seconds === undefined || !Number.isFinite(seconds)) return UNDATED_PARTITION_DATE;
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

export function pageRange(firstSequence: number, lastSequence: number): string {
  return `p${pad(firstSequence)}-${pad(lastSequence)}`;
}

export function objectName(id: Omit<FileIdentity, 'prefix' | 'collection'>): string {
  return `${safe(id.source)}_${id.window.start}-${id.window.end}_r${runToken(id.run)}_g${id.generation}_${id.range}`;
}

/** Run ids are UUIDs; anything else is kept to letters, digits and '-' so the name's `_` fields stay apart. */
function runToken(run: string): string {
  if (run === '') throw new RangeError('a landing file needs the id of the run that read it, got an empty run id');
  return run.replace(/[^A-Za-z0-9-]/g, '-');
}

export function landingKey(id: FileIdentity, dt: string): string {
  return `${normalisePrefix(id.prefix)}collection=${id.collection}/dt=${dt}/${objectName(id)}.ndjson.gz`;
}

/** Serialises records one per line, grouped by partition date; never an empty object. */
export function encodeLandingObjects(id: FileIdentity, records: readonly ConveYourRecord[]): LandingObject[] {
  const byDate = new Map<string, string[]>();
  for (const record of records) {
    const dt = partitionDate(record);
    let lines = byDate.get(dt);
    if (!lines) byDate.set(dt, (lines = []));
    lines.push(JSON.stringify(record));
  }
  const objects: LandingObject[] = [];
  for (const [dt, lines] of [...byDate].sort(([a], [b]) => a.localeCompare(b))) {
    const text = `${lines.join('\n')}\n`;
    const raw = Buffer.from(text, 'utf8');
    objects.push({
      key: landingKey(id, dt),
      body: gzipSync(raw, { level: GZIP_LEVEL }),
      records: lines.length,
      rawBytes: raw.length,
      dt,
      metadata: {
        source: id.source,
        collection: id.collection,
        'window-start': String(id.window.start),
        'window-end': String(id.window.end),
        run: id.run,
        generation: String(id.generation),
        range: id.range,
        records: String(lines.length),
      },
    });
  }
  return objects;
}

function pad(n: number): string {
  return String(n).padStart(6, '0');
}

function safe(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '-');
}
