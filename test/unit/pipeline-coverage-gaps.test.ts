import { describe, expect, it } from 'vitest';
import { afterWindowExhausted, beginRun, emptyCheckpoint, type Checkpoint } from '../../functions/pipeline/checkpoint.js';
import { describeOpenGaps, openGapCount, withCoverageGap, type CoverageGap } from '../../functions/pipeline/coverageGaps.js';
import { acknowledgeGaps, AcknowledgeTimeoutError, UnknownGapError, withoutGaps } from '../../functions/pipeline/coverageGapsAck.js';
import { runCollection } from '../../functions/pipeline/runCollection.js';
import { assertMonotonic, FakeTime, fixture } from '../support/pipelineFixture.js';
import { MemoryCheckpointStore } from '../support/memoryCheckpointStore.js';
import { makeRecords } from '../support/scriptedPageSource.js';

const key = { source: 'acme', collection: 'events' };
const NOW_MS = 1_700_000_000_000;
const NOW = NOW_MS / 1000;
const policy = { overlapSeconds: 60, initialStart: 0, queryCap: 100 };
const gap = (second: number, fields: Partial<CoverageGap> = {}): CoverageGap => ({ collection: 'events', second, returned: 100, foundAtMs: NOW_MS, ...fields });
const stored = (fields: Partial<Checkpoint> = {}): Checkpoint => ({ ...emptyCheckpoint(key), version: 3, watermark: NOW, ...fields });

describe('coverage gaps: the rules', () => {
  it('keeps a second found again as one gap, with the time it was first found', () => {
    const once = withCoverageGap(stored(), gap(1000));
    const twice = withCoverageGap(once, gap(1000, { foundAtMs: NOW_MS + 60_000 }));
    expect(twice.coverageGaps).toEqual({ open: [gap(1000)], unlisted: 0 });
  });

  it('counts gaps past the list limit instead of listing them, and says so', () => {
    let cp = stored();
    for (const second of [1, 2, 3, 4]) cp = withCoverageGap(cp, gap(second), 2);
    expect(cp.coverageGaps).toEqual({ open: [gap(1), gap(2)], unlisted: 2 });
    expect(openGapCount(cp)).toBe(4);
    expect(describeOpenGaps([cp]).at(-1)).toBe('acme/events: 2 more gaps not listed (the list holds 200; their seconds are in the logs)');
  });

  it('records a one-second window at the cap as a gap, kept across the next successful runs', () => {
    const cp = beginRun(stored({ watermark: undefined }), 1001, NOW_MS, 'run-1', { ...policy, initialStart: 1000 });
    const outcome = afterWindowExhausted(cp, 100, policy, NOW_MS);
    expect(outcome.kind).toBe('unsplittable');
    expect(outcome.checkpoint.coverageGaps?.open).toEqual([{ collection: 'events', second: 1000, returned: 100, foundAtMs: NOW_MS, runId: 'run-1' }]);

    const later = afterWindowExhausted(beginRun(outcome.checkpoint, 5000, NOW_MS + 60_000, 'run-2', policy), 10, policy, NOW_MS + 60_000);
    expect(later.kind).toBe('complete');
    expect(later.checkpoint.counters.lastError).toBeUndefined();
    expect(openGapCount(later.checkpoint)).toBe(1);
  });

  it('names a lesson_transcripts gap in contacts, what its window counts', () => {
    const cp = withCoverageGap({ ...stored(), collection: 'lesson_transcripts' }, gap(1000, { collection: 'lesson_transcripts' }));
    expect(describeOpenGaps([cp])).toEqual([
      'acme/lesson_transcripts second 1000 (1970-01-01T00:16:40Z): the query returned the cap of 100 contacts; records of that second may be missing',
    ]);
  });

  it('removes only the acknowledged second', () => {
    const cp = withCoverageGap(withCoverageGap(stored(), gap(1000)), gap(2000));
    const { checkpoint, removed } = withoutGaps(cp, { second: 1000 });
    expect(removed).toBe(1);
    expect(checkpoint.coverageGaps).toEqual({ open: [gap(2000)], unlisted: 0 });
  });

  it('refuses an unknown second, naming the open ones', () => {
    const cp = withCoverageGap(stored(), gap(1000));
    expect(() => withoutGaps(cp, { second: 999 })).toThrow(
      new UnknownGapError('acme/events has no open coverage gap at second 999 (1970-01-01T00:16:39Z); open: 1000'),
    );
    expect(() => withoutGaps(stored(), 'all')).toThrow('acme/events has no open coverage gap');
  });

  it('acknowledges every gap, listed and unlisted, with all', () => {
    let cp = stored();
    for (const second of [1, 2, 3]) cp = withCoverageGap(cp, gap(second), 1);
    const { checkpoint, removed } = withoutGaps(cp, 'all');
    expect(removed).toBe(3);
    expect(openGapCount(checkpoint)).toBe(0);
  });
});

describe('coverage gaps: a second over the cap in a run', () => {
  it('lands every other record of the window, and the first cap records of the full second', async () => {
    const burstSecond = NOW - 500;
    const spread = makeRecords(40, { from: NOW - 1000, step: 20 }).filter((r) => r.updated_at !== burstSecond);
    const burst = makeRecords(70, { from: burstSecond, step: 0, prefix: 'b' });
    const records = [...spread, ...burst].sort((a, b) => a.updated_at! - b.updated_at!);
    const { deps, sink, store } = fixture({ records: () => records, source: { cap: 50 }, policy: { queryCap: 50, initialStart: NOW - 1000 }, nowMs: NOW_MS });

    const result = await runCollection(key, 'tick', deps());

    expect(result).toMatchObject({ status: 'caught-up', openGaps: 1 });
    const landed = new Set(sink.records().map((r) => r._id));
    for (const record of spread) expect(landed.has(record._id)).toBe(true);
    expect(burst.filter((r) => landed.has(r._id))).toHaveLength(50);
    expect((await store.load(key))?.coverageGaps?.open).toEqual([expect.objectContaining({ collection: 'events', second: burstSecond, returned: 50 })]);
    assertMonotonic(store);
  });

  it('keeps the gap when later runs succeed, and reports it on every run, even an idle one', async () => {
    const burstSecond = NOW - 10;
    const records = makeRecords(60, { from: burstSecond, step: 0 });
    const { deps, store, time } = fixture({ records: () => records, source: { cap: 50 }, policy: { queryCap: 50, initialStart: NOW - 100 }, nowMs: NOW_MS });
    await runCollection(key, 'tick', deps());
    time.advance(120_000);

    const next = await runCollection(key, 'tick', deps());
    time.advance(60_000);
    const idle = await runCollection(key, 'tick', deps());

    expect(next).toMatchObject({ status: 'caught-up', openGaps: 1 });
    expect(idle).toMatchObject({ status: 'idle', openGaps: 1 });
    const cp = await store.load(key);
    expect(cp?.coverageGaps?.open.map((g) => g.second)).toEqual([burstSecond]);
    expect(cp?.watermark).toBeGreaterThan(burstSecond + 60);
  });
});

describe('coverage gaps: acknowledging', () => {
  const ackDeps = (store: MemoryCheckpointStore, time: FakeTime, maxWaitMs = 600_000) => ({
    store,
    clock: { nowMs: time.nowMs },
    sleep: async (ms: number) => time.advance(ms),
    maxWaitMs,
  });

  it('removes the gap with a write at the version it read, leaving the rest of the checkpoint', async () => {
    const store = new MemoryCheckpointStore();
    store.items.set('acme#events', withCoverageGap(stored(), gap(1000)));

    const { removed } = await acknowledgeGaps(key, { second: 1000 }, ackDeps(store, new FakeTime(NOW_MS)));

    expect(removed).toBe(1);
    const after = await store.load(key);
    expect(after).toMatchObject({ version: 4, watermark: NOW, coverageGaps: { open: [], unlisted: 0 } });
  });

  it('waits for a run holding the lease to release it, never writing under it', async () => {
    const store = new MemoryCheckpointStore();
    const time = new FakeTime(NOW_MS);
    store.items.set('acme#events', withCoverageGap(stored({ lease: { owner: 'tick-1', expiresAtMs: NOW_MS + 5_000 } }), gap(1000)));
    const waits: string[] = [];

    await acknowledgeGaps(key, { second: 1000 }, { ...ackDeps(store, time), onWait: (owner) => waits.push(owner) });

    expect(waits).toEqual(['tick-1']);
    expect(store.writes).toHaveLength(1);
    expect(time.ms).toBeGreaterThanOrEqual(NOW_MS + 5_000);
  });

  it('reads again when a run wrote between its read and its write, keeping what the run wrote', async () => {
    const store = new MemoryCheckpointStore();
    store.items.set('acme#events', withCoverageGap(stored(), gap(1000)));
    const claim = store.claim.bind(store);
    let raced = false;
    store.claim = async (next, expected, nowMs) => {
      if (!raced) {
        raced = true;
        const current = store.items.get('acme#events')!;
        store.items.set('acme#events', { ...current, version: current.version + 1, watermark: NOW + 60 });
      }
      return claim(next, expected, nowMs);
    };

    await acknowledgeGaps(key, { second: 1000 }, ackDeps(store, new FakeTime(NOW_MS)));

    expect(await store.load(key)).toMatchObject({ version: 5, watermark: NOW + 60, coverageGaps: { open: [] } });
  });

  it('gives up with a clear error when the lease is held past the wait', async () => {
    const store = new MemoryCheckpointStore();
    store.items.set('acme#events', withCoverageGap(stored({ lease: { owner: 'tick-1', expiresAtMs: NOW_MS + 600_000 } }), gap(1000)));

    await expect(acknowledgeGaps(key, { second: 1000 }, ackDeps(store, new FakeTime(NOW_MS), 10_000))).rejects.toThrow(AcknowledgeTimeoutError);
    expect(store.writes).toHaveLength(0);
  });

  it('refuses a collection that never ran', async () => {
    await expect(acknowledgeGaps(key, { second: 1000 }, ackDeps(new MemoryCheckpointStore(), new FakeTime(NOW_MS)))).rejects.toThrow('acme/events has no checkpoint: it never ran');
  });
});
