import { describe, expect, it } from 'vitest';
import { complete, dispatch, newPlan, planWindows, throttle } from '../../functions/backfill/plan.js';
import { driveBackfills, runBackfillWindow, startBackfill, type BackfillDeps } from '../../functions/backfill/worker.js';
import type { ContinuationMessage } from '../../functions/pipeline/ports.js';
import { MemoryBackfillStore } from '../support/memoryBackfillStore.js';
import { fixture } from '../support/pipelineFixture.js';
import { makeRecords } from '../support/scriptedPageSource.js';

const d = (iso: string) => Date.parse(iso) / 1000;
const NOW_MS = Date.parse('2026-06-15T12:00:00Z');

describe('backfill plan', () => {
  it.each([
    ['months over 90 days', '2024-01-15T10:00:00Z', '2025-01-01T00:00:00Z', 12, '2024-02-01T00:00:00Z'],
    ['weeks (from Monday) over 14 days', '2026-10-01T00:00:00Z', '2026-11-23T05:00:00Z', 9, '2026-10-05T00:00:00Z'],
    ['days over 2 days', '2026-11-18T03:00:00Z', '2026-11-23T05:00:00Z', 6, '2026-11-19T00:00:00Z'],
    ['hours under 2 days', '2026-11-22T03:30:00Z', '2026-11-23T05:00:00Z', 26, '2026-11-22T04:00:00Z'],
  ])('cuts the range on UTC calendar boundaries: %s', (_name, from, to, count, firstEnd) => {
    const windows = planWindows(d(from), d(to));
    expect(windows).toHaveLength(count);
    expect(windows[0]).toEqual({ start: d(from), end: d(firstEnd) });
    expect(windows.at(-1)!.end).toBe(d(to));
    windows.slice(1).forEach((window, i) => expect(window.start).toBe(windows[i]!.end));
  });

  it('plans the same windows for the same range', () => {
    expect(planWindows(d('2019-01-01T00:00:00Z'), d('2026-01-01T00:00:00Z'))).toEqual(planWindows(d('2019-01-01T00:00:00Z'), d('2026-01-01T00:00:00Z')));
  });

  it('rejects an empty range, naming it', () => {
    expect(() => planWindows(10, 10)).toThrow(/from < to, got \[10, 10\)/);
  });

  it('hands out windows up to the concurrency, halves it on throttling, and grows it back by one per window', () => {
    const plan = newPlan({ source: 's', collection: 'events', id: 'b' }, { from: d('2024-01-01T00:00:00Z'), to: d('2025-01-01T00:00:00Z') }, 4, NOW_MS);
    const first = dispatch(plan, NOW_MS);
    expect(first.send).toEqual([0, 1, 2, 3]);
    expect(dispatch(first.plan, NOW_MS).send).toEqual([]);
    const throttled = throttle(first.plan, NOW_MS, 30_000);
    expect(throttled.concurrency).toBe(2);
    expect(dispatch(complete(throttled, 0, NOW_MS), NOW_MS).send).toEqual([]);
    const later = complete(complete(complete(throttled, 0, NOW_MS), 1, NOW_MS), 2, NOW_MS);
    expect(later.concurrency).toBe(4);
    expect(dispatch(later, NOW_MS + 31_000).send).toEqual([4, 5, 6]);
  });
});

describe('backfill workers', () => {
  function setup() {
    const records = makeRecords(60, { from: d('2026-06-01T00:00:00Z'), step: 3600 * 3 });
    const f = fixture({ records: () => records, nowMs: NOW_MS });
    const plans = new MemoryBackfillStore();
    const sent: Array<{ message: ContinuationMessage; delaySeconds?: number }> = [];
    const deps = (owner = 'w'): BackfillDeps => {
      const base = f.deps(owner);
      return {
        store: f.store,
        sink: f.sink,
        queue: { send: async (message, options) => void sent.push({ message, ...options }) },
        clock: base.clock,
        log: base.log,
        policy: { ...base.policy, collectionConcurrency: 1, maxHops: 3, safetyMarginMs: 1_000, initialStepEstimateMs: 100 },
        remainingMs: () => 600_000,
        owner,
        newRunId: base.newRunId,
        plans,
        stallMs: 120_000,
        throttleHoldMs: 30_000,
        throttledRecently: () => false,
      };
    };
    const sources = [{ name: 'acme', collections: ['events'], pages: f.source }];
    return { f, plans, sent, deps, sources, records };
  }

  it('lands a window, records it, and hands out the next on the same chain', async () => {
    const { plans, sent, deps, sources } = setup();
    const plan = await startBackfill({ source: 'acme', collection: 'events', id: 'b1', from: d('2026-06-01T00:00:00Z'), to: d('2026-06-09T00:00:00Z'), concurrency: 1 }, deps());
    expect(sent.map((s) => s.message.backfill?.window)).toEqual([0]);

    await runBackfillWindow(sent[0]!.message, sources, deps());

    expect((await plans.load(plan))!.completed).toEqual([0]);
    expect(sent[1]!.message).toMatchObject({ hop: 2, backfill: { id: 'b1', window: 1 } });
  });

  it('at the hop cap records the window but leaves the next to the tick, which sends it on a new chain', async () => {
    const { plans, sent, deps, sources, f } = setup();
    const plan = await startBackfill({ source: 'acme', collection: 'events', id: 'b2', from: d('2026-06-01T00:00:00Z'), to: d('2026-06-09T00:00:00Z'), concurrency: 1 }, deps());

    await runBackfillWindow({ ...sent[0]!.message, hop: 3 }, sources, deps());

    expect((await plans.load(plan))!.completed).toEqual([0]);
    expect(sent).toHaveLength(1);
    await driveBackfills({ ...deps(), store: f.store });
    expect(sent[1]!.message).toMatchObject({ hop: 1, backfill: { window: 1 } });
  });

  it('re-sends a window nobody works on once it has not moved for the stall time, and not before', async () => {
    const { sent, deps, f } = setup();
    await startBackfill({ source: 'acme', collection: 'events', id: 'b3', from: d('2026-06-01T00:00:00Z'), to: d('2026-06-09T00:00:00Z'), concurrency: 2 }, deps());
    sent.length = 0;

    await driveBackfills({ ...deps(), store: f.store });
    expect(sent).toEqual([]);
    f.time.advance(121_000);
    await driveBackfills({ ...deps(), store: f.store });
    expect(sent.map((s) => s.message.backfill?.window).sort()).toEqual([0, 1]);
    await driveBackfills({ ...deps(), store: f.store });
    expect(sent).toHaveLength(2);
  });

  it('holds a window back while the plan is throttled, re-queueing it with the remaining delay', async () => {
    const { plans, sent, deps, sources } = setup();
    const plan = await startBackfill({ source: 'acme', collection: 'events', id: 'b4', from: d('2026-06-01T00:00:00Z'), to: d('2026-06-09T00:00:00Z'), concurrency: 1 }, deps());
    const stored = (await plans.load(plan))!;
    await plans.save({ ...throttle(stored, NOW_MS, 30_000), version: stored.version + 1 });

    await runBackfillWindow(sent[0]!.message, sources, deps());

    expect(sent[1]).toMatchObject({ message: { backfill: { window: 0 } }, delaySeconds: 30 });
    expect((await plans.load(plan))!.completed).toEqual([]);
  });

  it('counts a throttle re-send as a hop, and at the cap leaves the window to the tick', async () => {
    const { plans, sent, deps, sources, f } = setup();
    const plan = await startBackfill({ source: 'acme', collection: 'events', id: 'b5', from: d('2026-06-01T00:00:00Z'), to: d('2026-06-09T00:00:00Z'), concurrency: 1 }, deps());
    const stored = (await plans.load(plan))!;
    await plans.save({ ...throttle(stored, NOW_MS, 30_000), version: stored.version + 1 });

    await runBackfillWindow({ ...sent[0]!.message, hop: 2 }, sources, deps());
    expect(sent[1]).toMatchObject({ message: { hop: 3, backfill: { window: 0 } }, delaySeconds: 30 });
    // Under lasting 429s the chain would pass Lambda's hop stop: at the cap (3 here) it ends.
    const result = await runBackfillWindow(sent[1]!.message, sources, deps());
    expect(result.continuations).toBe(0);
    expect(sent).toHaveLength(2);
    // The tick's upkeep starts a new chain once the window has been quiet for the stall time.
    f.time.advance(121_000);
    await driveBackfills({ ...deps(), store: f.store });
    expect(sent[2]!.message).toMatchObject({ hop: 1, backfill: { window: 0 } });
  });

  it('hands out the next window even when the answer to its plan save was lost', async () => {
    const { plans, sent, deps, sources } = setup();
    const plan = await startBackfill({ source: 'acme', collection: 'events', id: 'b6', from: d('2026-06-01T00:00:00Z'), to: d('2026-06-09T00:00:00Z'), concurrency: 1 }, deps());
    // The save that records window 0 and hands out window 1 lands, but its answer never arrives.
    plans.loseAnswer = (next) => next.completed.includes(0);

    await runBackfillWindow(sent[0]!.message, sources, deps());

    const stored = (await plans.load(plan))!;
    expect(stored).toMatchObject({ completed: [0], dispatched: 2 });
    expect(sent.map((s) => s.message.backfill?.window)).toEqual([0, 1]);
  });

  it("re-sends a stranded window while the plan's other windows keep making progress", async () => {
    const { plans, sent, deps, sources, f } = setup();
    const plan = await startBackfill({ source: 'acme', collection: 'events', id: 'b7', from: d('2026-06-01T00:00:00Z'), to: d('2026-06-09T00:00:00Z'), concurrency: 2 }, deps());
    expect(sent.map((s) => s.message.backfill?.window)).toEqual([0, 1]);
    // Window 1's message is lost; windows 0 and then 2 finish, one every 100 s.
    f.time.advance(100_000);
    await runBackfillWindow(sent[0]!.message, sources, deps());
    expect(sent.at(-1)!.message.backfill?.window).toBe(2);
    f.time.advance(100_000);
    await runBackfillWindow(sent.at(-1)!.message, sources, deps());
    sent.length = 0;

    await driveBackfills({ ...deps(), store: f.store });

    expect(sent.map((s) => s.message.backfill?.window)).toEqual([1]);
    expect((await plans.load(plan))!.completed).toEqual([0, 2]);
  });
});
