/**
 * Every fault kind as a plain HTTP client sees it, and the promise that makes them safe
 * to retry: a faulted request changes nothing, so the retry gets the same page.
 */
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { API_PATH, startSimulator, TRANSCRIPTS_PATH, type FaultConfig, type Simulator } from '../../infra/local/simulator/index.js';

const NOW_MS = Date.parse('2025-03-10T12:00:00Z');
const agent = new Agent({ keepAliveTimeout: 100, keepAliveMaxTimeout: 100 });
let sim: Simulator;

function url(params: Record<string, string>): URL {
  const target = new URL(API_PATH, sim.url);
  for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value);
  return target;
}

const headers = (): Record<string, string> => ({ 'x-conveyour-appkey': sim.credentials.appkey, 'x-conveyour-token': sim.credentials.token });
const FIRST = { collection: 'events', start_time: '0', data: '1' };

async function get(params: Record<string, string>, timeoutMs = 2_000): Promise<{ status: number; contentType: string; text: string }> {
  const response = await request(url(params), { headers: headers(), dispatcher: agent, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  return { status: response.statusCode, contentType: String(response.headers['content-type']), text: await response.body.text() };
}

/** A first page without faults, to compare against and to page from. */
async function cleanFirstPage(): Promise<{ text: string; next: Record<string, string> }> {
  const { text } = await get(FIRST);
  const { query_id, pagination } = JSON.parse(text).data.data;
  return { text, next: { query_id, cursor: pagination.next_cursor, data: '1' } };
}

function withFaults(config: FaultConfig): void {
  sim.setFaults(config);
}

beforeEach(async () => {
  sim = await startSimulator({ seed: 9, now: () => NOW_MS, pageSize: 10, history: { days: 3, counts: { contacts: 20, events: 40 } } });
});
afterEach(async () => {
  await sim.close();
});
afterAll(async () => {
  await agent.close();
});

describe('simulator faults seen by a plain client', () => {
  it('answers 429 with the configured Retry-After (0 allowed) and a rate_limited body', async () => {
    withFaults({ schedule: [{ request: 1, kind: '429' }], retryAfterSeconds: 0 });
    const response = await request(url(FIRST), { headers: headers(), dispatcher: agent });
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('0');
    expect(await response.body.json()).toEqual({ success: false, error: { code: 'rate_limited', message: expect.any(String) } });
  });

  it.each(['500', '502', '503'] as const)('answers %s with a JSON server_error body', async (kind) => {
    withFaults({ schedule: [{ request: 1, kind }] });
    const reply = await get(FIRST);
    expect(reply.status).toBe(Number(kind));
    expect(JSON.parse(reply.text).error.code).toBe('server_error');
  });

  it('hangs without answering until the client gives up', async () => {
    withFaults({ schedule: [{ request: 1, kind: 'hang' }] });
    await expect(get(FIRST, 200)).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
  });

  it('drops a hung connection after hangMs when configured', async () => {
    withFaults({ schedule: [{ request: 1, kind: 'hang' }], hangMs: 50 });
    await expect(get(FIRST, 5_000)).rejects.toMatchObject({ code: 'UND_ERR_SOCKET' });
  });

  it('lets close() end a hung request at once', async () => {
    // Prepare: a request that would wait forever.
    withFaults({ schedule: [{ request: 1, kind: 'hang' }] });
    const pending = request(url(FIRST), { headers: headers(), dispatcher: agent, headersTimeout: 0, bodyTimeout: 0 });
    const outcome = pending.then(() => 'answered', () => 'failed');
    await vi.waitFor(() => expect(sim.stats().faults.hang).toBe(1));
    // Act
    const started = Date.now();
    await sim.close();
    // Assess
    expect(await outcome).toBe('failed');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('resets the connection without an answer', async () => {
    withFaults({ schedule: [{ request: 1, kind: 'reset' }] });
    await expect(get(FIRST)).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|UND_ERR_SOCKET/) });
  });

  it('truncates a body under its full Content-Length, then drops the connection', async () => {
    const clean = await cleanFirstPage();
    withFaults({ schedule: [{ request: 1, kind: 'truncate' }] });
    const response = await request(url(clean.next), { headers: headers(), dispatcher: agent });
    expect(response.statusCode).toBe(200);
    expect(Number(response.headers['content-length'])).toBeGreaterThan(100);
    await expect(response.body.text()).rejects.toThrow();
  });

  it('ends the second truncation cleanly with cut-off JSON', async () => {
    const clean = await cleanFirstPage();
    withFaults({ schedule: [{ request: 1, kind: 'truncate' }, { request: 2, kind: 'truncate' }] });
    await request(url(FIRST), { headers: headers(), dispatcher: agent }).then((r) => r.body.text()).catch(() => undefined);
    const reply = await get(FIRST);
    expect(reply.status).toBe(200);
    expect(clean.text.startsWith(reply.text)).toBe(true);
    expect(reply.text.length).toBeLessThan(clean.text.length);
    expect(() => JSON.parse(reply.text)).toThrow();
  });

  it('answers nonjson with an HTML page, first with 200 then with 502', async () => {
    withFaults({ schedule: [{ request: 1, kind: 'nonjson' }, { request: 2, kind: 'nonjson' }] });
    const replies = [await get(FIRST), await get(FIRST)];
    expect(replies.map((r) => r.status)).toEqual([200, 502]);
    for (const reply of replies) {
      expect(reply.contentType).toMatch(/^text\/html/);
      expect(reply.text).toMatch(/^<(!DOCTYPE )?html>/i);
    }
  });

  it('answers expire with 410 cursor_expired, and the cursor still works afterwards', async () => {
    const clean = await cleanFirstPage();
    withFaults({ schedule: [{ request: 1, kind: 'expire' }] });
    const expired = await get(clean.next);
    const retried = await get(clean.next);
    expect(expired.status).toBe(410);
    expect(JSON.parse(expired.text).error.code).toBe('cursor_expired');
    expect(retried.status).toBe(200);
  });

  it('answers badcreds with 401 invalid_credentials even to good credentials', async () => {
    withFaults({ schedule: [{ request: 1, kind: 'badcreds' }] });
    const reply = await get(FIRST);
    expect(reply.status).toBe(401);
    expect(JSON.parse(reply.text).error.code).toBe('invalid_credentials');
  });
});

describe('simulator faults change nothing', () => {
  it('serves the same next page after a fault on it, without counting the faulted one', async () => {
    // Prepare
    const clean = await cleanFirstPage();
    const expected = await get(clean.next);
    const servedBefore = sim.stats().pagesServed;
    withFaults({ schedule: [{ request: 1, kind: 'truncate' }, { request: 2, kind: '503' }] });
    // Act
    await request(url(clean.next), { headers: headers(), dispatcher: agent }).then((r) => r.body.text()).catch(() => undefined);
    await get(clean.next);
    const retried = await get(clean.next);
    // Assess
    expect(retried.text).toBe(expected.text);
    expect(sim.stats().pagesServed).toBe(servedBefore + 1);
    expect(sim.stats().faults).toMatchObject({ truncate: 1, '503': 1 });
  });

  it('opens no query for a faulted first page', async () => {
    withFaults({ schedule: [{ request: 1, kind: 'truncate' }, { request: 2, kind: 'truncate' }] });
    await request(url(FIRST), { headers: headers(), dispatcher: agent }).then((r) => r.body.text()).catch(() => undefined);
    await get(FIRST);
    expect(sim.stats().queriesOpened).toBe(0);
  });

  it('injects rate-based faults reproducibly for the same fault seed', async () => {
    const statuses = async (): Promise<number[]> => {
      withFaults({ seed: 4, rate: { '500': 0.3, '503': 0.3 } });
      const seen = [];
      for (let i = 0; i < 12; i++) seen.push((await get({ collection: 'tags', start_time: '0', data: '1' })).status);
      return seen;
    };
    const [a, b] = [await statuses(), await statuses()];
    expect(a.filter((s) => s !== 200).length).toBeGreaterThan(0);
    expect(b).toEqual(a);
  });

  it('applies rates only to next pages with onlyFor next', async () => {
    withFaults({ rate: { '500': 1 }, onlyFor: 'next' });
    const first = await get(FIRST);
    const { query_id, pagination } = JSON.parse(first.text).data.data;
    const next = await get({ query_id, cursor: pagination.next_cursor, data: '1' });
    expect([first.status, next.status]).toEqual([200, 500]);
  });
});

describe('simulator faults on contactsLessonTranscripts', () => {
  const transcripts = (): URL => {
    const target = new URL(TRANSCRIPTS_PATH, sim.url);
    const contact = sim.truth.stateAt('contacts', NOW_MS / 1000)[0]!;
    for (const [name, value] of Object.entries({ collection: 'lesson_transcripts', start_time: '0', con_id: contact._id, data: '1' })) target.searchParams.set(name, value);
    return target;
  };

  it('injects scheduled faults there too', async () => {
    withFaults({ schedule: [{ request: 1, kind: '503' }] });
    const faulted = await request(transcripts(), { headers: headers(), dispatcher: agent });
    await faulted.body.text();
    const retried = await request(transcripts(), { headers: headers(), dispatcher: agent });
    await retried.body.text();
    expect([faulted.statusCode, retried.statusCode]).toEqual([503, 200]);
  });

  it('applies the rate limit there too', async () => {
    await sim.close();
    sim = await startSimulator({ seed: 9, now: () => NOW_MS, pageSize: 10, rateLimit: { requestsPerSecond: 1, burst: 1 }, history: { days: 3, counts: { contacts: 20, events: 40 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) {
      const response = await request(transcripts(), { headers: headers(), dispatcher: agent });
      await response.body.text();
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([200, 429]);
  });
});
