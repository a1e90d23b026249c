/**
 * The simulator's wire contract over real HTTP: page shape, paging by query_id + cursor,
 * lesson_transcripts, and every documented error with its status and code.
 */
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PATH, startSimulator, TRANSCRIPTS_PATH, type Simulator } from '../../infra/local/simulator/index.js';

const NOW_MS = Date.parse('2025-03-10T12:00:00Z');
const NOW = NOW_MS / 1000;
const agent = new Agent({ keepAliveTimeout: 100, keepAliveMaxTimeout: 100 });
let sim: Simulator;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

async function get(
  params: Record<string, string>,
  headers: Record<string, string> = { 'x-conveyour-appkey': sim.credentials.appkey, 'x-conveyour-token': sim.credentials.token },
  path = API_PATH,
  on: Simulator = sim,
): Promise<Reply> {
  const url = new URL(path, on.url);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const response = await request(url, { headers, dispatcher: agent });
  const text = await response.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, headers: response.headers, text, json };
}

const firstPage = (collection: string, extra: Record<string, string> = {}): Promise<Reply> =>
  get({ collection, start_time: String(NOW - 10 * 86_400), end_time: String(NOW), data: '1', ...extra });
const transcriptsPage = (params: Record<string, string>, on: Simulator = sim): Promise<Reply> =>
  get(params, { 'x-conveyour-appkey': on.credentials.appkey, 'x-conveyour-token': on.credentials.token }, TRANSCRIPTS_PATH, on);
const firstTranscriptsPage = (conId: string | undefined, extra: Record<string, string> = {}): Promise<Reply> =>
  transcriptsPage({ collection: 'lesson_transcripts', start_time: String(NOW - 10 * 86_400), end_time: String(NOW), ...(conId === undefined ? {} : { con_id: conId }), data: '1', ...extra });

beforeAll(async () => {
  sim = await startSimulator({
    seed: 3,
    now: () => NOW_MS,
    pageSize: 7,
    history: { days: 10, counts: { tags: 4, campaigns: 4, contacts: 12, lessons: 6, triggers: 4, events: 20, message_reports: 4, trigger_logs: 4 } },
  });
});
afterAll(async () => {
  await sim.close();
  await agent.close();
});

describe('simulator contract: pages', () => {
  it('answers a first page with results, a query_id and a next_cursor', async () => {
    const reply = await firstPage('events');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    const { results, query_id, pagination } = reply.json.data.data;
    expect(results).toHaveLength(7);
    expect(query_id).toMatch(/^[0-9a-f]{24}$/);
    expect(typeof pagination.next_cursor).toBe('string');
  });

  it('serves next pages from query_id and cursor alone, the last one without next_cursor', async () => {
    const first = (await firstPage('events')).json.data.data;
    const pages = [first];
    let cursor: string | undefined = first.pagination.next_cursor;
    while (cursor !== undefined) {
      const page = (await get({ query_id: first.query_id, cursor, data: '1' })).json.data.data;
      pages.push(page);
      cursor = page.pagination.next_cursor;
    }
    expect(pages.map((p) => p.results.length)).toEqual([7, 7, 6]);
    expect(pages.every((p) => p.query_id === first.query_id)).toBe(true);
    expect(pages.at(-1).pagination).toEqual({});
  });

  it('gives every record _id, created_at <= updated_at and a data map d', async () => {
    for (const collection of ['campaigns', 'contacts', 'events', 'lessons', 'message_reports', 'tags', 'triggers', 'trigger_logs']) {
      const { results } = (await firstPage(collection)).json.data.data;
      for (const record of results) {
        expect(record._id).toMatch(/^[0-9a-f]{24}$/);
        expect(record.created_at).toBeLessThanOrEqual(record.updated_at);
        expect(typeof record.d).toBe('object');
      }
    }
  });

  it('orders results by updated_at, then _id', async () => {
    const { results } = (await get({ collection: 'contacts', start_time: '0', data: '1' })).json.data.data;
    const keys = results.map((r: { updated_at: number; _id: string }) => [r.updated_at, r._id]);
    expect(keys).toEqual([...keys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1)));
  });

  it('accepts strtotime phrases and a missing end_time (now)', async () => {
    const phrase = await get({ collection: 'events', start_time: '-10 days', end_time: 'now', data: '1' });
    const defaulted = await get({ collection: 'events', start_time: '-10 days', data: '1' });
    const unix = await firstPage('events');
    expect(phrase.json.data.data.results).toEqual(unix.json.data.data.results);
    expect(defaulted.json.data.data.results).toEqual(unix.json.data.data.results);
  });

  it('ignores unknown parameters', async () => {
    const reply = await firstPage('events', { fields: 'con_id', watch: '1' });
    expect(reply.json.data.data.results).toEqual((await firstPage('events')).json.data.data.results);
  });

  it('answers an empty window with empty results and no next_cursor', async () => {
    const reply = await get({ collection: 'events', start_time: String(NOW + 100), end_time: String(NOW + 200), data: '1' });
    expect(reply.json.data.data.results).toEqual([]);
    expect(reply.json.data.data.pagination).toEqual({});
  });
});

describe('simulator contract: lesson_transcripts through contactsLessonTranscripts', () => {
  it("returns all of a contact's transcripts, whatever the window", async () => {
    const contact = sim.truth.stateAt('contacts', NOW).find((c) => sim.truth.expectedQuery('lesson_transcripts', { start: 0, end: NOW }, NOW, { conId: c._id }).length >= 2)!;
    const reply = await transcriptsPage({ collection: 'lesson_transcripts', start_time: String(NOW - 60), end_time: String(NOW), con_id: contact._id, data: '1' });
    const results = reply.json.data.data.results;
    expect(results.map((r: { _id: string }) => r._id)).toEqual(sim.truth.expectedQuery('lesson_transcripts', { start: 0, end: 1 }, NOW, { conId: contact._id }).map((t) => t._id));
    expect(results.every((r: { con_id: string }) => r.con_id === contact._id)).toBe(true);
  });

  it('pages a transcripts query by query_id and cursor on contactsLessonTranscripts', async () => {
    const small = await startSimulator({ seed: 3, now: () => NOW_MS, pageSize: 1, history: { days: 10, counts: { contacts: 12 }, transcriptsPerContact: { min: 3, max: 3 } } });
    try {
      const contact = small.truth.stateAt('contacts', NOW)[0]!;
      const first = (await transcriptsPage({ collection: 'lesson_transcripts', start_time: '0', con_id: contact._id, data: '1' }, small)).json.data.data;
      const second = (await transcriptsPage({ query_id: first.query_id, cursor: first.pagination.next_cursor, data: '1' }, small)).json.data.data;
      expect([...first.results, ...second.results].map((r: { _id: string }) => r._id)).toEqual(
        small.truth.expectedQuery('lesson_transcripts', { start: 0, end: 1 }, NOW, { conId: contact._id }).slice(0, 2).map((t) => t._id),
      );
      // Strict: a transcripts query's cursor is not a collectionStream cursor.
      const misplaced = await get({ query_id: first.query_id, cursor: second.pagination.next_cursor, data: '1' }, { 'x-conveyour-appkey': small.credentials.appkey, 'x-conveyour-token': small.credentials.token }, API_PATH, small);
      expect(misplaced.status).toBe(400);
      expect(misplaced.json.error).toEqual({ code: 'bad_request', message: expect.stringContaining('opened on contactsLessonTranscripts') });
    } finally {
      await small.close();
    }
  });

  it('answers 400 con_id_required without con_id', async () => {
    const reply = await firstTranscriptsPage(undefined);
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ success: false, error: { code: 'con_id_required', message: expect.stringContaining('con_id') } });
  });

  it.each([['events'], ['contacts'], [undefined]])('answers 400 unknown_collection to collection=%s: it serves lesson_transcripts only', async (collection) => {
    const contact = sim.truth.stateAt('contacts', NOW)[0]!;
    const reply = await transcriptsPage({ ...(collection === undefined ? {} : { collection }), start_time: '0', con_id: contact._id, data: '1' });
    expect(reply.status).toBe(400);
    expect(reply.json.error).toEqual({ code: 'unknown_collection', message: expect.stringContaining('serves collection=lesson_transcripts only') });
  });

  it('answers an unknown con_id with no results', async () => {
    const reply = await firstTranscriptsPage('ffffffffffffffffffffffff');
    expect(reply.status).toBe(200);
    expect(reply.json.data.data.results).toEqual([]);
  });

  it('answers 400 unknown_collection to collectionStream?collection=lesson_transcripts, naming contactsLessonTranscripts', async () => {
    const contact = sim.truth.stateAt('contacts', NOW)[0]!;
    for (const extra of [{}, { con_id: contact._id }] as Array<Record<string, string>>) {
      const reply = await firstPage('lesson_transcripts', extra);
      expect(reply.status).toBe(400);
      expect(reply.json.error).toEqual({ code: 'unknown_collection', message: expect.stringContaining('through GET /api/reports/contactsLessonTranscripts') });
    }
  });

  it('answers 400 bad_request to con_id on collectionStream', async () => {
    const reply = await firstPage('contacts', { con_id: sim.truth.stateAt('contacts', NOW)[0]!._id });
    expect(reply.status).toBe(400);
    expect(reply.json.error).toEqual({ code: 'bad_request', message: expect.stringContaining('con_id is not a collectionStream parameter') });
  });

  it("answers 400 bad_request to a collectionStream query's cursor on contactsLessonTranscripts", async () => {
    const { query_id, pagination } = (await firstPage('events')).json.data.data;
    const reply = await transcriptsPage({ query_id, cursor: pagination.next_cursor, data: '1' });
    expect(reply.status).toBe(400);
    expect(reply.json.error).toEqual({ code: 'bad_request', message: expect.stringContaining('opened on collectionStream') });
  });
});

describe('simulator contract: errors', () => {
  it.each([
    ['a wrong token', { 'x-conveyour-appkey': 'sim-appkey', 'x-conveyour-token': 'nope' }],
    ['a wrong appkey', { 'x-conveyour-appkey': 'nope', 'x-conveyour-token': 'sim-token' }],
    ['no headers', {}],
  ])('answers 401 invalid_credentials to %s, without saying which is wrong', async (_, headers) => {
    const reply = await get({ collection: 'events', start_time: '0', data: '1' }, headers);
    expect(reply.status).toBe(401);
    expect(reply.json.error.code).toBe('invalid_credentials');
    expect(reply.json.error.message).toBe('invalid credentials: send a valid x-conveyour-appkey and x-conveyour-token');
  });

  it('answers 400 unknown_collection naming the valid ones', async () => {
    const reply = await firstPage('users');
    expect(reply.status).toBe(400);
    expect(reply.json.error.code).toBe('unknown_collection');
    expect(reply.json.error.message).toContain("'users'");
    expect(reply.json.error.message).toContain('trigger_logs');
    expect(reply.json.error.message).toContain('contactsLessonTranscripts serves lesson_transcripts');
  });

  it('answers 400 invalid_time when start_time is missing', async () => {
    const reply = await get({ collection: 'events', data: '1' });
    expect(reply.status).toBe(400);
    expect(reply.json.error).toEqual({ code: 'invalid_time', message: expect.stringContaining('start_time is required') });
  });

  it('answers 400 invalid_time naming an unparseable value', async () => {
    const reply = await get({ collection: 'events', start_time: 'last blue moon', data: '1' });
    expect(reply.status).toBe(400);
    expect(reply.json.error.code).toBe('invalid_time');
    expect(reply.json.error.message).toContain("'last blue moon'");
  });

  it('answers 400 bad_request to a tampered cursor', async () => {
    const { query_id, pagination } = (await firstPage('events')).json.data.data;
    const cursor = Buffer.from(Buffer.from(pagination.next_cursor, 'base64url').toString().replace('.7.', '.8.')).toString('base64url');
    const reply = await get({ query_id, cursor, data: '1' });
    expect(reply.status).toBe(400);
    expect(reply.json.error.code).toBe('bad_request');
  });

  it("answers 400 bad_request to another query's cursor", async () => {
    const a = (await firstPage('events')).json.data.data;
    const b = (await firstPage('events')).json.data.data;
    const reply = await get({ query_id: a.query_id, cursor: b.pagination.next_cursor, data: '1' });
    expect(reply.status).toBe(400);
  });

  it('answers 400 bad_request to query_id without cursor', async () => {
    const { query_id } = (await firstPage('events')).json.data.data;
    expect((await get({ query_id, data: '1' })).json.error.code).toBe('bad_request');
  });

  it('answers 404 query_not_found to an unknown query_id', async () => {
    const { pagination } = (await firstPage('events')).json.data.data;
    const reply = await get({ query_id: '0123456789abcdef01234567', cursor: pagination.next_cursor, data: '1' });
    expect(reply.status).toBe(404);
    expect(reply.json.error.code).toBe('query_not_found');
  });

  it('answers 404 not_found off the API path', async () => {
    const response = await request(new URL('/api/other', sim.url), { dispatcher: agent });
    expect(response.statusCode).toBe(404);
    expect(((await response.body.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});
