/**
 * One memory case in a fresh process: land every record of one collection through the real
 * core and adapters, sampling this process's memory, and report its peak. The simulator and
 * the emulators run in other processes (the parent started them), so only the pipeline's
 * own memory is in the figure. argv[2]: MemoryCaseInput as JSON.
 */
import { randomUUID } from 'node:crypto';
import { ConveYourClient } from '../../functions/conveyour/client.js';
import { runTick } from '../../functions/pipeline/orchestrate.js';
import { silentLog } from '../../functions/pipeline/ports.js';
import { connectAws } from '../lib/benchAws.js';
import { CountingQueue, CountingSink, CountingStore, zeroCounts, type Counts } from '../lib/countingPorts.js';
import { failStart, serve } from '../lib/child.js';
import { productPolicy } from '../lib/product.js';
import type { EmulatorsReady } from './emulatorsHost.js';
import type { SimulatorReady } from './simulatorHost.js';

export interface MemoryCaseInput {
  emulators: EmulatorsReady;
  simulator: SimulatorReady;
  collection: string;
  queryCap: number;
}

export interface MemoryCaseResult {
  records: number;
  files: number;
  rawBytes: number;
  wallMs: number;
  /** process.resourceUsage().maxRSS, bytes: the kernel's high-water mark for this process. */
  maxRssBytes: number;
  /** Highest heapUsed and external+arrayBuffers seen by a 20 ms sampler. */
  peakHeapBytes: number;
  peakExternalBytes: number;
  /** RSS after start-up, before the first request: the process's floor. */
  baselineRssBytes: number;
  /** What the run cost in requests: feeds the backfill's cost model. */
  counts: Counts;
}

try {
  const input = JSON.parse(process.argv[2] ?? '{}') as MemoryCaseInput;
  const baselineRssBytes = process.memoryUsage().rss;
  serve({ pid: process.pid }, { run: () => land(input, baselineRssBytes) }, async () => {});
} catch (error) {
  failStart(error);
}

async function land(input: MemoryCaseInput, baselineRssBytes: number): Promise<MemoryCaseResult> {
  const aws = connectAws(input.emulators);
  const resources = await aws.fresh();
  const client = new ConveYourClient({ baseUrl: input.simulator.url, credentials: input.simulator.credentials });
  const counts = zeroCounts();
  let peakHeapBytes = 0;
  let peakExternalBytes = 0;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peakHeapBytes = Math.max(peakHeapBytes, usage.heapUsed);
    peakExternalBytes = Math.max(peakExternalBytes, usage.external + usage.arrayBuffers);
  }, 20);
  const started = performance.now();
  try {
    // One invocation with time for everything: the figure is memory per batch, not per invocation.
    const deadline = Date.now() + 3_600_000;
    const result = await runTick([{ name: 'bench', collections: [input.collection], pages: client }], {
      store: new CountingStore(resources.store, counts),
      sink: new CountingSink(resources.sink, counts),
      queue: new CountingQueue(resources.queue, counts),
      clock: { nowMs: Date.now },
      log: silentLog,
      policy: productPolicy({ QUERY_CAP: String(input.queryCap) }),
      remainingMs: () => deadline - Date.now(),
      owner: `memory-${randomUUID()}`,
      newRunId: randomUUID,
    });
    const run = result.runs[0]!;
    if (run.status !== 'caught-up') throw new Error(`memory case did not catch up: ${run.status} ${JSON.stringify(run.error)}`);
    return {
      records: run.records,
      files: run.files,
      rawBytes: run.bytes,
      wallMs: performance.now() - started,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      peakHeapBytes,
      peakExternalBytes,
      baselineRssBytes,
      counts,
    };
  } finally {
    clearInterval(sampler);
    await client.close();
    await aws.close();
  }
}
