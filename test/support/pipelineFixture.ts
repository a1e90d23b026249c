/** Wires the core with in-memory ports and a controllable clock, for unit tests. */
import type { ConveYourRecord } from '../../functions/conveyour/types.js';
import { Budget } from '../../functions/pipeline/budget.js';
import type { RunDeps, RunPolicy } from '../../functions/pipeline/ports.js';
import { silentLog } from '../../functions/pipeline/ports.js';
import { MemoryCheckpointStore } from './memoryCheckpointStore.js';
import { MemorySink } from './memorySink.js';
import { ScriptedPageSource, type ScriptedOptions } from './scriptedPageSource.js';

export const basePolicy: RunPolicy = {
  prefix: 'landing/',
  overlapSeconds: 60,
  initialStart: 0,
  queryCap: 100_000,
  flushBytes: 1,
  idleCheckpointMs: 15 * 60_000,
  leaseSlackMs: 30_000,
  transcriptConcurrency: 4,
  // The tests of the settle margin (pipeline-server-clock.test.ts) set their own; the others keep windows ending at "now".
  settleSeconds: 0,
};

export class FakeTime {
  constructor(public ms: number) {}
  nowMs = () => this.ms;
  advance(ms: number) {
    this.ms += ms;
  }
}

export function fixture(options: {
  records: (collection: string) => ConveYourRecord[];
  source?: Partial<ScriptedOptions>;
  policy?: Partial<RunPolicy>;
  nowMs?: number;
  /** Milliseconds the invocation has left, evaluated on each budget check. */
  remainingMs?: () => number;
}) {
  const time = new FakeTime(options.nowMs ?? 1_700_000_000_000);
  const store = new MemoryCheckpointStore();
  const sink = new MemorySink({ writeOnce: true });
  const source = new ScriptedPageSource(options.records, { pageSize: 10, ...options.source });
  let runs = 0;
  const deps = (owner = 'invocation-1', remainingMs = options.remainingMs ?? (() => 600_000)): RunDeps => ({
    source,
    store,
    sink,
    clock: { nowMs: time.nowMs },
    budget: new Budget({ remainingMs, safetyMarginMs: 1_000, initialStepEstimateMs: 100 }),
    log: silentLog,
    owner,
    newRunId: () => `run-${++runs}`,
    policy: { ...basePolicy, ...options.policy },
  });
  return { time, store, sink, source, deps };
}

/** Asserts the store's writes never moved a watermark back or skipped a version. */
export function assertMonotonic(store: MemoryCheckpointStore): void {
  const last = new Map<string, { version: number; watermark: number }>();
  for (const write of store.writes) {
    const key = `${write.source}#${write.collection}`;
    const previous = last.get(key);
    if (previous) {
      if (write.version !== previous.version + 1) throw new Error(`version jumped ${previous.version} -> ${write.version}`);
      if ((write.watermark ?? -1) < previous.watermark) throw new Error(`watermark moved back ${previous.watermark} -> ${write.watermark}`);
    }
    last.set(key, { version: write.version, watermark: write.watermark ?? -1 });
  }
}
