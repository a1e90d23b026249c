/**
 * The cursor state machine of one query, pure: it says which parameters fetch the next
 * page, advances on a validated page body, stops when the cursor is missing, and refuses
 * a cursor that would loop or an empty page that claims more (StalledCursorError), so a
 * stuck server never looks like a finished query.
 */
import { TRANSCRIPTS } from './collections.js';
import { StalledCursorError } from './errors.js';
import type { PageBody } from './response.js';
import type { CursorPosition, Page, QuerySpec, UnixSeconds } from './types.js';

/** What to send for the next page, and which page that is. */
export interface PageRequest {
  /** The report path: every page of a query goes to the path its first page went to. */
  path: string;
  params: Record<string, string>;
  cursor: string | undefined;
  sequence: number;
}

export class CursorPaginator {
  private queryId: string | undefined;
  private cursor: string | undefined;
  private sequence: number;
  private finished = false;
  private readonly seenCursors = new Set<string>();

  constructor(
    private readonly query: QuerySpec,
    resume?: CursorPosition,
  ) {
    validateQuery(query);
    if (resume) validateResume(resume);
    this.queryId = resume?.queryId;
    this.cursor = resume?.cursor;
    this.sequence = resume?.sequence ?? 0;
    if (resume) this.seenCursors.add(resume.cursor);
  }

  /** True after the page without a next cursor. */
  get done(): boolean {
    return this.finished;
  }

  /** First page: collection + window (+ con_id); later pages: query_id + cursor only. Both with data=1, both on the query's report path. */
  request(): PageRequest {
    if (this.finished) throw new Error('the query is complete: there is no next page to request');
    const params =
      this.queryId !== undefined && this.cursor !== undefined
        ? { query_id: this.queryId, cursor: this.cursor, data: '1' }
        : firstPageParams(this.query);
    return { path: reportPath(this.query), params, cursor: this.cursor, sequence: this.sequence };
  }

  /** Takes the body of the page `request()` described and returns it as a Page. */
  advance(body: PageBody, meta: { byteLength: number; fetchMs: number; serverTime?: UnixSeconds | undefined }): Page {
    const queryId = body.queryId ?? this.queryId ?? '';
    const { nextCursor } = body;
    if (nextCursor !== undefined) {
      const where = `query ${queryId}, page ${this.sequence}`;
      if (nextCursor === this.cursor || this.seenCursors.has(nextCursor)) {
        throw new StalledCursorError(
          `ConveYour sent next_cursor '${nextCursor}' again (${where}): following it would loop. Read the window again from its start; if it repeats, report it to ConveYour.`,
        );
      }
      if (body.results.length === 0) {
        throw new StalledCursorError(
          `ConveYour sent an empty page that claims more (next_cursor '${nextCursor}', ${where}): the query is not making progress. Read the window again from its start; if it repeats, report it to ConveYour.`,
        );
      }
    }
    const page: Page = {
      records: body.results,
      queryId,
      cursor: this.cursor,
      nextCursor,
      sequence: this.sequence,
      byteLength: meta.byteLength,
      fetchMs: meta.fetchMs,
      ...(meta.serverTime === undefined ? {} : { serverTime: meta.serverTime }),
    };
    this.queryId = queryId;
    if (nextCursor === undefined) {
      this.finished = true;
    } else {
      this.seenCursors.add(nextCursor);
      this.cursor = nextCursor;
      this.sequence += 1;
    }
    return page;
  }
}

export const COLLECTION_STREAM_PATH = '/api/reports/collectionStream';
export const CONTACT_TRANSCRIPTS_PATH = '/api/reports/contactsLessonTranscripts';

/**
 * The one place that says which report serves a query: one contact's lesson transcripts are
 * read from contactsLessonTranscripts (as the original client does), everything else from
 * collectionStream. A query's next pages, resumed ones included, stay on the same path.
 */
export function reportPath(query: QuerySpec): string {
  return query.conId !== undefined ? CONTACT_TRANSCRIPTS_PATH : COLLECTION_STREAM_PATH;
}

/** Parameters that open a query. Times go out as unix-second integers, never phrases. */
export function firstPageParams(query: QuerySpec): Record<string, string> {
  const params: Record<string, string> = {
    collection: query.collection,
    start_time: String(query.window.start),
    end_time: String(query.window.end),
  };
  if (query.conId !== undefined) params.con_id = query.conId;
  params.data = '1';
  return params;
}

/** The position that fetches `page` again; undefined for a first page (reopen the query instead). */
export function pagePosition(page: Page): CursorPosition | undefined {
  return page.cursor === undefined ? undefined : { queryId: page.queryId, cursor: page.cursor, sequence: page.sequence };
}

/** The position of the page after `page`; undefined when `page` was the last. */
export function nextPosition(page: Page): CursorPosition | undefined {
  return page.nextCursor === undefined ? undefined : { queryId: page.queryId, cursor: page.nextCursor, sequence: page.sequence + 1 };
}

function validateQuery(query: QuerySpec): void {
  if (typeof query.collection !== 'string' || query.collection === '') {
    throw new TypeError(`query.collection must be a collection name, got ${JSON.stringify(query.collection)}`);
  }
  for (const edge of ['start', 'end'] as const) {
    const value = query.window?.[edge];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`query.window.${edge} must be unix seconds (an integer >= 0), got ${String(value)}`);
    }
  }
  if (query.window.start > query.window.end) {
    throw new RangeError(`query.window.start (${query.window.start}) must not be after query.window.end (${query.window.end})`);
  }
  if (query.conId !== undefined && (typeof query.conId !== 'string' || query.conId === '')) {
    throw new TypeError(`query.conId must be a contact _id, got ${JSON.stringify(query.conId)}`);
  }
  // The two go together: contactsLessonTranscripts serves one contact's transcripts and nothing else.
  if ((query.collection === TRANSCRIPTS) !== (query.conId !== undefined)) {
    throw new TypeError(
      query.conId === undefined
        ? `query.conId is required for ${TRANSCRIPTS}: transcripts are read one contact at a time (use lessonTranscripts() for a window)`
        : `query.conId applies only to ${TRANSCRIPTS}, not to ${query.collection}`,
    );
  }
}

function validateResume(resume: CursorPosition): void {
  if (typeof resume.queryId !== 'string' || resume.queryId === '' || typeof resume.cursor !== 'string' || resume.cursor === '') {
    throw new TypeError('resume must hold the query_id and cursor of a page (non-empty strings)');
  }
  if (!Number.isSafeInteger(resume.sequence) || resume.sequence < 0) {
    throw new RangeError(`resume.sequence must be an integer >= 0, got ${String(resume.sequence)}`);
  }
}
