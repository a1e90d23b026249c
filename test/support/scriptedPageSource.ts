/**
 * A PageSource over an in-memory list of records, paged like the API (cursor = offset),
 * with a cap and hooks to inject failures. For unit tests of the core only.
 */
import { CursorExpiredError } from '../../functions/conveyour/errors.js';
import type { ConveYourRecord, CursorPosition, Page, PageSource, QuerySpec } from '../../functions/conveyour/types.js';

export interface ScriptedOptions {
  pageSize: number;
  cap?: number;
  /** Called before each page is served; may throw to inject a failure. */
  beforePage?: (request: { query: QuerySpec; sequence: number; cursor: string | undefined }) => void;
  /** The server's clock, in whole seconds: sent with every page as its HTTP Date would be. Absent: pages carry no Date. */
  serverNow?: () => number;
}

export class ScriptedPageSource implements PageSource {
  readonly requests: Array<{ collection: string; sequence: number; cursor: string | undefined; window: QuerySpec['window'] }> = [];
  private queries = 0;

  constructor(
    private readonly records: (collection: string) => ConveYourRecord[],
    private readonly options: ScriptedOptions,
  ) {}

  async *pages(query: QuerySpec, options: { resume?: CursorPosition } = {}): AsyncIterable<Page> {
    const matched = this.records(query.collection)
      .filter((record) => inWindow(record, query) && (query.conId === undefined || record.con_id === query.conId))
      .slice(0, this.options.cap ?? Number.MAX_SAFE_INTEGER);
    const queryId = options.resume?.queryId ?? `q${++this.queries}`;
    let sequence = options.resume?.sequence ?? 0;
    let cursor = options.resume?.cursor;
    for (;;) {
      this.requests.push({ collection: query.collection, sequence, cursor, window: query.window });
      this.options.beforePage?.({ query, sequence, cursor });
      const offset = cursor === undefined ? 0 : Number(cursor);
      if (!Number.isInteger(offset)) throw new CursorExpiredError(`bad cursor ${cursor}`);
      const records = matched.slice(offset, offset + this.options.pageSize);
      const nextOffset = offset + records.length;
      const nextCursor = nextOffset < matched.length ? String(nextOffset) : undefined;
      const serverTime = this.options.serverNow?.();
      yield { records, queryId, cursor, nextCursor, sequence, byteLength: JSON.stringify(records).length, fetchMs: 1, ...(serverTime === undefined ? {} : { serverTime }) };
      if (!nextCursor) return;
      cursor = nextCursor;
      sequence += 1;
    }
  }
}

function inWindow(record: ConveYourRecord, query: QuerySpec): boolean {
  const { start, end } = query.window;
  const within = (t: unknown) => typeof t === 'number' && t >= start && t < end;
  return within(record.created_at) || within(record.updated_at);
}

export function makeRecords(count: number, options: { from: number; step: number; prefix?: string }): ConveYourRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    _id: `${options.prefix ?? 'r'}${String(i).padStart(6, '0')}`,
    created_at: options.from + i * options.step,
    updated_at: options.from + i * options.step,
    d: { n: i, name: i % 7 === 0 ? 'Zoë Łukasz 山田' : 'plain' },
  }));
}
