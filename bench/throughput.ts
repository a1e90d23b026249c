/**
 * 1. End to end: the simulator (its own process, page latency L) through the real pipeline
 * core (runTick with the real S3, DynamoDB and SQS adapters on the emulators, in their own
 * process) into NDJSON.gz objects, against a baseline in the same run that pages the way
 * the original tool did: fetch a page, hand its records over, then ask for the next, one
 * query at a time. Both land through the same encoder and S3 sink, so the difference is the
 * paging alone.
 */
import { randomUUID } from 'node:crypto';
import { ConveYourClient } from '../functions/conveyour/client.js';
import { encodeLandingObjectsSync, pageRange, type LandingObject } from '../functions/pipeline/landing.js';
import { runTick, type PipelinePolicy } from '../functions/pipeline/orchestrate.js';
import { silentLog } from '../functions/pipeline/ports.js';
import type { SimulatorReady } from './hosts/simulatorHost.js';
import type { BenchAws } from './lib/benchAws.js';
import { startChild } from './lib/child.js';
import { CountingQueue, CountingSink, CountingStore, TimedPageSource, zeroCounts, type Counts, type QueryTiming } from './lib/countingPorts.js';
import { fixed, int, ms, ratio, table, verdict } from './lib/format.js';
import { FUNCTION, productPolicy } from './lib/product.js';
import { median, medianOf, repeat } from './lib/stats.js';

/** Four collections of equal size: the tick pages COLLECTION_CONCURRENCY (4) cursors at once. */
export const THROUGHPUT_COLLECTIONS = ['events', 'contacts', 'message_reports', 'trigger_logs'] as const;

export interface ThroughputOptions {
  latenciesMs: number[];
  recordsPerCollection: number;
  pageSize: number;
  runs: number;
}

export interface VariantRun {
  wallMs: number;
  /** CPU time (user + system) of this process during the run: the pipeline's own, simulator and emulators excluded. */
  cpuMs: number;
  records: number;
  apiBytes: number;
  pages: number;
  /** Per query: pages × L / (last page − first request); undefined at L = 0. */
  pagesPerLatency: number[];
  /**
   * Per query: pages × its median round trip / (last page − first request): the share of the time
   * the cursor had a request on the wire. Unlike L, the round trip includes the simulator's own time.
   */
  pagesPerRoundTrip: number[];
  /** Median round trip over all pages of the run. */
  roundTripMs: number;
  counts: Counts;
}

export interface LatencyResult {
  latencyMs: number;
  ours: VariantRun[];
  baseline: VariantRun[];
  /** Ours with one collection: one cursor with the event loop to itself. */
  oneCursor: VariantRun[];
}

export interface ThroughputReport {
  options: ThroughputOptions;
  policy: PipelinePolicy;
  results: LatencyResult[];
}

export async function runThroughput(aws: BenchAws, options: ThroughputOptions, log: (line: string) => void): Promise<ThroughputReport> {
  const policy = productPolicy();
  const results: LatencyResult[] = [];
  for (const latencyMs of options.latenciesMs) {
    const counts = Object.fromEntries(THROUGHPUT_COLLECTIONS.map((c) => [c, options.recordsPerCollection]));
    const sim = await startChild<SimulatorReady>('bench/hosts/simulatorHost.ts', [
      JSON.stringify({ seed: 11, history: { days: 3, counts, updates: false }, pageSize: options.pageSize, latencyMs }),
    ]);
    const client = new ConveYourClient({ baseUrl: sim.ready.url, credentials: sim.ready.credentials });
    try {
      const runs = { ours: [] as VariantRun[], baseline: [] as VariantRun[], oneCursor: [] as VariantRun[] };
      await repeat(options.runs, async (run) => {
        // Alternate the order so neither variant always runs on a warmer machine.
        const order = run % 2 === 0 ? (['baseline', 'ours', 'oneCursor'] as const) : (['oneCursor', 'ours', 'baseline'] as const);
        for (const variant of order) {
          const result =
            variant === 'ours'
              ? await runOurs(aws, client, policy, latencyMs, THROUGHPUT_COLLECTIONS)
              : variant === 'oneCursor'
                ? await runOurs(aws, client, policy, latencyMs, [THROUGHPUT_COLLECTIONS[0]])
                : await runBaseline(aws, client, policy, latencyMs);
          runs[variant].push(result);
          log(`  L=${latencyMs} ms run ${run + 1} ${variant}: ${int(result.records)} records in ${fixed(result.wallMs, 0)} ms`);
        }
      });
      results.push({ latencyMs, ...runs });
    } finally {
      await client.close();
      await sim.close();
    }
  }
  return { options, policy, results };
}

async function runOurs(aws: BenchAws, client: ConveYourClient, policy: PipelinePolicy, latencyMs: number, collections: readonly string[]): Promise<VariantRun> {
  const resources = await aws.fresh();
  const counts = zeroCounts();
  const pages = new TimedPageSource(client, counts);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const deadline = Date.now() + FUNCTION.continueTimeoutMs;
  const result = await runTick([{ name: 'bench', collections, pages }], {
    store: new CountingStore(resources.store, counts),
    sink: new CountingSink(resources.sink, counts),
    queue: new CountingQueue(resources.queue, counts),
    clock: { nowMs: Date.now },
    log: silentLog,
    policy,
    remainingMs: () => deadline - Date.now(),
    owner: `bench-${randomUUID()}`,
    newRunId: randomUUID,
  });
  const wallMs = performance.now() - started;
  const cpuMs = cpuSince(cpu);
  const failed = result.runs.filter((run) => run.status !== 'caught-up');
  if (failed.length > 0) throw new Error(`throughput run did not catch up: ${JSON.stringify(failed.map((run) => [run.key.collection, run.status, run.error]))}`);
  return finish(wallMs, cpuMs, counts, pages.queries, latencyMs);
}

/**
 * The original tool's loop: one query at a time, and each page's records handed over (here:
 * serialised and compressed, the per-record work of landing) before the next page is asked
 * for. Objects are still written per FLUSH_BYTES, as ours are, so both make the same PUTs;
 * a batch's object is the gzip members of its pages one after the other (valid gzip).
 */
async function runBaseline(aws: BenchAws, client: ConveYourClient, policy: PipelinePolicy, latencyMs: number): Promise<VariantRun> {
  const resources = await aws.fresh();
  const counts = zeroCounts();
  const pages = new TimedPageSource(client, counts);
  const sink = new CountingSink(resources.sink, counts);
  const window = { start: 0, end: Math.floor(Date.now() / 1000) };
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const collection of THROUGHPUT_COLLECTIONS) {
    let batch = new Map<string, LandingObject[]>();
    let batchBytes = 0;
    for await (const page of pages.pages({ collection, window })) {
      const identity = { prefix: policy.prefix, source: 'baseline', collection, window, run: 'bench', generation: 0, range: pageRange(page.sequence, page.sequence) };
      for (const object of encodeLandingObjectsSync(identity, page.records)) {
        const parts = batch.get(object.dt) ?? [];
        parts.push(object);
        batch.set(object.dt, parts);
      }
      batchBytes += page.byteLength;
      if (batchBytes >= policy.flushBytes || !page.nextCursor) {
        await Promise.all([...batch.values()].map((parts) => sink.put(merge(parts))));
        batch = new Map();
        batchBytes = 0;
      }
    }
  }
  return finish(performance.now() - started, cpuSince(cpu), counts, pages.queries, latencyMs);
}

function merge(parts: LandingObject[]): LandingObject {
  const first = parts[0]!;
  const records = parts.reduce((sum, part) => sum + part.records, 0);
  return {
    ...first,
    body: Buffer.concat(parts.map((part) => part.body)),
    records,
    rawBytes: parts.reduce((sum, part) => sum + part.rawBytes, 0),
    metadata: { ...first.metadata, records: String(records) },
  };
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}


function finish(wallMs: number, cpuMs: number, counts: Counts, queries: QueryTiming[], latencyMs: number): VariantRun {
  const paged = queries.filter((query) => query.pages >= 2 && query.firstRequestMs !== undefined && query.lastPageMs !== undefined);
  return {
    wallMs,
    cpuMs,
    records: counts.s3Records,
    apiBytes: counts.apiBytes,
    pages: counts.apiPages,
    pagesPerLatency: latencyMs === 0 ? [] : paged.map((query) => (query.pages * latencyMs) / (query.lastPageMs! - query.firstRequestMs!)),
    pagesPerRoundTrip: paged.map((query) => (query.pages * median(query.fetchMs)) / (query.lastPageMs! - query.firstRequestMs!)),
    roundTripMs: median(queries.flatMap((query) => query.fetchMs)),
    counts,
  };
}

const recordsPerSecond = (run: VariantRun) => (run.records * 1000) / run.wallMs;
const megabytesPerSecond = (run: VariantRun) => (run.apiBytes / (1024 * 1024) / run.wallMs) * 1000;

export interface ThroughputSummary {
  latencyMs: number;
  oursRecordsPerSecond: number;
  baselineRecordsPerSecond: number;
  speedup: number;
  oursPagesPerLatency: number | undefined;
  worstCursorPagesPerLatency: number | undefined;
  oneCursorPagesPerLatency: number | undefined;
  oneCursorRecordsPerSecond: number;
  baselinePagesPerLatency: number | undefined;
  /** The pipeline process's CPU per page (ours). */
  cpuMsPerPage: number;
  oursPagesPerRoundTrip: number;
  oneCursorPagesPerRoundTrip: number;
  /** Median round trip of a page for one cursor alone: L plus the simulator's and the client's time. */
  oneCursorRoundTripMs: number;
}

export function summarizeThroughput(report: ThroughputReport): ThroughputSummary[] {
  return report.results.map(({ latencyMs, ours, baseline, oneCursor }) => {
    const cursor = (runs: VariantRun[]) => (latencyMs === 0 ? undefined : medianOf(runs, (run) => median(run.pagesPerLatency)));
    return {
      latencyMs,
      oursRecordsPerSecond: medianOf(ours, recordsPerSecond),
      baselineRecordsPerSecond: medianOf(baseline, recordsPerSecond),
      speedup: medianOf(ours, recordsPerSecond) / medianOf(baseline, recordsPerSecond),
      oursPagesPerLatency: cursor(ours),
      worstCursorPagesPerLatency: latencyMs === 0 ? undefined : medianOf(ours, (run) => Math.min(...run.pagesPerLatency)),
      oneCursorPagesPerLatency: cursor(oneCursor),
      oneCursorRecordsPerSecond: medianOf(oneCursor, recordsPerSecond),
      cpuMsPerPage: medianOf(ours, (run) => run.cpuMs / run.pages),
      oursPagesPerRoundTrip: medianOf(ours, (run) => median(run.pagesPerRoundTrip)),
      oneCursorPagesPerRoundTrip: medianOf(oneCursor, (run) => median(run.pagesPerRoundTrip)),
      oneCursorRoundTripMs: medianOf(oneCursor, (run) => run.roundTripMs),
      baselinePagesPerLatency: cursor(baseline),
    };
  });
}

export function renderThroughput(report: ThroughputReport): string {
  const { options } = report;
  const summaries = summarizeThroughput(report);
  const rows = report.results.map(({ latencyMs, ours, baseline }, index) => {
    const s = summaries[index]!;
    return [
      `${latencyMs} ms`,
      `${int(s.oursRecordsPerSecond)} rec/s, ${fixed(medianOf(ours, megabytesPerSecond), 1)} MB/s`,
      `${int(s.baselineRecordsPerSecond)} rec/s, ${fixed(medianOf(baseline, megabytesPerSecond), 1)} MB/s`,
      ratio(s.speedup),
      s.oursPagesPerLatency === undefined ? 'n/a (L = 0)' : `${fixed(s.oursPagesPerLatency, 2)} (slowest cursor ${fixed(s.worstCursorPagesPerLatency!, 2)})`,
      s.oneCursorPagesPerLatency === undefined
        ? `n/a; ${int(s.oneCursorRecordsPerSecond)} rec/s`
        : `${fixed(s.oneCursorPagesPerLatency, 2)} (${fixed(s.oneCursorPagesPerRoundTrip, 2)} per round trip of ${fixed(s.oneCursorRoundTripMs, 0)} ms); ${int(s.oneCursorRecordsPerSecond)} rec/s`,
      s.baselinePagesPerLatency === undefined ? 'n/a' : fixed(s.baselinePagesPerLatency, 2),
      `${ms(medianOf(ours, (run) => run.wallMs))} / ${ms(medianOf(baseline, (run) => run.wallMs))}`,
    ];
  });
  const at50 = summaries.find((s) => s.latencyMs === 50);
  const cursorGoal = summaries.filter((s) => s.oursPagesPerLatency !== undefined);
  const sample = report.results[0]?.ours[0]?.counts;
  return [
    `Workload: ${THROUGHPUT_COLLECTIONS.length} collections (${THROUGHPUT_COLLECTIONS.join(', ')}) of ${int(options.recordsPerCollection)} records each, ` +
      `pages of ${int(options.pageSize)} (${int(options.recordsPerCollection / options.pageSize)} pages per query), ` +
      `${sample ? fixed(sample.apiBytes / sample.apiRecords, 0) : '?'} bytes per record on the wire, median of ${options.runs} runs per cell. ` +
      `Ours: \`runTick\` with the product's defaults (COLLECTION_CONCURRENCY ${report.policy.collectionConcurrency}, prefetch depth 1, FLUSH_BYTES ${int(report.policy.flushBytes)}) ` +
      `and the real DynamoDB checkpoint store, S3 sink and SQS queue. Baseline: one query at a time, next page only after the previous was handed over, same encoder and sink, no checkpoints.`,
    '',
    table(
      ['Page latency L', 'Ours (4 collections)', 'Baseline (original paging)', 'Speed-up', 'Ours: pages per L per cursor', 'Ours, one collection alone: pages per L', 'Baseline: pages per L', 'Wall time ours / baseline'],
      rows,
    ),
    '',
    `- Goal ≥ 0.9 pages per L per cursor, with ${THROUGHPUT_COLLECTIONS.length} cursors sharing the invocation: ${verdict(cursorGoal.every((s) => s.oursPagesPerLatency! >= 0.9))} ` +
      `(${cursorGoal.map((s) => `${fixed(s.oursPagesPerLatency!, 2)} at ${s.latencyMs} ms`).join(', ')}); ` +
      `a cursor alone: ${verdict(cursorGoal.every((s) => s.oneCursorPagesPerLatency! >= 0.9))} (${cursorGoal.map((s) => `${fixed(s.oneCursorPagesPerLatency!, 2)} at ${s.latencyMs} ms`).join(', ')}).`,
    `- Goal ≥ 1.8× the baseline at L = 50 ms: ${at50 ? `${verdict(at50.speedup >= 1.8)} (${ratio(at50.speedup)})` : 'not measured'}.`,
  ].join('\n');
}
