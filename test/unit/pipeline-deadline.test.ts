/**
 * Every await of an invocation is bounded by its deadline, and one collection's failure or
 * hang stays with that collection: the others' continuations still go out, and go out as
 * soon as their own run stops.
 */
import { describe, expect, it } from 'vitest';
import type { ConveYourRecord, CursorPosition, Page, PageSource, QuerySpec } from '../../functions/conveyour/types.js';
import { beginRun, emptyCheckpoint, prepareToRead } from '../../functions/pipeline/checkpoint.js';
import { runTick, type PipelineDeps } from '../../functions/pipeline/orchestrate.js';
import { silentLog, type ContinuationMessage } from '../../functions/pipeline/ports.js';
import { MemoryCheckpointStore } from '../support/memoryCheckpointStore.js';
import { MemorySink } from '../support/memorySink.js';
import { basePolicy } from '../support/pipelineFixture.js';
import { makeRecords, ScriptedPageSource } from '../support/scriptedPageSource.js';

const NOW_MS = Date.UTC(2026, 0, 15, 12);
const records = (): ConveYourRecord[] => makeRecords(30, { from: NOW_MS / 1000 - 3_600, step: 10 });

/** Serves pages from `inner`, but holds the pages `hold` picks until `release` resolves or the caller's signal aborts. */
class HoldingSource implements PageSource {
  readonly requests: Array<{ collection: string; sequence: number }> = [];
  readonly aborted: string[] = [];
  constructor(
    private readonly inner: PageSource,
    private readonly hold: (collection: string, sequence: number) => Promise<void> | undefined,
  ) {}
  async *pages(query: QuerySpec, options: { resume?: CursorPosition; signal?: AbortSignal } = {}): AsyncIterable<Page> {
    let sequence = options.resume?.sequence ?? 0;
    for await (const page of this.inner.pages(query, options)) {
      this.requests.push({ collection: query.collection, sequence });
      const held = this.hold(query.collection, sequence);
      if (held) await untilAborted(held, options.signal, () => this.aborted.push(`${query.collection}#${sequence}`));
      yield page;
      sequence += 1;
    }
  }
}

function untilAborted(held: Promise<void>, signal: AbortSignal | undefined, onAbort: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    held.then(resolve, reject);
    signal?.addEventListener('abort', () => (onAbort(), reject(signal.reason)), { once: true });
  });
}

/** Fails the test instead of hanging it when the code under test never returns. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms).unref())]);
}

function tickDeps(options: { remainingMs: () => number; initialStepEstimateMs?: number; send?: (message: ContinuationMessage) => Promise<void> }) {
  const store = new MemoryCheckpointStore();
  const sink = new MemorySink();
  const sent: ContinuationMessage[] = [];
  let runs = 0;
  const deps: PipelineDeps = {
    store,
    sink,
    queue: {
      send: async (message) => {
        await options.send?.(message);
        sent.push(message);
      },
    },
    clock: { nowMs: () => NOW_MS },
    log: silentLog,
    policy: { ...basePolicy, collectionConcurrency: 4, maxHops: 10, safetyMarginMs: 500, initialStepEstimateMs: options.initialStepEstimateMs ?? 10 },
    remainingMs: options.remainingMs,
    owner: 'invocation-1',
    newRunId: () => `run-${++runs}`,
  };
  return { deps, store, sink, sent };
}

/** A checkpoint with a run in flight, as a tick that ran out of time leaves it. */
async function inFlight(store: MemoryCheckpointStore, collection: string) {
  const draft = beginRun(emptyCheckpoint({ source: 'acme', collection }), NOW_MS / 1000, NOW_MS, `run-${collection}`, basePolicy);
  await store.claim({ ...prepareToRead(draft), version: 1 }, 0, NOW_MS);
}

function realDeadline(ms: number): () => number {
  const at = Date.now() + ms;
  return () => at - Date.now();
}

describe('the invocation deadline', () => {
  it('ends a page that hangs past it: the run stops before the deadline, its landed pages checkpointed, and a continuation is sent', async () => {
    // Prepare: events hangs on its second page, forever unless the run gives up on it.
    const source = new HoldingSource(new ScriptedPageSource(records, { pageSize: 10 }), (collection, sequence) =>
      collection === 'events' && sequence === 1 ? new Promise<void>(() => {}) : undefined,
    );
    const remainingMs = realDeadline(1_500);
    const { deps, store, sent } = tickDeps({ remainingMs });

    // Act
    const result = await within(5_000, runTick([{ name: 'acme', collections: ['events', 'contacts'], pages: source }], deps));

    // Assess: ended inside the margin, not at the deadline.
    expect(remainingMs()).toBeGreaterThan(0);
    expect(source.aborted).toEqual(['events#1']);
    const events = result.runs.find((run) => run.key.collection === 'events')!;
    expect(events.status).toBe('budget-spent');
    expect(result.runs.find((run) => run.key.collection === 'contacts')!.status).toBe('caught-up');
    expect(sent.map((message) => message.collection)).toEqual(['events']);
    const checkpoint = await store.load({ source: 'acme', collection: 'events' });
    expect(checkpoint!.lease).toBeUndefined();
    expect(checkpoint!.inFlight!.query!.next!.sequence).toBe(1);
  });

  it('sends a collection its continuation when it stops, while another is still paging; a resumed run without budget fetches nothing', async () => {
    // Prepare: events is in flight and the invocation has no room for a step; contacts' first page is
    // held until events' continuation has gone out (or the deadline ends it, which must not be what happens).
    let continuationSent!: () => void;
    const eventsContinued = new Promise<void>((resolve) => (continuationSent = resolve));
    const source = new HoldingSource(new ScriptedPageSource(records, { pageSize: 10 }), (collection, sequence) =>
      collection === 'contacts' && sequence === 0 ? eventsContinued : undefined,
    );
    const { deps, store, sent } = tickDeps({
      remainingMs: realDeadline(2_000),
      initialStepEstimateMs: 60_000,
      send: async (message) => {
        if (message.collection === 'events') continuationSent();
      },
    });
    await inFlight(store, 'events');

    // Act
    const result = await within(5_000, runTick([{ name: 'acme', collections: ['events', 'contacts'], pages: source }], deps));

    // Assess
    expect(source.aborted).toEqual([]);
    expect(source.requests.filter((request) => request.collection === 'events')).toEqual([]);
    expect(result.runs.find((run) => run.key.collection === 'events')!.status).toBe('budget-spent');
    expect(sent.map((message) => message.collection).sort()).toEqual(['contacts', 'events']);
  });
});

describe('one failure stays where it happened', () => {
  it('a continuation that cannot be sent fails only its collection: the others are still continued', async () => {
    // Prepare: two collections in flight, no budget for a step, SQS refuses events' message.
    const source = new ScriptedPageSource(records, { pageSize: 10 });
    const { deps, store, sent } = tickDeps({
      remainingMs: () => 600_000,
      initialStepEstimateMs: 10_000_000,
      send: async (message) => {
        if (message.collection === 'events') throw Object.assign(new Error('SQS is down'), { code: 'CONTINUATION_SEND_FAILED' });
      },
    });
    await inFlight(store, 'events');
    await inFlight(store, 'contacts');

    // Act
    const result = await runTick([{ name: 'acme', collections: ['events', 'contacts'], pages: source }], deps);

    // Assess
    expect(sent.map((message) => message.collection)).toEqual(['contacts']);
    const events = result.runs.find((run) => run.key.collection === 'events')!;
    expect(events.status).toBe('failed');
    expect(events.error).toEqual({ code: 'CONTINUATION_SEND_FAILED', message: expect.stringContaining('SQS is down') });
    expect(result.failures.map((run) => run.key.collection)).toEqual(['events']);
    expect(result.continuations).toBe(1);
  });
});
