/**
 * "The original client works unchanged": a plain HTTP client doing exactly what
 * ConveYour/conveyour-collection-stream's stream.js and collections/lessonTranscripts.js
 * do (re-implemented here, not copied), run against the simulator, sends exactly the
 * original's requests and gets exactly the truth. The original:
 * - stream.js: GET /api/reports/{report} (collectionStream unless told otherwise) with the
 *   caller's params plus data=1; while data.data.pagination.next_cursor exists, the next
 *   page sends only query_id, cursor and data=1, to the same report; each record is awaited
 *   by the callback before the next.
 * - lessonTranscripts.js: stream collection=contacts; for each contact, awaited, stream
 *   report contactsLessonTranscripts with the caller's params (collection=lesson_transcripts,
 *   the same start_time/end_time) plus con_id, embedding the contact as `contact`.
 * - --watch: poll again with start_time = the unix time at which the previous poll began.
 * Our own client must send the same sequence, with the times as unix seconds.
 */
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConveYourClient } from '../../functions/conveyour/client.js';
import type { CollectionName } from '../../functions/conveyour/collections.js';
import { streamCollection } from '../../functions/conveyour/stream.js';
import { startSimulator, type LoggedRequest, type Simulator, type SimulatorOptions } from '../../infra/local/simulator/index.js';

type Params = Record<string, string | number>;
type Row = { _id: string; updated_at: number; [field: string]: unknown };
/** What a client sent: the report path and the query parameters in order. */
type Sent = { path: string; params: Array<[string, string]> };

const START_MS = Date.parse('2025-06-02T08:30:00Z');
const NOW = START_MS / 1000;
const STREAM = '/api/reports/collectionStream';
const TRANSCRIPTS = '/api/reports/contactsLessonTranscripts';
const ORDINARY = ['campaigns', 'contacts', 'events', 'lessons', 'message_reports', 'tags', 'triggers', 'trigger_logs'] as const;
const agent = new Agent({ keepAliveTimeout: 100, keepAliveMaxTimeout: 100 });
const started: Simulator[] = [];

/** axios' params serialiser: encodeURIComponent, then a few characters put back. */
function axiosQuery(params: Params): string {
  const encode = (value: string): string =>
    encodeURIComponent(value).replace(/%3A/gi, ':').replace(/%24/g, '$').replace(/%2C/gi, ',').replace(/%20/g, '+').replace(/%5B/gi, '[').replace(/%5D/gi, ']');
  return Object.entries(params).map(([name, value]) => `${encode(name)}=${encode(String(value))}`).join('&');
}

interface OriginalConfig {
  params: Params;
  callback: (record: Row) => Promise<void> | void;
  report?: string;
}

/** The original client, re-implemented; `sent` records every request it makes, in order. */
class OriginalClient {
  readonly sent: Sent[] = [];
  constructor(private readonly sim: Simulator) {}

  /** stream.js: one GET per page; the params object is the caller's, data=1 set on it. */
  async stream({ params, callback, report = 'collectionStream' }: OriginalConfig): Promise<void> {
    params.data = 1;
    const path = `/api/reports/${report}`;
    this.sent.push({ path, params: Object.entries(params).map(([name, value]) => [name, String(value)]) });
    const response = await request(`${this.sim.url}${path}?${axiosQuery(params)}`, {
      headers: { 'x-conveyour-appkey': this.sim.credentials.appkey, 'x-conveyour-token': this.sim.credentials.token },
      dispatcher: agent,
    });
    // axios rejects on a non-2xx status.
    if (response.statusCode < 200 || response.statusCode >= 300) throw new Error(`HTTP ${response.statusCode}: ${await response.body.text()}`);
    const body = (await response.body.json()) as { data?: { data?: { results?: Row[]; query_id?: string; pagination?: { next_cursor?: string } } } };
    const reportData = body?.data?.data ?? {};
    for (const result of reportData.results ?? []) await callback(result);
    const queryId = reportData.query_id;
    const nextCursor = reportData.pagination?.next_cursor;
    if (!queryId) return;
    if (nextCursor) await this.stream({ params: { query_id: queryId, cursor: nextCursor }, callback, report });
  }

  /** lessonTranscripts.js: contacts first; per contact, awaited, its transcripts on contactsLessonTranscripts. */
  async lessonTranscripts(params: Params, callback: (record: Row) => void): Promise<void> {
    const contactsParams = { ...structuredClone(params), collection: 'contacts' };
    const transcriptParams = params;
    await this.stream({
      params: contactsParams,
      callback: async (contact) => {
        transcriptParams.con_id = contact._id;
        await this.stream({ params: transcriptParams, report: 'contactsLessonTranscripts', callback: (record) => callback({ ...record, contact }) });
      },
    });
  }

  /** index.js: lesson_transcripts goes through lessonTranscripts, everything else through stream. */
  async run(params: Params, callback: (record: Row) => void): Promise<void> {
    if (params.collection === 'lesson_transcripts') return this.lessonTranscripts(params, callback);
    return this.stream({ params, callback });
  }
}

const OPTIONS: SimulatorOptions = {
  seed: 21,
  pageSize: 20,
  recordRequests: true,
  history: { days: 4, counts: { tags: 30, campaigns: 30, contacts: 120, lessons: 40, triggers: 30, events: 400, message_reports: 120, trigger_logs: 60 } },
};

async function simulator(options: SimulatorOptions = {}, clock = { nowMs: START_MS }): Promise<Simulator> {
  const sim = await startSimulator({ ...OPTIONS, now: () => clock.nowMs, ...options });
  started.push(sim);
  return sim;
}

const key = (record: { _id: string; updated_at: number }): string => `${record._id}@${record.updated_at}`;
const sentOf = (log: LoggedRequest[]): Sent[] => log.map(({ path, params }) => ({ path, params }));
const pagesFor = (records: number, pageSize: number): number => Math.max(1, Math.ceil(records / pageSize));
const nextPages = (path: string, count: number): Sent[] =>
  Array.from({ length: count }, () => ({ path, params: [['query_id', expect.any(String)], ['cursor', expect.any(String)], ['data', '1']] as Array<[string, string]> }));

/** The original's requests for an ordinary collection: the first page, then next pages on the same path. */
function expectedOrdinary(sim: Simulator, collection: CollectionName, times: { start_time: string; end_time: string }, window: { start: number; end: number }, pageSize: number): Sent[] {
  const matched = sim.truth.expectedQuery(collection, window, NOW).length;
  return [
    { path: STREAM, params: [['collection', collection], ['start_time', times.start_time], ['end_time', times.end_time], ['data', '1']] },
    ...nextPages(STREAM, pagesFor(matched, pageSize) - 1),
  ];
}

/** The original's requests for lesson_transcripts: each contacts page, then each of its contacts' transcripts queries. */
function expectedTranscripts(sim: Simulator, times: { start_time: string; end_time: string }, window: { start: number; end: number }, pageSize: number): Sent[] {
  const contacts = sim.truth.expectedQuery('contacts', window, NOW);
  const sent: Sent[] = [];
  for (let page = 0; page < pagesFor(contacts.length, pageSize); page++) {
    sent.push(page === 0
      ? { path: STREAM, params: [['collection', 'contacts'], ['start_time', times.start_time], ['end_time', times.end_time], ['data', '1']] }
      : nextPages(STREAM, 1)[0]!);
    for (const contact of contacts.slice(page * pageSize, (page + 1) * pageSize)) {
      const transcripts = sim.truth.expectedQuery('lesson_transcripts', window, NOW, { conId: contact._id }).length;
      sent.push({
        path: TRANSCRIPTS,
        params: [['collection', 'lesson_transcripts'], ['start_time', times.start_time], ['end_time', times.end_time], ['con_id', contact._id], ['data', '1']],
      });
      sent.push(...nextPages(TRANSCRIPTS, pagesFor(transcripts, pageSize) - 1));
    }
  }
  return sent;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((sim) => sim.close()));
});
afterAll(async () => {
  await agent.close();
});

describe('the original client against the simulator', () => {
  it.each(ORDINARY)('streams %s with strtotime phrases to exactly the truth, byte for byte, with the original request sequence', async (collection) => {
    // Prepare
    const sim = await simulator();
    const window = { start: NOW - 3 * 86_400, end: NOW };
    const original = new OriginalClient(sim);
    const records: Row[] = [];
    // Act
    await original.run({ collection, start_time: '-3 days', end_time: 'now' }, (record) => void records.push(record));
    // Assess
    const expected = sim.truth.expectedQuery(collection, window, NOW);
    expect(expected.length).toBeGreaterThan(OPTIONS.pageSize!);
    expect(records.map(key)).toEqual(expected.map(key));
    expect(records).toEqual(expected.map((v) => sim.truth.record(v.collection, v._id, v.updated_at)));
    expect(original.sent).toEqual(expectedOrdinary(sim, collection, { start_time: '-3 days', end_time: 'now' }, window, OPTIONS.pageSize!));
    expect(sentOf(sim.requestLog())).toEqual(original.sent);
  });

  it('streams lesson_transcripts only through contactsLessonTranscripts, each contact embedded, exactly the truth', async () => {
    // Prepare: pages of 2, so contacts and transcripts both have next pages.
    const sim = await simulator({ pageSize: 2 });
    const window = { start: NOW - 2 * 86_400, end: NOW };
    const original = new OriginalClient(sim);
    const records: Row[] = [];
    // Act
    await original.run({ collection: 'lesson_transcripts', start_time: '-2 days', end_time: 'now' }, (record) => void records.push(record));
    // Assess: the original reads contacts one at a time, so the order is the truth's order.
    const expected = sim.truth.expectedQuery('lesson_transcripts', window, NOW);
    expect(expected.length).toBeGreaterThan(20);
    expect(records.map(key)).toEqual(expected.map(key));
    for (const record of records) {
      const contact = record.contact as Row;
      expect(contact._id).toBe(record.con_id);
      expect(contact).toEqual(sim.truth.record('contacts', contact._id, contact.updated_at));
    }
    const sequence = expectedTranscripts(sim, { start_time: '-2 days', end_time: 'now' }, window, 2);
    expect(sequence.filter((s) => s.path === TRANSCRIPTS && s.params[0]![0] === 'query_id').length).toBeGreaterThan(0);
    expect(original.sent).toEqual(sequence);
    expect(sentOf(sim.requestLog())).toEqual(original.sent);
    expect(sim.requestLog().filter((r) => r.params.some(([name, value]) => name === 'collection' && value === 'lesson_transcripts')).every((r) => r.path === TRANSCRIPTS)).toBe(true);
  });

  it('is refused collectionStream?collection=lesson_transcripts, as an unknown collection', async () => {
    const sim = await simulator();
    const original = new OriginalClient(sim);
    const attempt = original.stream({ params: { collection: 'lesson_transcripts', start_time: '-2 days', end_time: 'now' }, callback: () => {} });
    await expect(attempt).rejects.toThrow(/^HTTP 400: .*"code":"unknown_collection".*contactsLessonTranscripts/);
  });

  it('observes every version in live mode when --watch polls every minute', async () => {
    // Prepare: live changes, versions at least 180 s apart; the watcher starts 10 minutes back.
    const clock = { nowMs: START_MS };
    const sim = await simulator({ pageSize: 50, live: { intervalMs: 0, updatesPerMinute: { contacts: 30, message_reports: 30 }, createsPerMinute: { contacts: 10 } } }, clock);
    const from = NOW - 600;
    const seen = new Set<string>();
    const params: Params = { collection: 'contacts', start_time: from };
    const original = new OriginalClient(sim);
    // Act: 20 polls, one simulated minute apart, each from the start time of the previous one.
    for (let poll = 0; poll < 20; poll++) {
      const pollStarted = Math.floor(clock.nowMs / 1000);
      await original.stream({ params: { ...params }, callback: (record) => void seen.add(key(record)) });
      params.start_time = pollStarted;
      clock.nowMs += 60_000;
    }
    // Assess: every version created or updated since `from`, up to the last poll, was seen.
    const expected = sim.truth.versions({ collection: 'contacts', from, to: Math.floor(clock.nowMs / 1000) - 60 });
    expect(expected.length).toBeGreaterThan(100);
    expect(expected.map(key).filter((k) => !seen.has(k))).toEqual([]);
  });
});

describe('our client against the original, request for request', () => {
  // The whole history, so that every collection has a next page.
  const window = { start: NOW - 4 * 86_400, end: NOW };
  const numericTimes = { start_time: String(window.start), end_time: String(window.end) };

  /** Two simulators alike (same seed, same frozen clock) hand out the same query ids and cursors. */
  async function twins(options: SimulatorOptions = {}): Promise<[Simulator, Simulator]> {
    return [await simulator(options), await simulator(options)];
  }

  async function ours(sim: Simulator, collection: CollectionName, transcriptConcurrency?: number): Promise<Row[]> {
    const client = new ConveYourClient({ baseUrl: sim.url, credentials: sim.credentials, keepAliveTimeoutMs: 100 });
    const records: Row[] = [];
    try {
      const batches = streamCollection(client, { collection, window }, transcriptConcurrency === undefined ? {} : { transcriptConcurrency });
      for await (const batch of batches) records.push(...(batch.records as Row[]));
    } finally {
      await client.close();
    }
    return records;
  }

  it.each(ORDINARY)('sends the original request sequence for %s', async (collection) => {
    // Prepare
    const [theirs, mine] = await twins();
    const original = new OriginalClient(theirs);
    const expected: Row[] = [];
    await original.run({ collection, ...numericTimes }, (record) => void expected.push(record));
    // Act
    const records = await ours(mine, collection);
    // Assess
    expect(sentOf(mine.requestLog())).toEqual(original.sent);
    expect(original.sent.length).toBeGreaterThan(1);
    expect(records).toEqual(expected);
  });

  it('sends the original request sequence for lesson_transcripts, one contact at a time', async () => {
    // Prepare
    const [theirs, mine] = await twins({ pageSize: 2 });
    const original = new OriginalClient(theirs);
    const expected: Row[] = [];
    await original.run({ collection: 'lesson_transcripts', ...numericTimes }, (record) => void expected.push(record));
    // Act
    const records = await ours(mine, 'lesson_transcripts', 1);
    // Assess: ours reads the next contacts page ahead, so the two reports interleave
    // differently; each report's own sequence is the original's, request for request.
    const sent = sentOf(mine.requestLog());
    for (const path of [STREAM, TRANSCRIPTS]) {
      expect(sent.filter((s) => s.path === path)).toEqual(original.sent.filter((s) => s.path === path));
    }
    expect(sent).toHaveLength(original.sent.length);
    expect(records).toEqual(expected);
  });

  it('opens the same transcripts queries as the original with contacts in flight at once', async () => {
    // Prepare
    const [theirs, mine] = await twins({ pageSize: 2 });
    const original = new OriginalClient(theirs);
    await original.run({ collection: 'lesson_transcripts', ...numericTimes }, () => {});
    // Act
    await ours(mine, 'lesson_transcripts', 16);
    // Assess: query ids now depend on which contact went first, so compare the first pages
    // (as a set) and the number of requests on each report.
    const firstPages = (sent: Sent[]): string[] => sent.filter((s) => s.params[0]![0] !== 'query_id').map((s) => JSON.stringify(s)).sort();
    const perPath = (sent: Sent[]): Record<string, number> => Object.fromEntries([STREAM, TRANSCRIPTS].map((path) => [path, sent.filter((s) => s.path === path).length]));
    const sent = sentOf(mine.requestLog());
    expect(firstPages(sent)).toEqual(firstPages(original.sent));
    expect(perPath(sent)).toEqual(perPath(original.sent));
  });
});
