/**
 * The views `npm run query` defines over a local landing zone (s3rver's directory of a bucket
 * and prefix), with the same rules as the Athena tables and saved queries:
 *
 * - one view per collection, the records' fields as columns plus `collection`, `dt`, `filename`;
 * - `landing(collection, dt, file, record)`: every landed version as raw JSON;
 * - `deletions(collection, source, _id, deleted_at, last_updated_at, dt, file)`: the tombstones;
 * - `latest` and `current_state`: the newest version of each (collection, source, _id) as raw
 *   JSON, and the same less the ids whose newest tombstone covers that version;
 * - `{collection}_current`: a collection's current state with its fields as columns.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { SOURCE_FROM_KEY_PATTERN } from '../../functions/pipeline/landing.js';
import { DELETIONS_FOLDER } from '../../functions/rescan/deletions.js';

/** s3rver keeps each object as `<key>._S3rver_object`. */
const S3RVER_SUFFIX = '._S3rver_object';

function objectsGlob(root: string, collection = '*'): string {
  return path.join(root, `collection=${collection}`, 'dt=*', `*.ndjson.gz${S3RVER_SUFFIX}`);
}

/** The source, read from a landing file's name with the landing zone's own pattern (the s3rver suffix dropped first). */
const sourceOf = (file: string) => `regexp_extract(replace(${file}, '${S3RVER_SUFFIX}', ''), '${SOURCE_FROM_KEY_PATTERN}', 1)`;

/** A version's stamp, as the index and the tombstones see it: updated_at, else created_at, else 0. */
const stampOf = (updatedAt: string, createdAt: string) => `coalesce(${updatedAt}, ${createdAt}, 0)`;

/** The collections with landed files under `root`. */
export function landedCollections(root: string): string[] {
  return existsSync(root)
    ? readdirSync(root)
        .filter((name) => name.startsWith('collection='))
        .map((name) => name.slice('collection='.length))
    : [];
}

function hasDeletions(root: string): boolean {
  const folder = path.join(root, DELETIONS_FOLDER);
  return existsSync(folder) && readdirSync(folder).some((name) => name.startsWith('collection='));
}

/** Defines every view over `root`; returns their names. Needs at least one landed collection. */
export async function defineQueryViews(connection: DuckDBConnection, root: string): Promise<string[]> {
  const collections = landedCollections(root);
  const readJson = (glob: string) =>
    `read_json('${glob}', format = 'newline_delimited', compression = 'gzip', hive_partitioning = true, union_by_name = true, filename = true, maximum_object_size = 67108864)`;
  for (const collection of collections) {
    await connection.run(`create view "${collection}" as select * from ${readJson(objectsGlob(root, collection))}`);
  }
  await connection.run(
    `create view landing as select collection, dt, filename as file, json as record from read_ndjson_objects('${objectsGlob(root)}', compression = 'gzip', hive_partitioning = true, filename = true)`,
  );

  // No tombstone yet (no rescan found a deletion): an empty view of the same shape, so queries over it still run.
  const tombstones = hasDeletions(root)
    ? `select collection, ${sourceOf('filename')} as source, "_id", cast(deleted_at as bigint) as deleted_at, cast(last_updated_at as bigint) as last_updated_at, dt, filename as file
       from read_json('${objectsGlob(path.join(root, DELETIONS_FOLDER))}', format = 'newline_delimited', compression = 'gzip', hive_partitioning = true, filename = true,
         columns = {'_id': 'VARCHAR', 'deleted_at': 'BIGINT', 'last_updated_at': 'BIGINT'})`
    : `select * from (values (null::varchar, null::varchar, null::varchar, null::bigint, null::bigint, null::varchar, null::varchar)) t(collection, source, "_id", deleted_at, last_updated_at, dt, file) where false`;
  await connection.run(`create view deletions as ${tombstones}`);
  const deleted = `(select collection, source, "_id", max(last_updated_at) as last_updated_at from deletions group by all)`;

  await connection.run(`create view latest as
    select * from (
      select collection, ${sourceOf('file')} as source, record->>'_id' as "_id", try_cast(record->>'updated_at' as bigint) as updated_at,
             try_cast(record->>'created_at' as bigint) as created_at, dt, file, record
      from landing
    ) qualify row_number() over (partition by collection, source, "_id" order by updated_at desc nulls last, file desc) = 1`);
  await connection.run(`create view current_state as
    select l.* from latest l left join ${deleted} d on d.collection = l.collection and d.source = l.source and d."_id" = l."_id"
    where d."_id" is null or d.last_updated_at < ${stampOf('l.updated_at', 'l.created_at')}`);

  for (const collection of collections) {
    await connection.run(`create view "${collection}_current" as
      select r.* exclude (version_rank) from (
        select v.*, ${sourceOf('v.filename')} as source,
               row_number() over (partition by ${sourceOf('v.filename')}, v."_id" order by v.updated_at desc nulls last, v.filename desc) as version_rank
        from "${collection}" v
      ) r
      left join ${deleted} d on d.collection = '${collection}' and d.source = r.source and d."_id" = r."_id"
      where r.version_rank = 1 and (d."_id" is null or d.last_updated_at < ${stampOf('try_cast(r.updated_at as bigint)', 'try_cast(r.created_at as bigint)')})`);
  }
  return [...collections, 'landing', 'deletions', 'latest', 'current_state', ...collections.map((collection) => `${collection}_current`)];
}
