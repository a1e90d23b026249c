/**
 * A key is written with one set of records, ever: Snowpipe loads a file name once, so a key
 * rewritten with other records is a version lost downstream. The fixture's sink is write-once:
 * it refuses (and records) any PUT of a known key with another body.
 */
import { describe, expect, it } from 'vitest';
import type { ConveYourRecord } from '../../functions/conveyour/types.js';
import { runCollection } from '../../functions/pipeline/runCollection.js';
import { CrashError } from '../support/faultyPorts.js';
import { assertMonotonic, fixture } from '../support/pipelineFixture.js';
import { makeRecords } from '../support/scriptedPageSource.js';

const NOW_MS = 1_700_000_000_000;
const NOW = NOW_MS / 1000;
const versionsOf = (records: ConveYourRecord[]) => [...new Set(records.map((r) => `${r._id}@${r.updated_at}`))].sort();

describe('a landing key holds one set of records, ever', () => {
  it('lands a second backfill of the same range under its own keys, never over the first', async () => {
    const records = makeRecords(30, { from: NOW - 1000, step: 10 });
    const { deps, sink } = fixture({ records: () => records, nowMs: NOW_MS });
    const bounds = { start: NOW - 1000, end: NOW };
    const first = await runCollection({ source: 'acme', collection: 'events', lane: 'bf-a-w0' }, 'tick', { ...deps('w1'), bounds });
    const firstKeys = new Set(sink.puts);
    // Between the two backfills a record is updated inside the range.
    records[3] = { ...records[3]!, updated_at: NOW - 5, d: { n: 3, name: 'changed' } };

    const second = await runCollection({ source: 'acme', collection: 'events', lane: 'bf-b-w0' }, 'tick', { ...deps('w2'), bounds });

    expect([first.status, second.status]).toEqual(['caught-up', 'caught-up']);
    expect(sink.rewrites).toEqual([]);
    expect(sink.puts.filter((k) => firstKeys.has(k))).toHaveLength(firstKeys.size);
    expect(versionsOf(sink.records())).toEqual(versionsOf([...records, makeRecords(30, { from: NOW - 1000, step: 10 })[3]!]));
  });

  it('never lands two runs of the same tail window on the same keys, even in the same second', async () => {
    const records = makeRecords(20, { from: NOW - 1000, step: 10 });
    const { deps, sink, store } = fixture({ records: () => records, nowMs: NOW_MS });
    await runCollection({ source: 'acme', collection: 'events' }, 'tick', deps('tick-1'));
    // The clock stands still (three ticks in one second, or a function clock behind the stored
    // watermark), so each later run reads the same window [watermark - overlap, watermark).
    records.push({ _id: 'late-1', created_at: NOW - 30, updated_at: NOW - 30 });
    const second = await runCollection({ source: 'acme', collection: 'events' }, 'tick', deps('tick-2'));
    records.push({ _id: 'late-2', created_at: NOW - 20, updated_at: NOW - 20 });
    const third = await runCollection({ source: 'acme', collection: 'events' }, 'tick', deps('tick-3'));

    expect([second.window, third.window]).toEqual([{ start: NOW - 60, end: NOW }, { start: NOW - 60, end: NOW }]);
    expect([second.status, third.status]).toEqual(['caught-up', 'caught-up']);
    expect(sink.rewrites).toEqual([]);
    expect(versionsOf(sink.records())).toEqual(versionsOf(records));
    assertMonotonic(store);
  });

  it("re-lands a lesson_transcripts contact resumed after a crash under a new key: its transcripts are a new query", async () => {
    const contacts = Array.from({ length: 6 }, (_, i): ConveYourRecord => ({ _id: `c${i}`, created_at: NOW - 900 + i, updated_at: NOW - 900 + i }));
    const transcripts: ConveYourRecord[] = contacts.map((contact, i) => ({ _id: `t${i}`, con_id: contact._id, created_at: NOW - 800 + i, updated_at: NOW - 800 + i }));
    const { deps, sink, store, time } = fixture({
      records: (collection) => (collection === 'contacts' ? contacts : transcripts),
      source: { pageSize: 2 },
      nowMs: NOW_MS,
    });
    const key = { source: 'acme', collection: 'lesson_transcripts' };
    // The invocation dies after the PUT of contact c2 (the first of the second contacts page,
    // resumable by cursor) and before the checkpoint that covers it.
    store.failNextWrite = (next) => (next.inFlight?.transcripts?.contacts === 3 ? new CrashError('died before the checkpoint') : undefined);
    const crashed = await runCollection(key, 'tick', deps('invocation-1'));
    expect(crashed.status).toBe('failed');
    expect((await store.load(key))?.inFlight?.transcripts?.next).toMatchObject({ contactsPage: { sequence: 1 }, indexInPage: 0 });
    store.failNextWrite = undefined;
    // Meanwhile c2 gains a transcript: the resumed run's new query for c2 returns two.
    transcripts.push({ _id: 't2b', con_id: 'c2', created_at: NOW - 700, updated_at: NOW - 700 });
    time.advance(11 * 60_000);

    const resumed = await runCollection(key, 'continue', deps('invocation-2'));

    expect(resumed.status).toBe('caught-up');
    expect(sink.rewrites).toEqual([]);
    expect(versionsOf(sink.records())).toEqual(versionsOf(transcripts));
    assertMonotonic(store);
  });
});
