/**
 * The changes a tail cannot see, over real HTTP: late-visible writes, deletions, and
 * transcripts that change while their contact does not; and the truth view recording each.
 */
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { API_PATH, startSimulator, TRANSCRIPTS_PATH, type LiveOptions, type Simulator } from '../../infra/local/simulator/index.js';

const START_MS = Date.parse('2026-04-01T09:00:00Z');
const START = START_MS / 1000;
const agent = new Agent({ keepAliveTimeout: 100, keepAliveMaxTimeout: 100 });
afterAll(() => agent.close());
const SMALL = { tags: 3, campaigns: 3, contacts: 40, lessons: 5, triggers: 5, events: 300, message_reports: 3, trigger_logs: 3 };

type Row = { _id: string; updated_at: number; con_id?: string };

async function readAll(sim: Simulator, params: Record<string, string>, path = API_PATH): Promise<Row[]> {
  const out: Row[] = [];
  let query: Record<string, string> = params;
  for (;;) {
    const url = new URL(path, sim.url);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const response = await request(url, { headers: { 'x-conveyour-appkey': sim.credentials.appkey, 'x-conveyour-token': sim.credentials.token }, dispatcher: agent });
    expect(response.statusCode).toBe(200);
    const page = ((await response.body.json()) as any).data.data;
    for (const record of page.results) out.push({ _id: record._id, updated_at: record.updated_at, ...(record.con_id === undefined ? {} : { con_id: record.con_id }) });
    if (page.pagination.next_cursor === undefined) return out;
    query = { query_id: page.query_id, cursor: page.pagination.next_cursor };
  }
}

async function started(clock: { ms: number }, live: LiveOptions): Promise<Simulator> {
  return startSimulator({ seed: 11, now: () => clock.ms, pageSize: 1000, history: { days: 1, counts: SMALL }, live: { intervalMs: 0, minVersionGapSeconds: 120, ...live } });
}

const key = (row: { _id: string; updated_at: number }): string => `${row._id}@${row.updated_at}`;

describe('late-visible writes', () => {
  it('returns a late version from stamp + delay on, not before, and the truth lists it', async () => {
    const clock = { ms: START_MS };
    const sim = await started(clock, { createsPerMinute: { events: 120 }, lateWrites: { fraction: 0.3, delaySeconds: { min: 60, max: 90 } } });
    try {
      clock.ms += 120_000;
      const snapshot = START + 120;
      const early = await readAll(sim, { collection: 'events', start_time: String(START), end_time: String(snapshot) });
      const late = sim.truth.lateVersions('events');
      const hidden = late.filter((v) => v.updated_at < snapshot && v.visible_at > snapshot);
      expect(hidden.length).toBeGreaterThan(10);
      for (const v of late) {
        expect(v.visible_at - v.updated_at).toBeGreaterThanOrEqual(60);
        expect(v.visible_at - v.updated_at).toBeLessThanOrEqual(90);
      }
      const earlyKeys = new Set(early.map(key));
      expect(hidden.filter((v) => earlyKeys.has(key(v)))).toEqual([]);
      expect(early.map(key)).toEqual(sim.truth.expectedQuery('events', { start: START, end: snapshot }, snapshot).map(key));
      // The versions exist all along: the truth has them with their stamps.
      const all = new Set(sim.truth.versions({ collection: 'events', from: START, to: snapshot }).map(key));
      expect(hidden.every((v) => all.has(key(v)))).toBe(true);

      // The same window, 100 s later: every one of them is there, with its original stamp.
      clock.ms += 100_000;
      const later = new Set((await readAll(sim, { collection: 'events', start_time: String(START), end_time: String(snapshot) })).map(key));
      expect(hidden.filter((v) => !later.has(key(v)))).toEqual([]);
      expect(later.size).toBe(early.length + hidden.length);
    } finally {
      await sim.close();
    }
  });
});

describe('deletions', () => {
  it('drops a deleted record from every later query, a contact with its transcripts, and the truth names each with its time', async () => {
    const clock = { ms: START_MS };
    const sim = await started(clock, { createsPerMinute: { events: 30 }, deletionsPerMinute: { events: 3, contacts: 2 } });
    try {
      const everything = { start_time: String(START - 2 * 86_400), end_time: 'now' };
      const before = new Set((await readAll(sim, { collection: 'events', ...everything })).map((r) => r._id));
      const contactsBefore = await readAll(sim, { collection: 'contacts', ...everything });
      clock.ms += 600_000;
      sim.advanceLive();
      const deletedEvents = sim.truth.deletions('events');
      const deletedContacts = sim.truth.deletions('contacts');
      expect(deletedEvents.length).toBeGreaterThan(15);
      expect(deletedContacts.length).toBeGreaterThan(10);
      const after = new Set((await readAll(sim, { collection: 'events', ...everything })).map((r) => r._id));
      const eventVersions = sim.truth.versions({ collection: 'events' });
      for (const deletion of deletedEvents) {
        expect(after.has(deletion._id), deletion._id).toBe(false);
        expect(deletion.deleted_at).toBeGreaterThan(START);
        expect(deletion.deleted_at).toBeLessThanOrEqual(START + 600);
        // The record existed, and its versions are still in the truth.
        const versions = eventVersions.filter((v) => v._id === deletion._id);
        expect(versions.at(-1)?.updated_at).toBe(deletion.last_updated_at);
      }
      expect(deletedEvents.filter((d) => before.has(d._id)).length).toBeGreaterThan(5);
      // Nothing else went missing.
      expect([...before].filter((id) => !after.has(id) && !deletedEvents.some((d) => d._id === id))).toEqual([]);

      const transcriptDeletions = sim.truth.deletions('lesson_transcripts');
      const ownerOf = new Map(sim.truth.versions({ collection: 'lesson_transcripts' }).map((v) => [v._id, v.con_id]));
      const withTranscripts = deletedContacts.filter((d) => contactsBefore.some((c) => c._id === d._id));
      let checked = 0;
      for (const contact of withTranscripts) {
        const owned = transcriptDeletions.filter((t) => ownerOf.get(t._id) === contact._id);
        const served = await readAll(sim, { collection: 'lesson_transcripts', con_id: contact._id, start_time: '0', end_time: 'now' }, TRANSCRIPTS_PATH);
        expect(served).toEqual([]);
        for (const transcript of owned) expect(transcript.deleted_at).toBe(contact.deleted_at);
        checked += owned.length;
      }
      expect(checked).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
  });
});

describe('transcripts that change alone', () => {
  it('adds and changes transcripts while their contact keeps its version, and the truth lists each', async () => {
    const clock = { ms: START_MS };
    const sim = await started(clock, { createsPerMinute: { contacts: 0 }, updatesPerMinute: { contacts: 0 }, transcriptChangesPerMinute: 20 });
    try {
      clock.ms += 600_000;
      // Brings live data up to now.
      const contacts = await readAll(sim, { collection: 'contacts', start_time: String(START - 2 * 86_400), end_time: 'now' });
      const changes = sim.truth.transcriptChanges();
      expect(changes.filter((c) => c.kind === 'added').length).toBeGreaterThan(20);
      expect(changes.filter((c) => c.kind === 'changed').length).toBeGreaterThan(20);
      // No contact has a version after the start: the tail's contacts window sees none of these changes.
      expect(sim.truth.versions({ collection: 'contacts', from: START })).toEqual([]);
      expect(contacts.every((c) => c.updated_at < START)).toBe(true);
      const live = sim.truth.versions({ collection: 'lesson_transcripts', from: START });
      expect(live.map(key).sort()).toEqual(changes.map(key).sort());
      // Each contact's transcripts as served now hold its changes' newest versions.
      const byContact = new Map<string, typeof changes>();
      for (const change of changes) byContact.set(change.con_id as string, [...(byContact.get(change.con_id as string) ?? []), change]);
      for (const [conId, own] of byContact) {
        const served = new Map((await readAll(sim, { collection: 'lesson_transcripts', con_id: conId, start_time: String(START), end_time: 'now' }, TRANSCRIPTS_PATH)).map((r) => [r._id, r.updated_at]));
        for (const change of own) expect(served.get(change._id), change._id).toBeGreaterThanOrEqual(change.updated_at);
        const newest = own.at(-1)!;
        expect(served.get(newest._id)).toBe(newest.updated_at);
      }
    } finally {
      await sim.close();
    }
  });
});

describe('the unseen-change modes', () => {
  it('are off by default and leave the data as it was', async () => {
    const clock = { ms: START_MS };
    const plain = await started(clock, { createsPerMinute: { events: 60 } });
    const explicit = await started(clock, { createsPerMinute: { events: 60 }, deletionsPerMinute: {}, transcriptChangesPerMinute: 0 });
    try {
      clock.ms += 300_000;
      plain.advanceLive();
      explicit.advanceLive();
      expect(explicit.truth.versions({ collection: 'events' })).toEqual(plain.truth.versions({ collection: 'events' }));
      expect(plain.truth.deletions()).toEqual([]);
      expect(plain.truth.lateVersions('events')).toEqual([]);
      expect(plain.truth.transcriptChanges()).toEqual([]);
    } finally {
      await Promise.all([plain.close(), explicit.close()]);
    }
  });

  it('are the same for the same seed', async () => {
    const clock = { ms: START_MS };
    const live: LiveOptions = { createsPerMinute: { events: 60 }, lateWrites: { fraction: 0.2, delaySeconds: 30 }, deletionsPerMinute: { events: 2 }, transcriptChangesPerMinute: 10 };
    const a = await started(clock, live);
    const b = await started(clock, live);
    try {
      clock.ms += 400_000;
      a.advanceLive();
      // b gets there in many steps: the data at a time does not depend on how the clock moved.
      for (let ms = START_MS + 7_000; ms <= clock.ms; ms += 7_000) b.advanceLive(ms);
      b.advanceLive();
      expect(b.truth.deletions()).toEqual(a.truth.deletions());
      expect(b.truth.lateVersions('events')).toEqual(a.truth.lateVersions('events'));
      expect(b.truth.transcriptChanges()).toEqual(a.truth.transcriptChanges());
      expect(a.truth.deletions().length).toBeGreaterThan(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
