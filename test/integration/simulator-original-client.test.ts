/**
 * "The original client works unchanged": a plain HTTP client doing exactly what
 * ConveYour/conveyour-collection-stream's stream.js and collections/lessonTranscripts.js
 * do (re-implemented here, not copied), run against the simulator, gets exactly the
 * truth. The original: first request with collection, start_time, end_time and data=1;
 * then, while data.data.pagination.next_cursor exists, only query_id, cursor and data=1;
 * lesson transcripts: stream contacts, then per contact the same params plus con_id,
 * embedding the contact as `contact`; --watch: poll again with start_time = the unix time
 * at which the previous poll began.
 */
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../infra/local/simulator/index.js';

type Params = Record<string, string | number>;
type Row = { _id: string; updated_at: number; [field: string]: unknown };

const START_MS = Date.parse('2025-06-02T08:30:00Z');
const agent = new Agent({ keepAliveTimeout: 100, keepAliveMaxTimeout: 100 });
const started: Simulator[] = [];

/** axios' params serialiser: encodeURIComponent, then a few characters put back. */
function axiosQuery(params: Params): string {
  const encode = (value: string): string =>
    encodeURIComponent(value).replace(/%3A/gi, ':').replace(/%24/g, '$').replace(/%2C/gi, ',').replace(/%20/g, '+').replace(/%5B/gi, '[').replace(/%5D/gi, ']');
  return Object.entries(params).map(([name, value]) => `${encode(name)}=${encode(String(value))}`).join('&');
}

/** stream.js: one GET per page; the next page sends query_id and cursor only (plus data=1). */
async function originalStream(sim: Simulator, params: Params, callback: (record: Row) => void): Promise<void> {
  params.data = 1;
  const response = await request(`${sim.url}/api/reports/collectionStream?${axiosQuery(params)}`, {
    headers: { 'x-conveyour-appkey': sim.credentials.appkey, 'x-conveyour-token': sim.credentials.token },
    dispatcher: agent,
  });
  // axios rejects on a non-2xx status.
  if (response.statusCode < 200 || response.statusCode >= 300) throw new Error(`HTTP ${response.statusCode}: ${await response.body.text()}`);
  const body = (await response.body.json()) as { data?: { data?: { results?: Row[]; query_id?: string; pagination?: { next_cursor?: string } } } };
  const reportData = body?.data?.data ?? {};
  (reportData.results ?? []).forEach(callback);
  const queryId = reportData.query_id;
  const nextCursor = reportData.pagination?.next_cursor;
  if (!queryId) return;
  if (nextCursor) await originalStream(sim, { query_id: queryId, cursor: nextCursor }, callback);
}

/** lessonTranscripts.js: contacts first, then each contact's transcripts, fired without waiting. */
async function originalLessonTranscripts(sim: Simulator, params: Params, callback: (record: Row) => void): Promise<void> {
  const pending: Array<Promise<void>> = [];
  await originalStream(sim, { ...params, collection: 'contacts' }, (contact) => {
    const transcriptParams = { ...params, collection: 'lesson_transcripts', con_id: contact._id };
    pending.push(originalStream(sim, transcriptParams, (record) => callback({ ...record, contact })));
  });
  await Promise.all(pending);
}

async function simulator(options: SimulatorOptions, clock = { nowMs: START_MS }): Promise<Simulator> {
  const sim = await startSimulator({
    seed: 21,
    now: () => clock.nowMs,
    pageSize: 50,
    history: { days: 4, counts: { tags: 10, campaigns: 10, contacts: 120, lessons: 20, triggers: 10, events: 400, message_reports: 120, trigger_logs: 40 } },
    ...options,
  });
  started.push(sim);
  return sim;
}

const key = (record: { _id: string; updated_at: number }): string => `${record._id}@${record.updated_at}`;

afterEach(async () => {
  await Promise.all(started.splice(0).map((sim) => sim.close()));
});
afterAll(async () => {
  await agent.close();
});

describe('the original client against the simulator', () => {
  it.each(['events', 'contacts', 'message_reports'])('streams %s with strtotime phrases to exactly the truth, byte for byte', async (collection) => {
    // Prepare
    const sim = await simulator({});
    const now = START_MS / 1000;
    const window = { start: now - 3 * 86_400, end: now };
    const records: Row[] = [];
    // Act
    await originalStream(sim, { collection, start_time: '-3 days', end_time: 'now' }, (record) => records.push(record));
    // Assess
    const expected = sim.truth.expectedQuery(collection as 'events', window, now);
    expect(expected.length).toBeGreaterThan(50);
    expect(records.map(key)).toEqual(expected.map(key));
    expect(records).toEqual(expected.map((v) => sim.truth.record(v.collection, v._id, v.updated_at)));
  });

  it('streams lesson_transcripts with each contact embedded, exactly the truth', async () => {
    const sim = await simulator({});
    const now = START_MS / 1000;
    const records: Row[] = [];
    await originalLessonTranscripts(sim, { collection: 'lesson_transcripts', start_time: '-2 days', end_time: 'now' }, (record) => records.push(record));
    const expected = sim.truth.expectedQuery('lesson_transcripts', { start: now - 2 * 86_400, end: now }, now);
    expect(expected.length).toBeGreaterThan(20);
    // Transcript streams run concurrently in the original, so compare per contact.
    const byContact = (rows: Array<{ _id: string; updated_at: number; con_id?: unknown }>): Record<string, string[]> => {
      const grouped: Record<string, string[]> = {};
      for (const row of rows) (grouped[String(row.con_id)] ??= []).push(key(row));
      return grouped;
    };
    expect(byContact(records)).toEqual(byContact(expected));
    for (const record of records) {
      const contact = record.contact as Row;
      expect(contact._id).toBe(record.con_id);
      expect(contact).toEqual(sim.truth.record('contacts', contact._id, contact.updated_at));
    }
  });

  it('observes every version in live mode when --watch polls every minute', async () => {
    // Prepare: live changes, versions at least 180 s apart; the watcher starts 10 minutes back.
    const clock = { nowMs: START_MS };
    const sim = await simulator({ live: { intervalMs: 0, updatesPerMinute: { contacts: 30, message_reports: 30 }, createsPerMinute: { contacts: 10 } } }, clock);
    const from = START_MS / 1000 - 600;
    const seen = new Set<string>();
    const params: Params = { collection: 'contacts', start_time: from };
    // Act: 20 polls, one simulated minute apart, each from the start time of the previous one.
    for (let poll = 0; poll < 20; poll++) {
      const pollStarted = Math.floor(clock.nowMs / 1000);
      await originalStream(sim, { ...params }, (record) => seen.add(key(record)));
      params.start_time = pollStarted;
      clock.nowMs += 60_000;
    }
    // Assess: every version created or updated since `from`, up to the last poll, was seen.
    const expected = sim.truth.versions({ collection: 'contacts', from, to: Math.floor(clock.nowMs / 1000) - 60 });
    expect(expected.length).toBeGreaterThan(100);
    expect(expected.map(key).filter((k) => !seen.has(k))).toEqual([]);
  });
});
