/**
 * `npm run query -- "select ..."`: SQL over the local landing zone with DuckDB, reading the
 * same Hive-style layout Athena reads (collection=/dt= partitions, NDJSON.gz). The views are
 * queryViews.ts's: a view per collection, `landing`, `deletions`, `latest`, `current_state`
 * and `{collection}_current`. With no SQL: record counts per collection and dt.
 */
process.env.TZ = 'UTC';
import '../../functions/config/sdkNodeNotice.js';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { defineQueryViews, landedCollections } from './queryViews.js';
import { LOCAL_NAMES } from './runtime.js';

const USAGE = `usage: npm run query -- [--data-dir=DIR] ["SQL"]

  Views: one per collection (events, contacts, ...) with the records' fields as columns plus
  collection and dt; landing(collection, dt, file, record JSON) over everything;
  deletions(collection, source, _id, deleted_at, last_updated_at, dt, file), the tombstones a
  complete rescan lands; latest and current_state (collection, source, _id, updated_at,
  created_at, dt, file, record JSON): the newest version of each record, and the same without
  the deleted ones; {collection}_current (e.g. events_current): one collection's current state.
  Example: npm run query -- "select dt, count(*) from events group by dt order by dt"`;

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
  if (landedCollections(root).length === 0) {
    console.log(`no landed data under ${root}: run npm start first`);
    return 0;
  }
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await defineQueryViews(connection, root);
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
