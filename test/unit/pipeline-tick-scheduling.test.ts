/**
 * How a tick schedules its collections: every one is peeked at at once (an idle tick lasts
 * one round trip), and only COLLECTION_CONCURRENCY of those with work page at the same time.
 */
import { describe, expect, it } from 'vitest';
import type { ConveYourRecord, CursorPosition, Page, PageSource, QuerySpec } from '../../functions/conveyour/types.js';
import { runTick, type PipelineDeps } from '../../functions/pipeline/orchestrate.js';
import { silentLog } from '../../functions/pipeline/ports.js';
import { Slots } from '../../functions/pipeline/slots.js';
import { MemoryCheckpointStore } from '../support/memoryCheckpointStore.js';
import { MemorySink } from '../support/memorySink.js';
import { basePolicy } from '../support/pipelineFixture.js';
import { makeRecords, ScriptedPageSource } from '../support/scriptedPageSource.js';

const NOW_MS = 1_700_000_000_000;
const COLLECTIONS = ['campaigns', 'contacts', 'events', 'lessons', 'message_reports', 'tags', 'trigger_logs', 'triggers'];
const BUSY = new Set(['contacts', 'events', 'message_reports']);

/** Counts peeks (first pages) in flight and collections paging past their first page, at their highest. */
class ObservedSource implements PageSource {
  peeksInFlight = 0;
  mostPeeksInFlight = 0;
  paging = 0;
  mostPaging = 0;
  private readonly allPeeksArrived: Promise<void>;
  private arrived!: () => void;

  constructor(
    private readonly inner: PageSource,
    private readonly peeksExpected: number,
  ) {
    this.allPeeksArrived = new Promise((resolve) => (this.arrived = resolve));
  }

  async *pages(query: QuerySpec, options?: { resume?: CursorPosition }): AsyncIterable<Page> {
    const iterator = this.inner.pages(query, options)[Symbol.asyncIterator]();
    // Every first page is held until all of them were asked for: a tick that peeks a few at a time never gets there.
    this.peeksInFlight += 1;
    this.mostPeeksInFlight = Math.max(this.mostPeeksInFlight, this.peeksInFlight);
    if (this.peeksInFlight === this.peeksExpected) this.arrived();
    await Promise.race([this.allPeeksArrived, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    this.peeksInFlight -= 1;
    let first = true;
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        yield next.value;
        if (first) {
          first = false;
          this.paging += 1;
          this.mostPaging = Math.max(this.mostPaging, this.paging);
        }
        // Long enough for other collections to page meanwhile, were they allowed to.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      if (!first) this.paging -= 1;
    }
  }
}

function tickDeps(source: ObservedSource, collectionConcurrency: number) {
  const store = new MemoryCheckpointStore();
  const sink = new MemorySink();
  let runs = 0;
  const deps: PipelineDeps = {
    store,
    sink,
    queue: { send: async () => {} },
    clock: { nowMs: () => NOW_MS },
    log: silentLog,
    policy: { ...basePolicy, collectionConcurrency, maxHops: 10, safetyMarginMs: 1_000, initialStepEstimateMs: 10 },
    remainingMs: () => 600_000,
    owner: 'invocation-1',
    newRunId: () => `run-${++runs}`,
  };
  return { deps, sink };
}

describe('a tick', () => {
  it('peeks at every collection at once, and pages at most COLLECTION_CONCURRENCY of those with work at a time', async () => {
    // Prepare: three collections with 40 records each (four pages), five idle.
    const records = (collection: string): ConveYourRecord[] =>
      BUSY.has(collection) ? makeRecords(40, { from: NOW_MS / 1000 - 3_600, step: 10, prefix: `${collection}-` }) : [];
    const source = new ObservedSource(new ScriptedPageSource(records, { pageSize: 10 }), COLLECTIONS.length);
    const { deps, sink } = tickDeps(source, 2);

    // Act
    const result = await runTick([{ name: 'acme', collections: COLLECTIONS, pages: source }], deps);

    // Assess
    expect(source.mostPeeksInFlight).toBe(COLLECTIONS.length);
    expect(source.mostPaging).toBe(2);
    expect(result.runs.filter((run) => run.status === 'caught-up').map((run) => run.key.collection).sort()).toEqual([...BUSY].sort());
    expect(result.runs.filter((run) => run.status === 'idle')).toHaveLength(COLLECTIONS.length - BUSY.size);
    expect(new Set(sink.records().map((record) => record._id)).size).toBe(BUSY.size * 40);
  });
});

describe('Slots', () => {
  it('lets `size` holders in at once, the rest in arrival order, and ignores a second release', async () => {
    const slots = new Slots(2);
    const order: string[] = [];
    const first = await slots.acquire();
    const second = await slots.acquire();
    const third = slots.acquire().then((release) => (order.push('third'), release));
    const fourth = slots.acquire().then((release) => (order.push('fourth'), release));

    first();
    first();
    const releaseThird = await third;
    expect(order).toEqual(['third']);
    second();
    (await fourth)();
    releaseThird();

    expect(order).toEqual(['third', 'fourth']);
    // Both slots are free again: two acquire at once without waiting.
    await Promise.all([slots.acquire(), slots.acquire()]);
  });

  it('refuses a size that is not a whole number of at least one', () => {
    expect(() => new Slots(0)).toThrow('slots must be an integer >= 1, got 0');
  });
});
