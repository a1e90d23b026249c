/**
 * Bursts: records created all in one second. Over the query cap, that second cannot be read
 * whole through any window, since the API filters by whole seconds; checked over real HTTP.
 */
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { API_PATH, startSimulator, type Simulator } from '../../infra/local/simulator/index.js';

const NOW_MS = Date.parse('2026-03-01T08:00:00Z');
const NOW = NOW_MS / 1000;
const agent = new Agent({ keepAliveTimeout: 100, keepAliveMaxTimeout: 100 });
afterAll(() => agent.close());
const SMALL = { tags: 3, campaigns: 3, contacts: 20, lessons: 3, triggers: 3, events: 200, message_reports: 3, trigger_logs: 3 };

async function page(sim: Simulator, params: Record<string, string>): Promise<any> {
  const url = new URL(API_PATH, sim.url);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const response = await request(url, { headers: { 'x-conveyour-appkey': sim.credentials.appkey, 'x-conveyour-token': sim.credentials.token }, dispatcher: agent });
  expect(response.statusCode).toBe(200);
  return ((await response.body.json()) as any).data.data;
}

/** Every record a query returns over all its pages: `_id` and `updated_at` only. */
async function readAll(sim: Simulator, collection: string, start: string, end: string): Promise<Array<{ _id: string; updated_at: number }>> {
  let current = await page(sim, { collection, start_time: start, end_time: end });
  const out: Array<{ _id: string; updated_at: number }> = [];
  for (;;) {
    for (const record of current.results) out.push({ _id: record._id, updated_at: record.updated_at });
    const cursor = current.pagination.next_cursor;
    if (cursor === undefined) return out;
    current = await page(sim, { query_id: current.query_id, cursor });
  }
}

describe('a burst over the API cap', () => {
  it('puts 100,050 records in one second of history, and no window reads that second whole', async () => {
    const sim = await startSimulator({
      seed: 9,
      now: () => NOW_MS,
      pageSize: 25_000,
      history: { days: 1, counts: SMALL, updates: false },
      bursts: [{ collection: 'events', records: 100_050, atSeconds: -3600 }],
    });
    try {
      const second = NOW - 3600;
      expect(sim.truth.bursts()).toEqual([{ collection: 'events', records: 100_050, second, overCap: true }]);
      const expected = sim.truth.expectedQuery('events', { start: second, end: second + 1 }, NOW);
      expect(expected).toHaveLength(100_050);
      expect(expected.every((v) => v.created_at === second && v.updated_at === second)).toBe(true);

      // The narrowest window the API can express: one whole second. It stops at the cap.
      const narrowest = await readAll(sim, 'events', String(second), String(second + 1));
      expect(narrowest).toHaveLength(100_000);
      expect(narrowest.map((r) => r._id)).toEqual(expected.slice(0, 100_000).map((v) => v._id));
      const read = new Set(narrowest.map((r) => r._id));
      expect(expected.filter((v) => !read.has(v._id))).toHaveLength(50);
    } finally {
      await sim.close();
    }
  }, 60_000);
});

describe('bursts', () => {
  it('creates a live burst when its second comes, in creation order with the live rate around it', async () => {
    const clock = { ms: NOW_MS };
    const sim = await startSimulator({
      seed: 9,
      now: () => clock.ms,
      pageSize: 100,
      queryCap: 400,
      history: { days: 1, counts: SMALL },
      live: { intervalMs: 0, createsPerMinute: { events: 60 } },
      bursts: [{ collection: 'events', records: 500, atSeconds: 30 }, { collection: 'contacts', records: 40, atSeconds: 31 }],
    });
    try {
      const second = NOW + 30;
      clock.ms += 29_000;
      sim.advanceLive();
      expect(sim.truth.versions({ collection: 'events', from: second })).toHaveLength(0);
      clock.ms += 31_000;
      sim.advanceLive();
      const inSecond = sim.truth.versions({ collection: 'events', from: second, to: second + 1 });
      expect(inSecond.length).toBeGreaterThanOrEqual(500);
      expect(inSecond.length).toBeLessThanOrEqual(502);
      // The live rate still creates records before and after the burst.
      expect(sim.truth.versions({ collection: 'events', from: NOW + 1, to: second }).length).toBeGreaterThan(20);
      expect(sim.truth.versions({ collection: 'events', from: second + 1 }).length).toBeGreaterThan(20);
      // Over this simulator's cap of 400: a one-second window stops at the cap, and a wider
      // one only adds records of other seconds to the same cap; what neither reads stays unread.
      const narrowest = await readAll(sim, 'events', String(second), String(second + 1));
      expect(narrowest).toHaveLength(400);
      const wider = await readAll(sim, 'events', String(second - 20), String(second + 20));
      expect(wider).toHaveLength(400);
      expect(wider.some((r) => r.updated_at < second)).toBe(true);
      const read = new Set([...narrowest, ...wider].map((r) => r._id));
      expect(inSecond.filter((v) => !read.has(v._id)).length).toBe(inSecond.length - 400);
      expect(sim.truth.bursts().map((b) => [b.collection, b.second, b.overCap])).toEqual([['events', second, true], ['contacts', second + 1, false]]);
      // Contacts of a burst get their transcripts, created with them.
      const contacts = sim.truth.versions({ collection: 'contacts', from: second + 1, to: second + 2 });
      expect(contacts).toHaveLength(40);
      const transcripts = sim.truth.versions({ collection: 'lesson_transcripts', from: second + 1, to: second + 2 });
      expect(transcripts.length).toBeGreaterThan(20);
      expect(new Set(transcripts.map((t) => t.con_id)).size).toBeLessThanOrEqual(40);
    } finally {
      await sim.close();
    }
  });

  it('leaves the data as it is without bursts', async () => {
    const options = { seed: 9, now: () => NOW_MS, history: { days: 1, counts: SMALL } };
    const plain = await startSimulator(options);
    const empty = await startSimulator({ ...options, bursts: [] });
    try {
      expect(empty.truth.versions({ collection: 'events' })).toEqual(plain.truth.versions({ collection: 'events' }));
      expect(plain.truth.bursts()).toEqual([]);
    } finally {
      await Promise.all([plain.close(), empty.close()]);
    }
  });
});
