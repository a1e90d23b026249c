import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MockAgent } from 'undici';
import type { RequestEvent } from '../../functions/conveyour/client.js';
import { ConveYourClient } from '../../functions/conveyour/client.js';
import {
  AuthError,
  BadRequestError,
  ConveYourError,
  CursorExpiredError,
  DeadlineError,
  MalformedResponseError,
  NetworkError,
  RetriableStatusError,
  RetriesExhaustedError,
  StalledCursorError,
} from '../../functions/conveyour/errors.js';
import { collect, CREDENTIALS, errorBody, fastClient, isStreamPath, isTranscriptsPath, mockAgent, ORIGIN, pageBody, records, WINDOW } from './conveyour-fixtures.js';

const events = { collection: 'events', window: WINDOW };
let agent: MockAgent;

beforeEach(() => {
  agent = mockAgent();
});

afterEach(async () => {
  await agent.close();
});

const reply = (status: number, body: object | string, headers: Record<string, string> = {}) =>
  agent.get(ORIGIN).intercept({ path: isStreamPath }).reply(status, body, { headers });
const calls = () => agent.getCallHistory()?.calls() ?? [];

describe('ConveYourClient: request shapes', () => {
  it('opens a query with collection, unix-second window and data=1, and the credential headers', async () => {
    reply(200, pageBody(records('a')));
    await collect(fastClient(agent).pages(events));
    const [call] = calls();
    expect(call?.searchParams).toEqual({ collection: 'events', start_time: '1700000000', end_time: '1700003600', data: '1' });
    expect(call?.headers).toMatchObject({ 'x-conveyour-appkey': CREDENTIALS.appkey, 'x-conveyour-token': CREDENTIALS.token, accept: 'application/json' });
  });

  it('asks for later pages with query_id, cursor and data=1 only', async () => {
    reply(200, pageBody(records('a'), 'q1', 'c1'));
    reply(200, pageBody(records('b'), 'q1'));
    await collect(fastClient(agent).pages(events));
    expect(calls()[1]?.searchParams).toEqual({ query_id: 'q1', cursor: 'c1', data: '1' });
  });

  it('asks contactsLessonTranscripts for every page of a transcripts query, with con_id on the first', async () => {
    agent.get(ORIGIN).intercept({ path: isTranscriptsPath }).reply(200, pageBody(records('t1'), 'q7', 'c1'));
    agent.get(ORIGIN).intercept({ path: isTranscriptsPath }).reply(200, pageBody(records('t2'), 'q7'));
    await collect(fastClient(agent).pages({ collection: 'lesson_transcripts', window: WINDOW, conId: 'c42' }));
    expect(calls().map((call) => call.fullUrl.slice(ORIGIN.length))).toEqual([
      '/api/reports/contactsLessonTranscripts?collection=lesson_transcripts&start_time=1700000000&end_time=1700003600&con_id=c42&data=1',
      '/api/reports/contactsLessonTranscripts?query_id=q7&cursor=c1&data=1',
    ]);
  });

  it('resumes a transcripts query on contactsLessonTranscripts', async () => {
    agent.get(ORIGIN).intercept({ path: isTranscriptsPath }).reply(200, pageBody(records('t3'), 'q7'));
    await collect(fastClient(agent).pages({ collection: 'lesson_transcripts', window: WINDOW, conId: 'c42' }, { resume: { queryId: 'q7', cursor: 'c2', sequence: 2 } }));
    expect(calls().map((call) => call.fullUrl.slice(ORIGIN.length))).toEqual(['/api/reports/contactsLessonTranscripts?query_id=q7&cursor=c2&data=1']);
  });

  it('yields every page in order with its records, sequence and cursors', async () => {
    reply(200, pageBody(records('a', 'b'), 'q1', 'c1'));
    reply(200, pageBody(records('c'), 'q1'));
    const pages = await collect(fastClient(agent).pages(events));
    expect(pages.map((p) => [p.sequence, p.cursor, p.nextCursor, p.records.map((r) => r._id)])).toEqual([
      [0, undefined, 'c1', ['a', 'b']],
      [1, 'c1', undefined, ['c']],
    ]);
    expect(pages[0]?.byteLength).toBe(Buffer.byteLength(JSON.stringify(pageBody(records('a', 'b'), 'q1', 'c1'))));
  });

  it('resumes at a cursor without opening a new query', async () => {
    reply(200, pageBody(records('z'), 'q7'));
    await collect(fastClient(agent).pages(events, { resume: { queryId: 'q7', cursor: 'c3', sequence: 3 } }));
    expect(calls()[0]?.searchParams).toEqual({ query_id: 'q7', cursor: 'c3', data: '1' });
  });

  it('rejects a bad query when pages() is called, before any request', () => {
    expect(() => fastClient(agent).pages({ collection: 'events', window: { start: 10, end: 5 } })).toThrow(/must not be after/);
    expect(calls()).toHaveLength(0);
  });
});

describe('ConveYourClient: statuses that are not retried', () => {
  it.each([401, 403])('fails with an AuthError on %i after one attempt', async (status) => {
    reply(status, errorBody('invalid_credentials'));
    await expect(collect(fastClient(agent).pages(events))).rejects.toBeInstanceOf(AuthError);
    expect(calls()).toHaveLength(1);
  });

  it('fails with a BadRequestError carrying the server message on 400 unknown_collection', async () => {
    reply(400, errorBody('unknown_collection', "unknown collection 'evnts'"));
    const failing = collect(fastClient(agent).pages({ collection: 'evnts', window: WINDOW }));
    await expect(failing).rejects.toThrow(BadRequestError);
    await expect(failing).rejects.toThrow("unknown collection 'evnts'");
    expect(calls()).toHaveLength(1);
  });

  it.each([
    [410, 'cursor_expired'],
    [404, 'query_not_found'],
  ])('fails with a CursorExpiredError on %i %s', async (status, code) => {
    reply(200, pageBody(records('a'), 'q1', 'c1'));
    reply(status, errorBody(code));
    await expect(collect(fastClient(agent).pages(events))).rejects.toBeInstanceOf(CursorExpiredError);
    expect(calls()).toHaveLength(2);
  });

  it('fails with a StalledCursorError, without retrying, when the cursor repeats', async () => {
    reply(200, pageBody(records('a'), 'q1', 'c1'));
    reply(200, pageBody(records('b'), 'q1', 'c1'));
    await expect(collect(fastClient(agent).pages(events))).rejects.toBeInstanceOf(StalledCursorError);
    expect(calls()).toHaveLength(2);
  });

  it('does not retry a failure of its own dispatcher, and keeps the credentials out of it', async () => {
    const error = (await collect(fastClient(agent).pages(events)).catch((e: unknown) => e)) as ConveYourError;
    expect(error).toBeInstanceOf(ConveYourError);
    expect(error.retriable).toBe(false);
    expect(JSON.stringify({ message: error.message, cause: String(error.cause) })).not.toContain(CREDENTIALS.token);
  });
});

describe('ConveYourClient: retries', () => {
  it.each([429, 500, 502, 503, 504])('retries %i and then returns the page', async (status) => {
    reply(status, errorBody('server_error'));
    reply(200, pageBody(records('a')));
    const pages = await collect(fastClient(agent).pages(events));
    expect(pages[0]?.records).toEqual(records('a'));
    expect(calls()).toHaveLength(2);
  });

  it.each([
    ['a truncated body', '{"data":{"data":{"results":[{"_id":"a"},'],
    ['an HTML page with 200', '<html>Service temporarily unavailable</html>'],
    ['a body without results', JSON.stringify({ data: { data: { query_id: 'q1' } } })],
  ])('retries %s and then uses only the complete page', async (_what, bad) => {
    reply(200, bad);
    reply(200, pageBody(records('a', 'b')));
    const pages = await collect(fastClient(agent).pages(events));
    expect(pages.flatMap((p) => p.records.map((r) => r._id))).toEqual(['a', 'b']);
  });

  it('retries a connection reset', async () => {
    agent.get(ORIGIN).intercept({ path: isStreamPath }).replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    reply(200, pageBody(records('a')));
    const pages = await collect(fastClient(agent).pages(events));
    expect(pages).toHaveLength(1);
    expect(calls()).toHaveLength(2);
  });

  it('gives up a response that does not complete within requestTimeoutMs and retries', async () => {
    agent.get(ORIGIN).intercept({ path: isStreamPath }).reply(200, pageBody(records('late'))).delay(5_000);
    reply(200, pageBody(records('a')));
    const seen: RequestEvent[] = [];
    const started = Date.now();
    const pages = await collect(fastClient(agent, { requestTimeoutMs: 50, onEvent: (e) => seen.push(e) }).pages(events));
    expect(pages[0]?.records).toEqual(records('a'));
    expect(seen[0]?.error).toMatch(/CONVEYOUR_NETWORK: .*within 50 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('waits for its pacer before every attempt, a retry included, and names the retry by code in its event', async () => {
    agent.get(ORIGIN).intercept({ path: isStreamPath }).replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    reply(200, pageBody(records('a'), 'q1', 'c1'));
    reply(200, pageBody(records('b'), 'q1'));
    const order: string[] = [];
    const pacer = { take: async () => void order.push(`take before call ${calls().length + 1}`) };
    const seen: RequestEvent[] = [];

    await collect(fastClient(agent, { pacer, onEvent: (e) => seen.push(e) }).pages(events));

    expect(order).toEqual(['take before call 1', 'take before call 2', 'take before call 3']);
    expect(seen.filter((e) => e.type === 'retry').map((e) => e.code)).toEqual(['CONVEYOUR_NETWORK']);
  });

  it('waits at least the Retry-After seconds of a 429', async () => {
    reply(429, errorBody('rate_limited'), { 'retry-after': '3' });
    reply(200, pageBody(records('a')));
    const delays: number[] = [];
    await collect(fastClient(agent, { sleep: async (ms) => void delays.push(ms) }).pages(events));
    expect(delays).toEqual([3_000]);
  });

  it("gives up at once, with a DeadlineError, when the next wait would not end before the caller's deadline", async () => {
    reply(429, errorBody('rate_limited'), { 'retry-after': '30' });
    reply(200, pageBody(records('a')));
    const delays: number[] = [];
    const client = fastClient(agent, { retry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 2, maxElapsedMs: 120_000 }, sleep: async (ms) => void delays.push(ms) });
    const failure = await collect(client.pages(events, { signal: new AbortController().signal, remainingMs: () => 5_000 })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DeadlineError);
    expect((failure as Error).message).toContain('would not end before');
    expect(delays).toEqual([]);
    expect(calls()).toHaveLength(1);
  });

  it('waits until the HTTP-date of a Retry-After', async () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    reply(429, errorBody('rate_limited'), { 'retry-after': 'Wed, 01 May 2024 12:00:04 GMT' });
    reply(200, pageBody(records('a')));
    const delays: number[] = [];
    await collect(fastClient(agent, { now: () => now, sleep: async (ms) => void delays.push(ms) }).pages(events));
    expect(delays).toEqual([4_000]);
  });

  it('backs off with full jitter drawn from the injected random source', async () => {
    for (let i = 0; i < 3; i++) reply(503, errorBody('server_error'));
    reply(200, pageBody(records('a')));
    const delays: number[] = [];
    const retry = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 10_000, maxElapsedMs: 60_000 };
    await collect(fastClient(agent, { retry, random: () => 0.5, sleep: async (ms) => void delays.push(ms) }).pages(events));
    expect(delays).toEqual([50, 100, 200]);
  });

  it('stops after maxAttempts with a RetriesExhaustedError holding the last error', async () => {
    reply(503, errorBody('server_error')).times(3);
    const error = await collect(fastClient(agent, { retry: { maxAttempts: 3, baseDelayMs: 1 } }).pages(events)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error).toMatchObject({ attempts: 3, cause: expect.any(RetriableStatusError) });
    expect(calls()).toHaveLength(3);
  });

  it('stops once maxElapsedMs is spent, however many attempts remain', async () => {
    reply(500, errorBody('server_error')).persist();
    let clock = 0;
    const client = fastClient(agent, {
      retry: { maxAttempts: 100, baseDelayMs: 400, maxDelayMs: 400, maxElapsedMs: 1_000 },
      random: () => 0.999,
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
    });
    const error = await collect(client.pages(events)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error).toMatchObject({ attempts: 4, elapsedMs: 1_000 });
    expect((error as Error).message).toMatch(/retry\.maxElapsedMs/);
  });

  it('retries malformed bodies until attempts run out, then names the malformation', async () => {
    reply(200, 'not json').times(2);
    const error = await collect(fastClient(agent, { retry: { maxAttempts: 2, baseDelayMs: 1 } }).pages(events)).catch((e: unknown) => e);
    expect(error).toMatchObject({ cause: expect.any(MalformedResponseError) });
  });

  it('stops waiting and rethrows the reason when the caller aborts during a backoff', async () => {
    reply(503, errorBody('server_error')).persist();
    const controller = new AbortController();
    const client = fastClient(agent, { retry: { baseDelayMs: 60_000, maxDelayMs: 60_000, maxElapsedMs: 600_000 }, random: () => 0.9 });
    const failing = collect(client.pages(events, { signal: controller.signal }));
    await expect.poll(() => calls().length).toBe(1);
    controller.abort(new Error('shutting down'));
    await expect(failing).rejects.toThrow('shutting down');
    expect(calls()).toHaveLength(1);
  });
});

describe('ConveYourClient: events', () => {
  it('emits retry then response, with params, status, delay and no credentials', async () => {
    reply(503, errorBody('server_error'));
    reply(200, pageBody(records('a')));
    const seen: RequestEvent[] = [];
    await collect(fastClient(agent, { random: () => 0, onEvent: (e) => seen.push(e) }).pages(events));
    expect(seen.map((e) => [e.type, e.attempt, e.status, e.delayMs])).toEqual([
      ['retry', 1, 503, 0],
      ['response', 2, 200, undefined],
    ]);
    expect(seen[0]?.params).toMatchObject({ collection: 'events', start_time: '1700000000' });
    expect(seen[0]?.error).toMatch(/^CONVEYOUR_RETRIABLE_STATUS: /);
    expect(JSON.stringify(seen)).not.toMatch(/SECRET/);
  });

  it('emits failure for an attempt that is not retried', async () => {
    reply(401, errorBody('invalid_credentials'));
    const seen: RequestEvent[] = [];
    await collect(fastClient(agent, { onEvent: (e) => seen.push(e) }).pages(events)).catch(() => undefined);
    expect(seen).toMatchObject([{ type: 'failure', attempt: 1, status: 401, error: expect.stringMatching(/^CONVEYOUR_AUTH/) }]);
  });

  it('ignores a listener that throws', async () => {
    reply(200, pageBody(records('a')));
    const pages = await collect(
      fastClient(agent, {
        onEvent: () => {
          throw new Error('logger broke');
        },
      }).pages(events),
    );
    expect(pages).toHaveLength(1);
  });
});

describe('ConveYourClient: lifecycle and options', () => {
  it('refuses to page after close()', async () => {
    const client = new ConveYourClient({ baseUrl: ORIGIN, credentials: CREDENTIALS, keepAliveTimeoutMs: 10 });
    await client.close();
    expect(() => client.pages(events)).toThrow(/closed/);
  });

  it('rejects a missing token naming the variable, not the value', () => {
    expect(() => new ConveYourClient({ baseUrl: ORIGIN, credentials: { appkey: CREDENTIALS.appkey, token: '' } })).toThrow(
      'credentials.token is required (CONVEYOUR_TOKEN)',
    );
  });

  it('rejects a credential that cannot travel in a header without quoting it', () => {
    const act = () => new ConveYourClient({ baseUrl: ORIGIN, credentials: { appkey: CREDENTIALS.appkey, token: 'bad\ntoken-SECRET' } });
    expect(act).toThrow(/credentials\.token contains characters not allowed/);
    expect(act).not.toThrow(/SECRET/);
  });

  it('rejects a base URL with a path', () => {
    expect(() => new ConveYourClient({ baseUrl: `${ORIGIN}/api`, credentials: CREDENTIALS })).toThrow(/without a path/);
  });
});

it('classifies a retriable network error as NetworkError on the way to exhaustion', async () => {
  agent.get(ORIGIN).intercept({ path: isStreamPath }).replyWithError(Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' })).times(2);
  const error = await collect(fastClient(agent, { retry: { maxAttempts: 2, baseDelayMs: 1 } }).pages(events)).catch((e: unknown) => e);
  expect(error).toMatchObject({ attempts: 2, cause: expect.any(NetworkError) });
});
