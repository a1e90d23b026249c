import { describe, expect, it } from 'vitest';
import { StalledCursorError } from '../../functions/conveyour/errors.js';
import { CursorPaginator, nextPosition, pagePosition } from '../../functions/conveyour/paginator.js';
import type { PageBody } from '../../functions/conveyour/response.js';

const window = { start: 1_700_000_000, end: 1_700_003_600 };
const meta = { byteLength: 10, fetchMs: 1 };
const body = (ids: string[], nextCursor?: string, queryId = 'q1'): PageBody => ({
  results: ids.map((_id) => ({ _id })),
  queryId,
  nextCursor,
});

describe('CursorPaginator', () => {
  it('opens a query with collection, the window as unix seconds and data=1', () => {
    const paginator = new CursorPaginator({ collection: 'events', window });
    expect(paginator.request()).toEqual({
      path: '/api/reports/collectionStream',
      params: { collection: 'events', start_time: '1700000000', end_time: '1700003600', data: '1' },
      cursor: undefined,
      sequence: 0,
    });
  });

  it('opens a transcripts query on contactsLessonTranscripts with con_id, as the original client does', () => {
    const paginator = new CursorPaginator({ collection: 'lesson_transcripts', window, conId: 'c42' });
    expect(paginator.request()).toMatchObject({
      path: '/api/reports/contactsLessonTranscripts',
      params: { collection: 'lesson_transcripts', start_time: '1700000000', end_time: '1700003600', con_id: 'c42', data: '1' },
    });
    expect(Object.keys(paginator.request().params)).toEqual(['collection', 'start_time', 'end_time', 'con_id', 'data']);
  });

  it('asks for the next pages of a transcripts query on contactsLessonTranscripts too', () => {
    const paginator = new CursorPaginator({ collection: 'lesson_transcripts', window, conId: 'c42' });
    paginator.advance(body(['t1'], 'c1'), meta);
    expect(paginator.request()).toMatchObject({ path: '/api/reports/contactsLessonTranscripts', params: { query_id: 'q1', cursor: 'c1', data: '1' } });
  });

  it('resumes a transcripts query on contactsLessonTranscripts', () => {
    const paginator = new CursorPaginator({ collection: 'lesson_transcripts', window, conId: 'c42' }, { queryId: 'q9', cursor: 'c3', sequence: 3 });
    expect(paginator.request()).toEqual({ path: '/api/reports/contactsLessonTranscripts', params: { query_id: 'q9', cursor: 'c3', data: '1' }, cursor: 'c3', sequence: 3 });
  });

  it.each([
    [{ collection: 'lesson_transcripts', window }, /conId is required for lesson_transcripts/],
    [{ collection: 'events', window, conId: 'c42' }, /conId applies only to lesson_transcripts, not to events/],
  ])('refuses a query whose collection and conId do not go together (%o)', (query, message) => {
    expect(() => new CursorPaginator(query)).toThrow(message);
  });

  it('asks for later pages by query_id and cursor only (and data=1)', () => {
    const paginator = new CursorPaginator({ collection: 'events', window });
    paginator.advance(body(['a'], 'c1'), meta);
    expect(paginator.request()).toEqual({ path: '/api/reports/collectionStream', params: { query_id: 'q1', cursor: 'c1', data: '1' }, cursor: 'c1', sequence: 1 });
  });

  it('numbers pages and records the cursor each was fetched with', () => {
    const paginator = new CursorPaginator({ collection: 'events', window });
    const first = paginator.advance(body(['a'], 'c1'), meta);
    const second = paginator.advance(body(['b']), meta);
    expect([first.sequence, first.cursor, second.sequence, second.cursor]).toEqual([0, undefined, 1, 'c1']);
  });

  it('is done after a page without next_cursor', () => {
    const paginator = new CursorPaginator({ collection: 'events', window });
    paginator.advance(body(['a']), meta);
    expect(paginator.done).toBe(true);
    expect(() => paginator.request()).toThrow(/complete/);
  });

  it('accepts an empty last page as the end of the query', () => {
    const paginator = new CursorPaginator({ collection: 'events', window });
    paginator.advance(body(['a'], 'c1'), meta);
    const last = paginator.advance(body([]), meta);
    expect(last.records).toEqual([]);
    expect(paginator.done).toBe(true);
  });

  it('refuses a next_cursor equal to the cursor just sent', () => {
    const paginator = new CursorPaginator({ collection: 'events', window });
    paginator.advance(body(['a'], 'c1'), meta);
    expect(() => paginator.advance(body(['b'], 'c1'), meta)).toThrow(StalledCursorError);
  });

  it('refuses a next_cursor seen earlier in the query (a longer loop)', () => {
    const paginator = new CursorPaginator({ collection: 'events', window });
    paginator.advance(body(['a'], 'c1'), meta);
    paginator.advance(body(['b'], 'c2'), meta);
    expect(() => paginator.advance(body(['c'], 'c1'), meta)).toThrow(/again/);
  });

  it('refuses an empty page that claims more, and is then not done', () => {
    const paginator = new CursorPaginator({ collection: 'events', window });
    expect(() => paginator.advance(body([], 'c1'), meta)).toThrow(/empty page that claims more/);
    expect(paginator.done).toBe(false);
  });

  it('resumes at a cursor position with its query_id, cursor and sequence', () => {
    const paginator = new CursorPaginator({ collection: 'events', window }, { queryId: 'q9', cursor: 'c5', sequence: 5 });
    expect(paginator.request()).toEqual({ path: '/api/reports/collectionStream', params: { query_id: 'q9', cursor: 'c5', data: '1' }, cursor: 'c5', sequence: 5 });
  });

  it('keeps the query id when a later page omits it', () => {
    const paginator = new CursorPaginator({ collection: 'events', window });
    paginator.advance(body(['a'], 'c1'), meta);
    expect(paginator.advance({ results: [], queryId: undefined, nextCursor: undefined }, meta).queryId).toBe('q1');
  });

  it.each([
    [{ start: 1.5, end: 2 }, /window\.start must be unix seconds/],
    [{ start: 5, end: 2 }, /must not be after/],
    [{ start: -1, end: 2 }, /window\.start/],
  ])('rejects the window %j with a message naming the field', (bad, message) => {
    expect(() => new CursorPaginator({ collection: 'events', window: bad })).toThrow(message);
  });

  it('rejects a resume position without a cursor', () => {
    expect(() => new CursorPaginator({ collection: 'events', window }, { queryId: 'q', cursor: '', sequence: 1 })).toThrow(/resume/);
  });
});

describe('page positions', () => {
  const page = { records: [], queryId: 'q1', cursor: 'c1', nextCursor: 'c2', sequence: 1, byteLength: 0, fetchMs: 0 };

  it('re-fetches a page by the cursor it was fetched with', () => {
    expect(pagePosition(page)).toEqual({ queryId: 'q1', cursor: 'c1', sequence: 1 });
  });

  it('has no position for a first page (the query is opened again)', () => {
    expect(pagePosition({ ...page, cursor: undefined, sequence: 0 })).toBeUndefined();
  });

  it('points past a page at its next cursor, and nowhere past the last page', () => {
    expect(nextPosition(page)).toEqual({ queryId: 'q1', cursor: 'c2', sequence: 2 });
    expect(nextPosition({ ...page, nextCursor: undefined })).toBeUndefined();
  });
});
