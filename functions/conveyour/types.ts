/** Unix time in whole seconds, UTC. */
export type UnixSeconds = number;

/** A record exactly as the API returned it; only `_id` is relied upon. */
export interface ConveYourRecord {
  _id: string;
  created_at?: UnixSeconds;
  updated_at?: UnixSeconds;
  [field: string]: unknown;
}

/** The appkey/token pair sent as `x-conveyour-appkey` / `x-conveyour-token`. Never logged. */
export interface Credentials {
  appkey: string;
  token: string;
}

/** The API's filter: created or updated `>= start` and `< end`. */
export interface QueryWindow {
  start: UnixSeconds;
  end: UnixSeconds;
}

/** What opens a query: the first page's parameters. */
export interface QuerySpec {
  collection: string;
  window: QueryWindow;
  /** lesson_transcripts only: the contact whose transcripts to read. */
  conId?: string;
}

/** Where a query stands: enough to fetch a page again, or the next one. */
export interface CursorPosition {
  queryId: string;
  /** The cursor to send for the next page. */
  cursor: string;
  /** 0-based sequence number of the page this cursor fetches. */
  sequence: number;
}

/** One page of one query, fully read and validated. */
export interface Page {
  records: ConveYourRecord[];
  queryId: string;
  /** The cursor this page was fetched with; undefined for the first page. */
  cursor: string | undefined;
  /** Absent on the last page. */
  nextCursor: string | undefined;
  /** 0-based page number within the query. */
  sequence: number;
  /** Bytes of the response body, for metrics and budgets. */
  byteLength: number;
  /** Wall time of the successful attempt, in ms. */
  fetchMs: number;
  /**
   * The server's clock when it answered: the response's HTTP `Date`, whole unix seconds.
   * Undefined when the response had none that parses (a proxy may strip it); the caller
   * falls back to its own clock and says so.
   */
  serverTime?: UnixSeconds;
}

export interface PageOptions {
  resume?: CursorPosition;
  /** Stops the request in flight and any retry wait; the iterator then throws the signal's reason. */
  signal?: AbortSignal;
  /** Milliseconds before `signal` fires: a retry whose wait would not end before it is not waited for. */
  remainingMs?: () => number;
}

/** Anything that can page a query: the HTTP client, or a fake in unit tests. */
export interface PageSource {
  /**
   * Pages of one query in order. With `resume`, starts at that cursor instead of
   * opening a new query. Stops after the page without `nextCursor`.
   */
  pages(query: QuerySpec, options?: PageOptions): AsyncIterable<Page>;
}
