/**
 * The simulator's clock is not its caller's: with a clock offset, its stamps, its `now`
 * phrases, its cursor lifetimes and the Date header of every answer are on the server's
 * clock, over real HTTP.
 */
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { API_PATH, FAULT_KINDS, startSimulator, type FaultKind, type Simulator } from '../../infra/local/simulator/index.js';
import { httpDate } from '../../infra/local/simulator/server.js';

const HOST_START_MS = Date.parse('2026-02-01T10:00:00Z');
const agent = new Agent({ keepAliveTimeout: 100, keepAliveMaxTimeout: 100 });
afterAll(() => agent.close());

interface Reply {
  status: number;
  date: string | undefined;
  json: any;
}

async function get(sim: Simulator, params: Record<string, string>, options: { path?: string; method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const url = new URL(options.path ?? API_PATH, sim.url);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const headers = options.headers ?? { 'x-conveyour-appkey': sim.credentials.appkey, 'x-conveyour-token': sim.credentials.token };
  const response = await request(url, { method: (options.method ?? 'GET') as 'GET', headers, dispatcher: agent });
  // A truncated body may fail to read; its headers still count.
  const text = await response.body.text().catch(() => '');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const date = response.headers.date;
  return { status: response.statusCode, date: Array.isArray(date) ? date[0] : date, json };
}

async function started(clockOffsetSeconds: number | { min: number; max: number }, hostClock: { ms: number }, extra: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  return startSimulator({
    seed: 5,
    now: () => hostClock.ms,
    clockOffsetSeconds,
    history: { days: 1, counts: { tags: 3, campaigns: 3, contacts: 20, lessons: 3, triggers: 3, events: 50, message_reports: 3, trigger_logs: 3 } },
    live: { intervalMs: 0, createsPerMinute: { events: 60, contacts: 6 }, updatesPerMinute: { events: 0 }, minVersionGapSeconds: 30 },
    pageSize: 5,
    ...extra,
  });
}

describe.each([150, -150])('simulator clock offset %i s', (offset) => {
  it('stamps new writes on the server clock and evaluates now phrases on it', async () => {
    const host = { ms: HOST_START_MS };
    const sim = await started(offset, host);
    try {
      expect(sim.clockOffsetMs).toBe(offset * 1000);
      expect(sim.now()).toBe(HOST_START_MS + offset * 1000);
      const serverStartSec = HOST_START_MS / 1000 + offset;
      // History ends where the server's clock stood at start, not where the host's did.
      const history = sim.truth.versions({ collection: 'events' });
      expect(Math.max(...history.map((v) => v.updated_at))).toBeLessThan(serverStartSec);

      host.ms += 120_000;
      const serverNowSec = serverStartSec + 120;
      const reply = await get(sim, { collection: 'events', start_time: '-1 minute', end_time: 'now' });
      expect(reply.status).toBe(200);
      const live = sim.truth.versions({ collection: 'events', from: serverStartSec });
      expect(live.length).toBeGreaterThan(100);
      for (const version of live) {
        expect(version.updated_at).toBeGreaterThanOrEqual(serverStartSec);
        expect(version.updated_at).toBeLessThanOrEqual(serverNowSec);
        expect(version.created_at).toBe(version.updated_at);
      }
      // The newest stamp is about 150 s past (or before) the host's now: where the server's clock stands.
      const hostNowSec = host.ms / 1000;
      expect(Math.abs(live.at(-1)!.updated_at - (hostNowSec + offset))).toBeLessThanOrEqual(10);

      // '-1 minute' .. 'now' is the last server minute, exactly.
      const expected = sim.truth.expectedQuery('events', { start: serverNowSec - 60, end: serverNowSec }, serverNowSec);
      expect(expected.length).toBeGreaterThan(40);
      const results: Array<{ _id: string; updated_at: number }> = [...reply.json.data.data.results];
      let cursor: string | undefined = reply.json.data.data.pagination.next_cursor;
      while (cursor !== undefined) {
        const page = await get(sim, { query_id: reply.json.data.data.query_id, cursor });
        results.push(...page.json.data.data.results);
        cursor = page.json.data.data.pagination.next_cursor;
      }
      expect(results.map((r) => [r._id, r.updated_at])).toEqual(expected.map((v) => [v._id, v.updated_at]));
      expect(reply.date).toBe(httpDate(host.ms + offset * 1000));
    } finally {
      await sim.close();
    }
  });

  it('measures cursor lifetimes on the server clock', async () => {
    const host = { ms: HOST_START_MS };
    const sim = await started(offset, host, { cursorTtlSeconds: 60 });
    try {
      const first = await get(sim, { collection: 'events', start_time: '-1 day', end_time: 'now' });
      const { query_id, pagination } = first.json.data.data;
      host.ms += 60_000;
      expect((await get(sim, { query_id, cursor: pagination.next_cursor })).status).toBe(200);
      host.ms += 61_000;
      const expired = await get(sim, { query_id, cursor: pagination.next_cursor });
      expect(expired.status).toBe(410);
      expect(expired.date).toBe(httpDate(host.ms + offset * 1000));
    } finally {
      await sim.close();
    }
  });
});

describe('the Date header', () => {
  const offset = -150;
  const host = { ms: HOST_START_MS + 400 };
  const serverDate = (): string => httpDate(host.ms + offset * 1000);
  let sim: Simulator;

  it('carries the server time on every answer: pages and each error', async () => {
    sim = await started(offset, host, { cursorTtlSeconds: 60 });
    try {
      const first = await get(sim, { collection: 'events', start_time: '-1 day' });
      const { query_id, pagination } = first.json.data.data;
      const replies: Array<[string, Reply]> = [
        ['first page', first],
        ['next page', await get(sim, { query_id, cursor: pagination.next_cursor })],
        ['transcripts', await get(sim, { collection: 'lesson_transcripts', con_id: sim.truth.stateAt('contacts', sim.now() / 1000)[0]!._id, start_time: '0' }, { path: '/api/reports/contactsLessonTranscripts' })],
        ['400 bad_request', await get(sim, { query_id })],
        ['400 invalid_time', await get(sim, { collection: 'events', start_time: 'not a time' })],
        ['401', await get(sim, { collection: 'events', start_time: '0' }, { headers: {} })],
        ['404 not_found', await get(sim, {}, { path: '/elsewhere' })],
        ['404 query_not_found', await get(sim, { query_id: 'f'.repeat(24), cursor: 'x' })],
        ['405', await get(sim, {}, { method: 'POST' })],
      ];
      host.ms += 61_000;
      replies.push(['410 cursor_expired', await get(sim, { query_id, cursor: pagination.next_cursor })]);
      for (const [name, reply] of replies) {
        expect(reply.status, name).toBeGreaterThan(0);
        expect(reply.date, name).toBe(name === '410 cursor_expired' ? serverDate() : httpDate(HOST_START_MS + 400 + offset * 1000));
      }
      expect(replies.map(([, r]) => r.status)).toEqual([200, 200, 200, 400, 400, 401, 404, 404, 405, 410]);
    } finally {
      await sim.close();
    }
  });

  it('carries the server time on the rate limit 429', async () => {
    sim = await started(offset, host, { rateLimit: { requestsPerSecond: 1, burst: 1 } });
    try {
      expect((await get(sim, { collection: 'events', start_time: '0' })).status).toBe(200);
      const limited = await get(sim, { collection: 'events', start_time: '0' });
      expect(limited.status).toBe(429);
      expect(limited.date).toBe(serverDate());
    } finally {
      await sim.close();
    }
  });

  it('carries the server time on every fault that answers', async () => {
    sim = await started(offset, host);
    try {
      const answering = FAULT_KINDS.filter((kind) => kind !== 'hang' && kind !== 'reset');
      // Each kind twice (truncate and nonjson alternate variants), each on a next page (expire, freeze and stall need one).
      const kinds: FaultKind[] = answering.flatMap((kind) => [kind, kind]);
      for (const kind of kinds) {
        const first = await get(sim, { collection: 'events', start_time: '-1 day' });
        sim.setFaults({ schedule: [{ request: 1, kind }] });
        const reply = await get(sim, { query_id: first.json.data.data.query_id, cursor: first.json.data.data.pagination.next_cursor });
        sim.setFaults(undefined);
        expect(reply.date, kind).toBe(serverDate());
      }
      expect(sim.stats().faults).toMatchObject(Object.fromEntries(answering.map((kind) => [kind, 2])));
    } finally {
      await sim.close();
    }
  });
});

describe('a seeded clock offset', () => {
  it('draws the same offset in the range for the same seed', async () => {
    const host = { ms: HOST_START_MS };
    const a = await started({ min: -200, max: 200 }, host);
    const b = await started({ min: -200, max: 200 }, host);
    const c = await started({ min: -200, max: 200 }, host, { seed: 6 });
    try {
      expect(a.clockOffsetMs).toBe(b.clockOffsetMs);
      expect(Math.abs(a.clockOffsetMs)).toBeLessThanOrEqual(200_000);
      expect(c.clockOffsetMs).not.toBe(a.clockOffsetMs);
      expect(a.now()).toBe(HOST_START_MS + a.clockOffsetMs);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('refuses an offset that is not a number of seconds or a range, naming it', async () => {
    await expect(startSimulator({ clockOffsetSeconds: Number.NaN })).rejects.toThrow(/clockOffsetSeconds must be a number of seconds or \{ min, max \}/);
    await expect(startSimulator({ clockOffsetSeconds: { min: 10, max: -10 } })).rejects.toThrow(/clockOffsetSeconds must be/);
  });
});
