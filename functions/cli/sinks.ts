/**
 * Where a run's records go: plain NDJSON, or the Singer protocol. The run loop only knows
 * this interface, so stopping, restarting a window and watching work the same for both.
 */
import type { CollectionName } from '../conveyour/collections.js';
import type { ConveYourRecord, QueryWindow } from '../conveyour/types.js';
import { type LineWriter, ndjsonFormatter } from './output.js';
import type { OutputOptions } from './options.js';
import { recordLines, schemaMessage, stateMessage } from './singer.js';
import type { SingerStateValue } from './singerFiles.js';

export interface RecordSink {
  /** Before the first window. */
  open(): Promise<void>;
  /** One page of records, in order; `extractedAt` is when it arrived. */
  records(records: readonly ConveYourRecord[], extractedAt: Date): Promise<void>;
  /** Every record of `window` has been written. */
  windowComplete(window: QueryWindow): Promise<void>;
}

export function ndjsonSink(writer: LineWriter, options: Pick<OutputOptions, 'pretty' | 'fields'>): RecordSink {
  const format = ndjsonFormatter(options);
  return {
    open: async () => {},
    records: (records) => writer.write(format(records)),
    windowComplete: async () => {},
  };
}

export function singerSink(
  writer: LineWriter,
  collection: CollectionName,
  priorState: SingerStateValue,
  fields: readonly string[],
): RecordSink {
  let state = priorState;
  return {
    open: () => writer.write(`${JSON.stringify(schemaMessage(collection))}\n`),
    records: (records, extractedAt) => writer.write(recordLines(collection, records, extractedAt, fields)),
    windowComplete: async (window) => {
      const message = stateMessage(state, collection, window.end);
      state = message.value;
      await writer.write(`${JSON.stringify(message)}\n`);
    },
  };
}
