/**
 * `npm run query -- "select ..."`: SQL over the local landing zone with DuckDB, reading the
 * same Hive-style layout Athena reads (collection=/dt= partitions, NDJSON.gz). Each
 * collection is a view of its name; `landing` holds every record as raw JSON with its
 * collection and dt. With no SQL: record counts per collection and dt.
 */
process.env.TZ = 'UTC';
import '../../functions/config/sdkNodeNotice.js';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { LOCAL_NAMES } from './runtime.js';

const USAGE = `usage: npm run query -- [--data-dir=DIR] ["SQL"]

  Views: one per collection (events, contacts, ...) with the records' fields as columns plus
  collection and dt; and landing(collection, dt, file, record JSON) over everything.
  Example: npm run query -- "select dt, count(*) from events group by dt order by dt"`;

/** s3rver keeps each object as `<key>._S3rver_object` under data/aws/s3/<bucket>/. */
function objectsGlob(root: string, collection = '*'): string {
  return path.join(root, `collection=${collection}`, 'dt=*', '*.ndjson.gz._S3rver_object');
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ strict: true, allowPositionals: true, options: { 'data-dir': { type: 'string', default: '.local' }, prefix: { type: 'string', default: '' }, help: { type: 'boolean', default: false } } });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  const root = path.join(parsed.values['data-dir'], 'aws', 's3', LOCAL_NAMES.bucket, parsed.values.prefix);
  const collections = existsSync(root)
    ? readdirSync(root)
        .filter((name) => name.startsWith('collection='))
        .map((name) => name.slice('collection='.length))
    : [];
  if (collections.length === 0) {
    console.log(`no landed data under ${root}: run npm start first`);
    return 0;
  }
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const source = (glob: string) => `read_json('${glob}', format = 'newline_delimited', compression = 'gzip', hive_partitioning = true, union_by_name = true, filename = true, maximum_object_size = 67108864)`;
  for (const collection of collections) {
    await connection.run(`create view "${collection}" as select * from ${source(objectsGlob(root, collection))}`);
  }
  await connection.run(
    `create view landing as select collection, dt, filename as file, json as record from read_ndjson_objects('${objectsGlob(root)}', compression = 'gzip', hive_partitioning = true, filename = true)`,
  );
  const sql = parsed.positionals.join(' ').trim() || 'select collection, dt, count(*) as records from landing group by all order by collection, dt';
  const reader = await connection.runAndReadAll(sql);
  const columns = reader.columnNames();
  const rows = reader.getRowsJson();
  console.log(renderTable(columns, rows.map((row) => row.map((cell) => (cell === null ? 'null' : typeof cell === 'object' ? JSON.stringify(cell) : String(cell))))));
  console.log(`(${rows.length} rows)`);
  return 0;
}

function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((row) => row[i]!.length))));
  const cell = (text: string, i: number) => (text.length > widths[i]! ? `${text.slice(0, widths[i]! - 1)}…` : text.padEnd(widths[i]!));
  return [header.map(cell).join('  '), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((row) => row.map(cell).join('  '))].join('\n');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`query failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
