import { describe, expect, it } from 'vitest';
import { CursorExpiredError, StalledCursorError } from '../../functions/conveyour/errors.js';
import { runCollection } from '../../functions/pipeline/runCollection.js';
import { assertMonotonic, fixture } from '../support/pipelineFixture.js';
import { makeRecords } from '../support/scriptedPageSource.js';

const key = { source: 'acme', collection: 'events' };
const NOW_MS = 1_700_000_000_000;
const NOW = NOW_MS / 1000;
const idsOf = (records: Array<{ _id: string }>) => records.map((r) => r._id).sort();

describe('runCollection', () => {
  it('lands every record of a full catch-up and moves the watermark to the run start', async () => {
    const records = makeRecords(95, { from: NOW - 10_000, step: 100 });
    const { deps, sink, store } = fixture({ records: () => records });

    const result = await runCollection(key, 'tick', deps());

    expect(result).toMatchObject({ status: 'caught-up', records: 95, pages: 10 });
    expect(idsOf(sink.records())).toEqual(idsOf(records));
    const cp = await store.load(key);
    expect(cp).toMatchObject({ watermark: NOW, inFlight: undefined, lease: undefined });
    assertMonotonic(store);
  });

  it('writes every S3 object before the checkpoint write that covers it', async () => {
    const records = makeRecords(30, { from: NOW - 1000, step: 10 });
    const { deps, sink, store } = fixture({ records: () => records });
    const order: string[] = [];
    const put = sink.put.bind(sink);
    sink.put = async (object) => {
      order.push(`put:${object.metadata.range}`);
      return put(object);
    };
    const save = store.save.bind(store);
    store.save = async (next, owner) => {
      order.push(`save:${next.inFlight?.query?.next?.sequence ?? 'end'}`);
      return save(next, owner);
    };

    await runCollection(key, 'tick', deps());

    expect(order).toEqual(['put:p000000-000000', 'save:1', 'put:p000001-000001', 'save:2', 'put:p000002-000002', 'save:end']);
  });

  it('saves the cursor when the budget runs out and a continuation finishes the window', async () => {
    const records = makeRecords(100, { from: NOW - 10_000, step: 100 });
    let remaining = 5_000;
    const { deps, sink, store, source } = fixture({
      records: () => records,
      remainingMs: () => remaining,
      source: { beforePage: () => (remaining -= 900) },
    });

    const first = await runCollection(key, 'tick', deps('invocation-1'));
    expect(first.status).toBe('budget-spent');
    const saved = await store.load(key);
    expect(saved?.inFlight?.query?.next).toBeDefined();
    expect(saved?.lease).toBeUndefined();
    expect(sink.records().length).toBe(first.records);

    remaining = 600_000;
    const second = await runCollection(key, 'continue', deps('invocation-2'));

    expect(second.status).toBe('caught-up');
    expect(idsOf(sink.records())).toEqual(idsOf(records));
    expect(source.requests.filter((r) => r.sequence === saved!.inFlight!.query!.next!.sequence).length).toBe(1);
    assertMonotonic(store);
  });

  it('stops lesson_transcripts at the budget like pages: the contacts landed are checkpointed and a continuation lands the rest', async () => {
    const contacts = Array.from({ length: 12 }, (_, i) => ({ _id: `c${i}`, created_at: NOW - 900 + i, updated_at: NOW - 900 + i }));
    const transcripts = contacts.map((contact, i) => ({ _id: `t${i}`, con_id: contact._id, created_at: NOW - 800 + i, updated_at: NOW - 800 + i }));
    let remaining = 5_000;
    const { deps, sink, store } = fixture({
      records: (collection) => (collection === 'contacts' ? contacts : transcripts),
      remainingMs: () => remaining,
      source: { pageSize: 2, beforePage: ({ query }) => void (query.collection === 'lesson_transcripts' && (remaining -= 900)) },
    });
    const transcriptsKey = { source: 'acme', collection: 'lesson_transcripts' };

    const first = await runCollection(transcriptsKey, 'tick', deps('invocation-1'));

    expect(first.status).toBe('budget-spent');
    expect(first.records).toBeGreaterThan(0);
    expect(first.records).toBeLessThan(transcripts.length);
    const saved = await store.load(transcriptsKey);
    expect(saved?.inFlight?.transcripts).toMatchObject({ contacts: first.records, next: expect.anything() });
    expect(saved?.lease).toBeUndefined();
    expect(sink.records()).toHaveLength(first.records);

    remaining = 600_000;
    const second = await runCollection(transcriptsKey, 'continue', deps('invocation-2'));

    expect(second.status).toBe('caught-up');
    expect(idsOf(sink.records())).toEqual(idsOf(transcripts));
    expect(sink.rewrites).toEqual([]);
    assertMonotonic(store);
  });

  it('lands a crash between the S3 write and the checkpoint again under the same key, losing nothing', async () => {
    const records = makeRecords(30, { from: NOW - 1000, step: 10 });
    const { deps, sink, store } = fixture({ records: () => records });
    let saves = 0;
    store.failNextWrite = (next) => (next.inFlight?.query && ++saves === 2 ? new Error('crash before checkpoint') : undefined);

    const crashed = await runCollection(key, 'tick', deps('invocation-1'));
    expect(crashed.status).toBe('failed');
    const putsBefore = [...sink.puts];
    store.failNextWrite = undefined;

    const resumed = await runCollection(key, 'tick', deps('invocation-2'));

    expect(resumed.status).toBe('caught-up');
    expect(sink.puts.slice(putsBefore.length)[0]).toBe(putsBefore[putsBefore.length - 1]);
    expect(idsOf(sink.records())).toEqual(idsOf(records));
    assertMonotonic(store);
  });

  it('lands a query reopened after a crash before its first checkpoint under a new generation, never over the old files', async () => {
    const records = makeRecords(30, { from: NOW - 1000, step: 10 });
    const { deps, sink, store } = fixture({ records: () => records });
    store.failNextWrite = (next) => (next.inFlight?.query ? new Error('crash before the first checkpoint') : undefined);
    await runCollection(key, 'tick', deps('invocation-1'));
    const firstKeys = [...sink.puts];
    expect(firstKeys.length).toBeGreaterThan(0);
    store.failNextWrite = undefined;

    const resumed = await runCollection(key, 'tick', deps('invocation-2'));

    expect(resumed.status).toBe('caught-up');
    const laterKeys = sink.puts.slice(firstKeys.length);
    expect(laterKeys.some((k) => firstKeys.includes(k))).toBe(false);
    expect(laterKeys.every((k) => k.includes('_g1_'))).toBe(true);
    expect(idsOf([...new Map(sink.records().map((r) => [r._id, r])).values()])).toEqual(idsOf(records));
  });

  it('yields to a live lease held by another invocation and writes nothing', async () => {
    const records = makeRecords(30, { from: NOW - 1000, step: 10 });
    const { deps, store } = fixture({ records: () => records });
    await runCollection(key, 'tick', deps('earlier'));
    const stored = (await store.load(key))!;
    store.items.set('acme#events', { ...stored, lease: { owner: 'holder', expiresAtMs: NOW_MS + 60_000 } });
    const writes = store.writes.length;

    const result = await runCollection(key, 'tick', deps('other'));

    expect(result.status).toBe('lease-held');
    expect(store.writes.length).toBe(writes);
  });

  it('lets a zombie whose lease expired and was taken over stop without moving the checkpoint', async () => {
    const records = makeRecords(60, { from: NOW - 1000, step: 10 });
    const { deps, store, time } = fixture({ records: () => records });
    let zombieSaves = 0;
    store.failNextWrite = undefined;
    const zombieDeps = deps('zombie');
    // The zombie pauses after its first page; meanwhile its lease expires and a new holder takes over.
    const originalSave = store.save.bind(store);
    store.save = async (next, owner) => {
      if (owner === 'zombie' && ++zombieSaves === 1) {
        time.advance(11 * 60_000);
        const rescuer = await runCollection(key, 'tick', deps('rescuer'));
        expect(rescuer.status).toBe('caught-up');
      }
      return originalSave(next, owner);
    };

    const zombie = await runCollection(key, 'tick', zombieDeps);

    expect(zombie.status).toBe('lease-lost');
    expect(store.writes.every((w) => w.lease?.owner !== 'zombie' || w.version <= 1)).toBe(true);
    expect((await store.load(key))?.inFlight).toBeUndefined();
    assertMonotonic(store);
  });

  it('splits a window whose query returned the cap until no query hits it, landing every record', async () => {
    const records = makeRecords(120, { from: NOW - 12_000, step: 100 });
    const { deps, sink, store } = fixture({ records: () => records, source: { cap: 50 }, policy: { queryCap: 50 } });

    const result = await runCollection(key, 'tick', deps());

    expect(result.status).toBe('caught-up');
    expect(result.splits).toBeGreaterThanOrEqual(2);
    expect(idsOf([...new Map(sink.records().map((r) => [r._id, r])).values()])).toEqual(idsOf(records));
    assertMonotonic(store);
  });

  it('reads the window again from its start when the cursor expired', async () => {
    const records = makeRecords(50, { from: NOW - 1000, step: 10 });
    let expireOnce = true;
    const { deps, sink, store } = fixture({
      records: () => records,
      source: {
        beforePage: ({ sequence }) => {
          if (sequence === 3 && expireOnce) {
            expireOnce = false;
            throw new CursorExpiredError('cursor expired');
          }
        },
      },
    });

    const result = await runCollection(key, 'tick', deps());

    expect(result).toMatchObject({ status: 'caught-up', cursorRestarts: 1 });
    expect(idsOf([...new Map(sink.records().map((r) => [r._id, r])).values()])).toEqual(idsOf(records));
    const generations = new Set([...sink.objects.values()].map((o) => o.metadata.generation));
    expect(generations).toEqual(new Set(['0', '1']));
    assertMonotonic(store);
  });

  it('stops at a stalled cursor with a failure, never a false completion', async () => {
    const records = makeRecords(50, { from: NOW - 1000, step: 10 });
    const { deps, store } = fixture({
      records: () => records,
      source: {
        beforePage: ({ sequence }) => {
          if (sequence === 2) throw new StalledCursorError('cursor repeated');
        },
      },
    });

    const result = await runCollection(key, 'tick', deps());

    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('CONVEYOUR_STALLED_CURSOR');
    const cp = await store.load(key);
    expect(cp?.watermark).toBeUndefined();
    expect(cp?.inFlight?.query).toBeUndefined();
    expect(cp?.counters.lastError?.code).toBe('CONVEYOUR_STALLED_CURSOR');
  });

  it('writes nothing on an idle tick soon after the watermark moved', async () => {
    const { deps, store, sink, time } = fixture({ records: () => [] });
    const first = await runCollection(key, 'tick', deps());
    expect(first.status).toBe('idle');
    const writes = store.writes.length;
    expect(writes).toBe(1);

    time.advance(60_000);
    const second = await runCollection(key, 'tick', deps());

    expect(second.status).toBe('idle');
    expect(store.writes.length).toBe(writes);
    expect(sink.puts).toEqual([]);
  });

  it('advances an idle watermark once the idle interval passed, in a single write', async () => {
    const { deps, store, time } = fixture({ records: () => [] });
    await runCollection(key, 'tick', deps());
    time.advance(16 * 60_000);

    await runCollection(key, 'tick', deps());

    expect(store.writes.length).toBe(2);
    expect((await store.load(key))?.watermark).toBe(Math.floor(time.ms / 1000));
  });

  it('finishes an empty bounded lane in one write, counting its query, and never reads it again', async () => {
    const { deps, store, source } = fixture({ records: () => [] });
    const lane = { ...key, lane: 'bf-x-w0' };
    const bounds = { start: NOW - 3600, end: NOW - 60 };

    const first = await runCollection(lane, 'tick', { ...deps(), bounds });
    const again = await runCollection(lane, 'tick', { ...deps(), bounds });

    expect([first.status, again.status]).toEqual(['caught-up', 'caught-up']);
    expect(store.writes).toHaveLength(1);
    expect(store.writes[0]).toMatchObject({ lane: 'bf-x-w0', watermark: bounds.end, bounds, inFlight: undefined });
    expect(store.writes[0]!.counters.queries).toBe(1);
    expect(source.requests).toHaveLength(1);
    expect(source.requests[0]!.window).toEqual(bounds);
  });

  it('reports no work for a continuation when nothing is in flight', async () => {
    const { deps } = fixture({ records: () => [] });
    expect((await runCollection(key, 'continue', deps())).status).toBe('no-work');
  });

  it('re-reads the overlap on the next tail window', async () => {
    const records = makeRecords(10, { from: NOW - 1000, step: 10 });
    const { deps, source, time } = fixture({ records: () => records });
    await runCollection(key, 'tick', deps());
    time.advance(60_000);

    await runCollection(key, 'tick', deps());

    const last = source.requests[source.requests.length - 1]!;
    expect(last.window).toEqual({ start: NOW - 60, end: NOW + 60 });
  });
});
