/**
 * Query semantics over real HTTP: snapshots, the cap, idempotent cursors, expiry on the
 * injectable clock, determinism, rate limiting, and agreement with the truth view.
 */
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { API_PATH, startSimulator, type Simulator, type SimulatorOptions } from '../../infra/local/simulator/index.js';

const START_MS = Date.parse('2025-03-10T12:00:00Z');
const agent = new Agent({ keepAliveTimeout: 100, keepAliveMaxTimeout: 100 });
const started: Simulator[] = [];

interface Clock {
  nowMs: number;
}

async function simulator(options: SimulatorOptions = {}, clock: Clock = { nowMs: START_MS }): Promise<Simulator> {
  const sim = await startSimulator({
    seed: 5,
    now: () => clock.nowMs,
    pageSize: 25,
    history: { days: 5, counts: { tags: 5, campaigns: 5, contacts: 60, lessons: 5, triggers: 5, events: 200, message_reports: 30, trigger_logs: 5 } },
    ...options,
  });
  started.push(sim);
  return sim;
}

async function get(sim: Simulator, params: Record<string, string>): Promise<{ status: number; text: string; json: any; headers: Record<string, unknown> }> {
  const url = new URL(API_PATH, sim.url);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const response = await request(url, { headers: { 'x-conveyour-appkey': sim.credentials.appkey, 'x-conveyour-token': sim.credentials.token }, dispatcher: agent });
  const text = await response.body.text();
  return { status: response.statusCode, text, json: text.startsWith('{') ? JSON.parse(text) : undefined, headers: response.headers };
}

/** Every page of one query, as the raw bodies. */
async function pageAll(sim: Simulator, params: Record<string, string>, between?: (pageNumber: number) => void): Promise<string[]> {
  const bodies: string[] = [];
  let reply = await get(sim, { ...params, data: '1' });
  for (;;) {
    expect(reply.status).toBe(200);
    bodies.push(reply.text);
    const { query_id, pagination } = reply.json.data.data;
    if (pagination.next_cursor === undefined) return bodies;
    between?.(bodies.length);
    reply = await get(sim, { query_id, cursor: pagination.next_cursor, data: '1' });
  }
}

const records = (bodies: string[]): Array<{ _id: string; updated_at: number }> => bodies.flatMap((b) => JSON.parse(b).data.data.results);
const versionKeys = (list: Array<{ _id: string; updated_at: number }>): string[] => list.map((r) => `${r._id}@${r.updated_at}`);

afterEach(async () => {
  await Promise.all(started.splice(0).map((sim) => sim.close()));
});
afterAll(async () => {
  await agent.close();
});

describe('simulator queries', () => {
  it('returns exactly what the truth view expects for a full paging of a window', async () => {
    const sim = await simulator();
    const window = { start: START_MS / 1000 - 3 * 86_400, end: START_MS / 1000 - 3600 };
    const bodies = await pageAll(sim, { collection: 'contacts', start_time: String(window.start), end_time: String(window.end) });
    expect(versionKeys(records(bodies))).toEqual(versionKeys(sim.truth.expectedQuery('contacts', window, START_MS / 1000)));
  });

  it('agrees with an independent recomputation from truth.versions', async () => {
    const sim = await simulator();
    const now = START_MS / 1000;
    const window = { start: now - 2 * 86_400, end: now };
    // Prepare: state at `now` = each record's latest version, then the API's filter.
    const latest = new Map<string, { _id: string; created_at: number; updated_at: number }>();
    for (const v of sim.truth.versions({ collection: 'message_reports', to: now + 1 })) latest.set(v._id, v);
    const expected = [...latest.values()]
      .filter((v) => (v.updated_at >= window.start && v.updated_at < window.end) || (v.created_at >= window.start && v.created_at < window.end))
      .sort((a, b) => a.updated_at - b.updated_at || (a._id < b._id ? -1 : 1));
    // Act
    const bodies = await pageAll(sim, { collection: 'message_reports', start_time: String(window.start), end_time: String(window.end) });
    // Assess
    expect(versionKeys(records(bodies))).toEqual(versionKeys(expected));
  });

  it('keeps serving the snapshot taken at the first page while live updates happen', async () => {
    const clock = { nowMs: START_MS };
    const sim = await simulator({ live: { intervalMs: 0, updatesPerMinute: { contacts: 600 }, createsPerMinute: { contacts: 60 } } }, clock);
    const window = { start: START_MS / 1000 - 5 * 86_400, end: START_MS / 1000 + 7200 };
    const expected = sim.truth.expectedQuery('contacts', window, START_MS / 1000);
    // Act: five minutes of live changes after the first page (within the cursor lifetime).
    const bodies = await pageAll(sim, { collection: 'contacts', start_time: String(window.start), end_time: String(window.end) }, (page) => {
      if (page === 1) {
        clock.nowMs += 300_000;
        expect(sim.advanceLive()).toBeGreaterThan(0);
      }
    });
    // Assess: the pages are the snapshot; a new query sees the changes.
    expect(versionKeys(records(bodies))).toEqual(versionKeys(expected));
    const fresh = records(await pageAll(sim, { collection: 'contacts', start_time: String(window.start), end_time: String(window.end) }));
    expect(versionKeys(fresh)).not.toEqual(versionKeys(expected));
  });

  it('returns at most queryCap records over all pages, the first ones in order', async () => {
    const sim = await simulator({ queryCap: 60 });
    const window = { start: 0, end: START_MS / 1000 };
    const bodies = await pageAll(sim, { collection: 'events', start_time: '0', end_time: String(window.end) });
    expect(bodies).toHaveLength(3);
    expect(versionKeys(records(bodies))).toEqual(versionKeys(sim.truth.expectedQuery('events', window, START_MS / 1000).slice(0, 60)));
  });

  it('answers the same cursor twice with the same page', async () => {
    const sim = await simulator();
    const first = (await get(sim, { collection: 'events', start_time: '0', data: '1' })).json.data.data;
    const params = { query_id: first.query_id, cursor: first.pagination.next_cursor, data: '1' };
    const again = [await get(sim, params), await get(sim, params)];
    expect(again[0]!.status).toBe(200);
    expect(again[1]!.text).toBe(again[0]!.text);
  });

  it('expires a cursor idle longer than cursorTtlSeconds with 410 cursor_expired', async () => {
    const clock = { nowMs: START_MS };
    const sim = await simulator({ cursorTtlSeconds: 60 }, clock);
    const first = (await get(sim, { collection: 'events', start_time: '0', data: '1' })).json.data.data;
    const params = { query_id: first.query_id, cursor: first.pagination.next_cursor, data: '1' };
    clock.nowMs += 60_000;
    expect((await get(sim, params)).status).toBe(200);
    clock.nowMs += 61_000;
    const expired = await get(sim, params);
    expect(expired.status).toBe(410);
    expect(expired.json.error.code).toBe('cursor_expired');
  });

  it('gives the same bytes for the same seed and clock', async () => {
    const pages = async (): Promise<string[]> => {
      const sim = await simulator({ seed: 42 });
      return [
        ...(await pageAll(sim, { collection: 'contacts', start_time: '0' })),
        ...(await pageAll(sim, { collection: 'lessons', start_time: '0' })),
      ];
    };
    const [a, b] = [await pages(), await pages()];
    expect(a.length).toBeGreaterThan(2);
    expect(b).toEqual(a);
  });

  it('gives different data for a different seed', async () => {
    const one = await simulator({ seed: 1 });
    const two = await simulator({ seed: 2 });
    const params = { collection: 'contacts', start_time: '0', data: '1' };
    expect((await get(one, params)).json.data.data.results).not.toEqual((await get(two, params)).json.data.data.results);
  });

  it('answers 404 query_not_found to a query of a previous instance', async () => {
    const clock = { nowMs: START_MS };
    const before = await simulator({}, clock);
    const first = (await get(before, { collection: 'events', start_time: '0', data: '1' })).json.data.data;
    clock.nowMs += 1;
    const after = await simulator({}, clock);
    const reply = await get(after, { query_id: first.query_id, cursor: first.pagination.next_cursor, data: '1' });
    expect(reply.status).toBe(404);
  });

  it('rate limits beyond the burst with 429 and Retry-After', async () => {
    const sim = await simulator({ rateLimit: { requestsPerSecond: 1, burst: 2 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(await get(sim, { collection: 'tags', start_time: '0', data: '1' }));
    expect(statuses.map((s) => s.status)).toEqual([200, 200, 429]);
    expect(statuses[2]!.headers['retry-after']).toBe('1');
    expect(statuses[2]!.json.error.code).toBe('rate_limited');
    expect(sim.stats().rateLimited).toBe(1);
  });

  it('advances live data on its timer as the clock moves', async () => {
    const clock = { nowMs: START_MS };
    const sim = await simulator({ live: { intervalMs: 10 } }, clock);
    clock.nowMs += 120_000;
    await vi.waitFor(() => expect(sim.stats().liveVersionsAdded).toBeGreaterThan(100));
    expect(sim.truth.versions({ collection: 'events', from: START_MS / 1000 + 1 }).length).toBeGreaterThan(100);
  });

  it('adds nothing in advanceLive when live mode is off', async () => {
    const clock = { nowMs: START_MS };
    const sim = await simulator({}, clock);
    clock.nowMs += 3600_000;
    expect(sim.advanceLive()).toBe(0);
  });

  it('counts requests, queries and pages in stats', async () => {
    const sim = await simulator();
    const bodies = await pageAll(sim, { collection: 'events', start_time: '0' });
    expect(sim.stats()).toMatchObject({ requests: bodies.length, queriesOpened: 1, pagesServed: bodies.length, openQueries: 1 });
  });
});
