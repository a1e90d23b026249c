/**
 * Singer messages (https://github.com/singer-io/getting-started/blob/master/docs/SPEC.md):
 * SCHEMA before a stream's first RECORD, RECORD with `time_extracted`, and STATE only
 * once every record before it was written, so a target that persists the state never
 * skips a record it has not received.
 */
import { COLLECTIONS, type CollectionName, describeCollection } from '../conveyour/collections.js';
import type { ConveYourRecord, UnixSeconds } from '../conveyour/types.js';
import { projectRecord } from './fields.js';
import type { SingerStateValue } from './singerFiles.js';

export const KEY_PROPERTIES = ['_id'] as const;
export const BOOKMARK_PROPERTIES = ['updated_at'] as const;

/** Permissive: the API's records vary by collection and by account; only these are promised. */
export function recordSchema(collection: CollectionName): Record<string, unknown> {
  return {
    type: 'object',
    description: describeCollection(collection),
    properties: {
      _id: { type: 'string' },
      created_at: { type: ['integer', 'null'] },
      updated_at: { type: ['integer', 'null'] },
    },
    required: ['_id'],
    additionalProperties: true,
  };
}

export interface SchemaMessage {
  type: 'SCHEMA';
  stream: string;
  schema: Record<string, unknown>;
  key_properties: string[];
  bookmark_properties: string[];
}
export interface RecordMessage {
  type: 'RECORD';
  stream: string;
  record: object;
  time_extracted: string;
}
export interface StateMessage {
  type: 'STATE';
  value: SingerStateValue;
}
export type SingerMessage = SchemaMessage | RecordMessage | StateMessage;

export function schemaMessage(collection: CollectionName): SchemaMessage {
  return {
    type: 'SCHEMA',
    stream: collection,
    schema: recordSchema(collection),
    key_properties: [...KEY_PROPERTIES],
    bookmark_properties: [...BOOKMARK_PROPERTIES],
  };
}

/** RECORD lines for one page; `extractedAt` is when the page arrived. */
export function recordLines(collection: CollectionName, records: readonly ConveYourRecord[], extractedAt: Date, fields: readonly string[]): string {
  const project = projectRecord(fields);
  const time_extracted = extractedAt.toISOString();
  let text = '';
  for (const record of records) {
    const message: RecordMessage = { type: 'RECORD', stream: collection, record: project(record), time_extracted };
    text += `${JSON.stringify(message)}\n`;
  }
  return text;
}

/**
 * The prior state with this collection's bookmark moved to the end of the completed window:
 * the next run's start_time. Other keys and other streams' bookmarks are kept as they were.
 */
export function stateMessage(prior: SingerStateValue, collection: CollectionName, windowEnd: UnixSeconds): StateMessage {
  const bookmarks = { ...(prior.bookmarks ?? {}) };
  bookmarks[collection] = { ...(bookmarks[collection] ?? {}), start_time: windowEnd };
  return { type: 'STATE', value: { ...prior, bookmarks } };
}

/** `--discover`: every collection, none selected, incremental on updated_at. */
export function discoverCatalog(): { streams: Array<Record<string, unknown>> } {
  return {
    streams: COLLECTIONS.map((collection) => ({
      tap_stream_id: collection,
      stream: collection,
      schema: recordSchema(collection),
      key_properties: [...KEY_PROPERTIES],
      metadata: [
        {
          breadcrumb: [],
          metadata: {
            inclusion: 'available',
            'table-key-properties': [...KEY_PROPERTIES],
            'valid-replication-keys': [...BOOKMARK_PROPERTIES],
            'forced-replication-method': 'INCREMENTAL',
          },
        },
      ],
    })),
  };
}
