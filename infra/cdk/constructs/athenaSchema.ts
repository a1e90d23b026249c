/**
 * What Athena sees of a landed record: the fields every record has, the top-level fields some
 * collections add, and the SQL that reduces the at-least-once landing zone to the latest
 * version of each record.
 *
 * `d` (and lesson_transcripts' `contact`) are declared `string`. They hold each account's own
 * custom fields, whose names and types differ between accounts and change over time: a
 * `struct` would need a schema nobody can write down in advance, would silently drop every
 * key it does not list, and would fail rows whose types drift. Declared as `string`, the
 * OpenX SerDe hands back the object's JSON text, complete, and `json_extract_scalar(d,
 * '$.field')` reads any field — the same "rawest format" promise the landing zone makes.
 */
import type { CollectionName } from '../../../functions/conveyour/collections.js';
import { SOURCE_FROM_KEY_PATTERN } from '../../../functions/pipeline/landing.js';

export interface ColumnSpec {
  name: string;
  type: 'string' | 'bigint';
  comment: string;
}

const COMMON_COLUMNS: readonly ColumnSpec[] = [
  { name: '_id', type: 'string', comment: 'record id (with updated_at: one version)' },
  { name: 'created_at', type: 'bigint', comment: 'unix seconds' },
  { name: 'updated_at', type: 'bigint', comment: 'unix seconds; the latest version has the largest' },
  { name: 'd', type: 'string', comment: "the record's data map as JSON text: json_extract_scalar(d, '$.field')" },
];

const text = (name: string, comment: string): ColumnSpec => ({ name, type: 'string', comment });

const EXTRA_COLUMNS: Readonly<Partial<Record<CollectionName, readonly ColumnSpec[]>>> = {
  events: [text('con_id', 'contact id'), text('campaign_id', 'campaign id'), text('event', 'event name')],
  message_reports: [text('con_id', 'contact id'), text('message_id', 'message id'), text('status', 'send, delivery or bounce status')],
  trigger_logs: [text('trigger_id', 'trigger id'), text('con_id', 'contact id')],
  lesson_transcripts: [
    text('con_id', 'contact id'),
    text('lesson_id', 'lesson id'),
    text('trigger', 'trigger that sent the lesson (JSON text if an object)'),
    text('contact', 'the embedded contact as JSON text'),
  ],
};

/** The table columns of a collection (the `dt` partition column is separate). */
export function columnsOf(collection: CollectionName): ColumnSpec[] {
  return [...COMMON_COLUMNS, ...(EXTRA_COLUMNS[collection] ?? [])];
}

/** The source name from a landing file's path: the pattern is the landing zone's own (functions/pipeline/landing.ts). */
export const SOURCE_FROM_PATH_REGEX = SOURCE_FROM_KEY_PATTERN;

/**
 * Latest version of each record of one collection. The landing zone is at least once: a
 * record can land twice (window overlap, a retried page), and every update lands again.
 * `(source, _id)` is one record across accounts; the largest `updated_at` is its latest
 * version; equal `updated_at` are the same version, so any one of them will do.
 * Not filtered on `dt`: an updated record lands in a later partition than its first version.
 */
export function latestVersionQuery(database: string, collection: CollectionName): string {
  return [
    `-- Latest version of each ${collection} record. Only a filter on dt scans less (updated_at is read from every file): WHERE dt >= '2024-01-01' inside "versions" gives the latest version of the records updated since then.`,
    ...rankedVersions(database, collection),
    'SELECT * FROM ranked WHERE version_rank = 1',
  ].join('\n');
}

function rankedVersions(database: string, collection: CollectionName): string[] {
  return [
    'WITH versions AS (',
    `  SELECT t.*, "$path" AS landing_file, regexp_extract("$path", '${SOURCE_FROM_PATH_REGEX}', 1) AS source`,
    `  FROM "${database}"."${collection}" t`,
    '), ranked AS (',
    '  SELECT versions.*, row_number() OVER (PARTITION BY source, "_id" ORDER BY updated_at DESC, landing_file DESC) AS version_rank',
    '  FROM versions',
    ')',
  ];
}

/** The Glue table of every collection's tombstones (partitioned by collection and dt). */
export const DELETIONS_TABLE = 'deletions';

/**
 * A tombstone's columns. `collection` is a partition key (the folder), not a column: Glue refuses
 * a column named like a partition key, and the folder and the line always agree.
 */
export const DELETION_COLUMNS: readonly ColumnSpec[] = [
  { name: '_id', type: 'string', comment: 'the deleted record id' },
  { name: 'deleted_at', type: 'bigint', comment: 'unix seconds: when a complete rescan found the id gone (dt is its UTC date)' },
  { name: 'last_updated_at', type: 'bigint', comment: "unix seconds: the newest version the landing zone held; it and every older version are deleted" },
];

/**
 * Current state of one collection: the latest version of each record, less the records deleted
 * since it. A tombstone deletes the versions up to its `last_updated_at`; a version stamped after
 * it (the id came back, or the tail landed a write the rescan could not see yet) is live again.
 * The comparison is with `last_updated_at`, the server's own stamp, not `deleted_at`: that is the
 * rescan's clock, and a late-visible write can be stamped before it.
 */
export function currentStateQuery(database: string, collection: CollectionName): string {
  return [
    `-- Current state of ${collection}: the latest version of each record, without the records a rescan found deleted (table ${DELETIONS_TABLE}).`,
    ...rankedVersions(database, collection),
    ', latest AS (',
    '  SELECT * FROM ranked WHERE version_rank = 1',
    '), deleted AS (',
    `  SELECT regexp_extract("$path", '${SOURCE_FROM_PATH_REGEX}', 1) AS source, "_id", max(last_updated_at) AS last_updated_at`,
    `  FROM "${database}"."${DELETIONS_TABLE}"`,
    `  WHERE collection = '${collection}'`,
    '  GROUP BY 1, 2',
    ')',
    'SELECT latest.*',
    'FROM latest',
    'LEFT JOIN deleted ON deleted.source = latest.source AND deleted."_id" = latest."_id"',
    'WHERE deleted."_id" IS NULL OR deleted.last_updated_at < coalesce(latest.updated_at, latest.created_at, 0)',
  ].join('\n');
}
