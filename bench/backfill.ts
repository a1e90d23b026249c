/**
 * 6. Backfill: records per second of a backfill against the simulator at the API's real
 * 100,000-record cap, with one window at a time against N at once (N: the default of
 * `npm run backfill`, infra/backfill/args.ts).
 *
 * The real backfill code end to end: `startBackfill` writes the plan (DynamoBackfillStore) and
 * sends the first window messages; N workers take them from the SQS emulator one message per
 * invocation, as the deployed continue function does (batch size 1), and run `runBackfillWindow`
 * with the real S3, DynamoDB and SQS adapters; `driveBackfills` (the tick's upkeep) runs whenever
 * a worker finds the queue empty. The simulator runs in its own process with the real cap, a
 * page latency, and the local runtime's rate limit; its history ends at a fixed anchor and
 * nothing changes after it, so every run reads the same data. Each run is checked: the distinct versions landed in S3 must be exactly
 * the versions the simulator holds for the range, or the run fails.
 */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoBackfillStore } from '../functions/adapters/dynamoBackfillStore.js';
import { ConveYourClient } from '../functions/conveyour/client.js';
import { windowLane, type BackfillPlan } from '../functions/backfill/plan.js';
import { driveBackfills, runBackfillWindow, startBackfill, type BackfillDeps } from '../functions/backfill/worker.js';
import { parseContinuationMessage } from '../functions/pipeline/messages.js';
import { catalogOf, type SourceRuntime } from '../functions/pipeline/orchestrate.js';
import { silentLog } from '../functions/pipeline/ports.js';
import { progressOf } from '../infra/backfill/progress.js';
import type { SimulatorReady, TruthQuery } from './hosts/simulatorHost.js';
import { truthDigest, type VersionDigest } from './lib/digest.js';
import type { BenchAws } from './lib/benchAws.js';
import { startChild } from './lib/child.js';
import { TimedPageSource, zeroCounts } from './lib/countingPorts.js';
import { fixed, int, ratio, table } from './lib/format.js';
import { FUNCTION, productPolicy } from './lib/product.js';
import { median, medianRun } from './lib/stats.js';

export interface BackfillOptions {
  /** events created over the history (each may have later versions). */
  events: number;
  /** Days of history before the simulator's (fixed) clock: the backfill's range. */
  days: number;
  /** Windows in flight at once, each with as many workers; the first is the baseline. */
  concurrencies: number[];
  latencyMs: number;
  runs: number;
}

export interface BackfillRun {
  concurrency: number;
  wallMs: number;
  /** CPU (user + system) of the pipeline's process, the simulator's and the emulators', during the run. */
  pipelineCpuMs: number;
  simulatorCpuMs: number;
  emulatorsCpuMs: number;
  windows: number;
  /** Queries the windows opened (a window over the cap is split into more than one). */
  queries: number;
  /** Records read and landed, re-reads of split windows included. */
  recordsRead: number;
  /** Records read by each window, in plan order: the largest is the long pole of a concurrent run. */
  windowRecords: number[];
  /** Distinct versions landed: what downstream gets after dedupe. */
  versionsLanded: number;
  apiRequests: number;
  throttled: number;
  retries: number;
  invocations: number;
  objects: number;
}

export interface BackfillReport {
  options: BackfillOptions;
  queryCap: number;
  pageSize: number;
  rateLimit: { requestsPerSecond: number; burst: number };
  range: { from: number; to: number };
  truth: VersionDigest;
  results: Array<{ concurrency: number; runs: BackfillRun[] }>;
}

const SOURCE = 'bench';
const COLLECTION = 'events';
const DAY = 86_400;
/** History ends here (the simulator's anchor), so the range ends on a month boundary. */
const ANCHOR_MS = Date.UTC(2026, 0, 1);
/** The local runtime's simulator rate limit (infra/local/runtime.ts). */
const RATE_LIMIT = { requestsPerSecond: 200, burst: 400 };
const PAGE_SIZE = 1000;
const MAX_RUN_MS = 15 * 60_000;

/** The emulators' process resource usage (their child's `resourceUsage`), so their CPU is counted too. */
export type UsageOf = () => Promise<NodeJS.ResourceUsage>;

export async function runBackfill(aws: BenchAws, emulatorsUsage: UsageOf, options: BackfillOptions, log: (line: string) => void): Promise<BackfillReport> {
  const policy = productPolicy();
  const startedSim = performance.now();
  const sim = await startChild<SimulatorReady>('bench/hosts/simulatorHost.ts', [
    JSON.stringify({
      seed: 41,
      // Enough parents (events need a contact and a campaign, contacts a tag) that events start within hours of the range's start.
      history: { days: options.days, counts: { events: options.events, contacts: 1000, campaigns: 200, tags: 200, lessons: 5, message_reports: 5, triggers: 5, trigger_logs: 5 } },
      queryCap: policy.queryCap,
      pageSize: PAGE_SIZE,
      latencyMs: options.latencyMs,
      rateLimit: RATE_LIMIT,
      // History ends at the anchor and nothing changes after it (no live mode): every run reads the same data.
      anchorMs: ANCHOR_MS,
    }),
  ]);
  try {
    const anchorSec = ANCHOR_MS / 1000;
    const range = { from: anchorSec - options.days * DAY, to: anchorSec };
    const truth = await sim.call<VersionDigest>('truth', { collection: COLLECTION, window: { start: range.from, end: range.to }, snapshotSec: Math.floor(Date.now() / 1000) } satisfies TruthQuery);
    log(`  simulator: ${int(truth.versions)} versions of ${COLLECTION} over ${options.days} days, cap ${int(policy.queryCap)}, ready in ${fixed((performance.now() - startedSim) / 1000, 1)} s`);
    const results = options.concurrencies.map((concurrency) => ({ concurrency, runs: [] as BackfillRun[] }));
    for (let run = 0; run < options.runs; run++) {
      // Alternate the order so neither variant always runs on a warmer machine.
      const order = run % 2 === 0 ? results : [...results].reverse();
      for (const variant of order) {
        const measured = await backfillOnce(aws, emulatorsUsage, sim, range, truth, variant.concurrency, `bf-${run}-${variant.concurrency}`);
        log(
          `  concurrency ${variant.concurrency}, run ${run + 1}: ${int(measured.versionsLanded)} versions in ${fixed(measured.wallMs / 1000, 1)} s ` +
            `(${int(measured.versionsLanded / (measured.wallMs / 1000))} records/s), ${measured.windows} windows, ${measured.queries} queries, ${int(measured.recordsRead)} records read`,
        );
        variant.runs.push(measured);
      }
    }
    return { options, queryCap: policy.queryCap, pageSize: PAGE_SIZE, rateLimit: RATE_LIMIT, range, truth, results };
  } finally {
    await sim.close();
  }
}

async function backfillOnce(
  aws: BenchAws,
  emulatorsUsage: UsageOf,
  sim: Awaited<ReturnType<typeof startChild<SimulatorReady>>>,
  range: { from: number; to: number },
  truth: VersionDigest,
  concurrency: number,
  id: string,
): Promise<BackfillRun> {
  const resources = await aws.fresh();
  const plans = new DynamoBackfillStore(aws.clients.documents, resources.table);
  const counts = zeroCounts();
  let throttledAt = -Infinity;
  let throttled = 0;
  let retries = 0;
  const client = new ConveYourClient({
    baseUrl: sim.ready.url,
    credentials: sim.ready.credentials,
    // As the deployed handlers note a 429 (functions/handlers/runtime.ts): all workers then back off together.
    onEvent: (event) => {
      if (event.type === 'retry') retries += 1;
      if (event.status === 429) {
        throttled += 1;
        throttledAt = Date.now();
      }
    },
  });
  const sources: SourceRuntime[] = [{ name: SOURCE, collections: [COLLECTION], pages: new TimedPageSource(client, counts) }];
  const catalog = catalogOf(sources);
  const policy = productPolicy();
  const clock = { nowMs: Date.now };
  let invocations = 0;
  const deps = (): BackfillDeps => {
    const startedAt = Date.now();
    return {
      store: resources.store,
      sink: resources.sink,
      queue: resources.queue,
      clock,
      log: silentLog,
      policy,
      // Each invocation has the continue function's whole timeout, as deployed.
      remainingMs: () => FUNCTION.continueTimeoutMs - (Date.now() - startedAt),
      owner: `bench-worker-${++invocations}`,
      newRunId: () => `run-${id}-${invocations}`,
      plans,
      // The product's defaults (BACKFILL_STALL_SECONDS, BACKFILL_THROTTLE_HOLD_SECONDS).
      stallMs: 120_000,
      throttleHoldMs: 30_000,
      throttledRecently: () => throttledAt >= startedAt,
    };
  };

  const cpuBefore = process.cpuUsage();
  const simBefore = await sim.call<NodeJS.ResourceUsage>('resourceUsage');
  const emulatorsBefore = await emulatorsUsage();
  const started = performance.now();
  let plan: BackfillPlan;
  try {
    plan = await startBackfill({ source: SOURCE, collection: COLLECTION, id, ...range, concurrency }, deps());
    const done = async () => (await plans.load(plan))?.status === 'done';
    const deadline = Date.now() + MAX_RUN_MS;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (!(await done())) {
          if (Date.now() > deadline) throw new Error(`backfill at concurrency ${concurrency} did not finish within ${MAX_RUN_MS / 60_000} minutes`);
          const received = await aws.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: resources.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }));
          const message = received.Messages?.[0];
          if (!message) {
            await driveBackfills(deps());
            await new Promise((resolve) => setTimeout(resolve, 100));
            continue;
          }
          const result = await runBackfillWindow(parseContinuationMessage(message.Body!, catalog), sources, deps());
          if (result.failures.length > 0) throw new Error(`backfill window failed: ${JSON.stringify(result.failures[0]?.error ?? result.failures[0])}`);
          await aws.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: resources.queueUrl, ReceiptHandle: message.ReceiptHandle! }));
        }
      }),
    );
  } finally {
    await client.close();
  }
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const simAfter = await sim.call<NodeJS.ResourceUsage>('resourceUsage');
  const emulatorsAfter = await emulatorsUsage();
  const cpuMs = (before: NodeJS.ResourceUsage, after: NodeJS.ResourceUsage) => (after.userCPUTime + after.systemCPUTime - before.userCPUTime - before.systemCPUTime) / 1000;

  const finished = (await plans.load(plan))!;
  const checkpoints = await resources.store.list();
  const progress = progressOf([finished], checkpoints);
  const lanes = new Map(checkpoints.filter((cp) => cp.lane).map((cp) => [cp.lane!, cp]));
  const windowRecords = finished.windows.map((_, index) => lanes.get(windowLane(finished.id, index))?.counters.records ?? 0);
  const landed = await landedVersions(aws.clients.s3, resources.bucket);
  const digest = truthDigest(landed.versions);
  if (digest.versions !== truth.versions || digest.sha256 !== truth.sha256) {
    throw new Error(`backfill at concurrency ${concurrency} landed ${digest.versions} distinct versions, the simulator holds ${truth.versions} (digests ${digest.sha256 === truth.sha256 ? 'equal' : 'differ'})`);
  }
  return {
    concurrency,
    wallMs,
    pipelineCpuMs: (cpu.user + cpu.system) / 1000,
    simulatorCpuMs: cpuMs(simBefore, simAfter),
    emulatorsCpuMs: cpuMs(emulatorsBefore, emulatorsAfter),
    windows: progress.windows,
    queries: progress.queries,
    recordsRead: progress.records,
    windowRecords,
    versionsLanded: digest.versions,
    apiRequests: counts.apiRequests,
    throttled,
    retries,
    invocations,
    objects: landed.objects,
  };
}

/** Every `_id@updated_at` in the bucket's NDJSON.gz objects (ListObjects v1: s3rver cannot page V2). */
async function landedVersions(s3: S3Client, bucket: string): Promise<{ versions: string[]; objects: number }> {
  const keys: string[] = [];
  let marker: string | undefined;
  do {
    const page = await s3.send(new ListObjectsCommand({ Bucket: bucket, Marker: marker, MaxKeys: 1000 }));
    keys.push(...(page.Contents ?? []).map((item) => item.Key!));
    marker = page.IsTruncated ? keys.at(-1) : undefined;
  } while (marker);
  const versions: string[] = [];
  for (const key of keys) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = gunzipSync(Buffer.from(await object.Body!.transformToByteArray())).toString('utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const record = JSON.parse(line) as { _id: string; updated_at: unknown };
      versions.push(`${record._id}@${String(record.updated_at)}`);
    }
  }
  return { versions, objects: keys.length };
}

export interface BackfillSummary {
  concurrency: number;
  run: BackfillRun;
  recordsPerSecond: number;
}

/** The median run (by wall time) of each concurrency, and its records per second (distinct versions landed / wall time). */
export function summarizeBackfill(report: BackfillReport): BackfillSummary[] {
  return report.results.map(({ concurrency, runs }) => {
    const run = medianRun(runs, (r) => r.wallMs);
    return { concurrency, run, recordsPerSecond: median(runs.map((r) => r.versionsLanded / (r.wallMs / 1000))) };
  });
}

export function renderBackfill(report: BackfillReport): string {
  const summary = summarizeBackfill(report);
  const base = summary[0]!;
  const iso = (sec: number) => new Date(sec * 1000).toISOString().slice(0, 10);
  const rows = summary.map(({ concurrency, run, recordsPerSecond }) => [
    String(concurrency),
    int(recordsPerSecond),
    ratio(recordsPerSecond / base.recordsPerSecond),
    `${fixed(median(report.results.find((r) => r.concurrency === concurrency)!.runs.map((r) => r.wallMs)) / 1000, 1)} s`,
    String(run.windows),
    String(run.queries),
    int(run.recordsRead),
    int(run.versionsLanded),
    int(run.objects),
    `${fixed(run.pipelineCpuMs / 1000, 1)} / ${fixed(run.simulatorCpuMs / 1000, 1)} / ${fixed(run.emulatorsCpuMs / 1000, 1)}`,
    `${run.throttled} / ${run.retries}`,
  ]);
  const runs = report.results[0]!.runs.length;
  return [
    `The simulator holds ${int(report.truth.versions)} versions of ${COLLECTION} (${int(report.options.events)} records created, each version counted) over ${report.options.days} days ` +
      `[${iso(report.range.from)}, ${iso(report.range.to)}); the API's real cap of ${int(report.queryCap)} records per query, pages of ${int(report.pageSize)}, ` +
      `${report.options.latencyMs} ms per page, and the local runtime's rate limit (${report.rateLimit.requestsPerSecond} requests/s, burst ${report.rateLimit.burst}). ` +
      `\`startBackfill\` plans calendar windows (months, for a range over 90 days) and each window runs as its own lane; a window over the cap is split by the checkpoint's cap rule. ` +
      `Concurrency c means a plan with c windows in flight and c workers taking window messages from the SQS emulator, one message per invocation (the continue function's batch size). ` +
      `Records/s counts distinct versions landed over the wall time from \`startBackfill\` to the plan's \`done\`; every run was checked to land exactly the simulator's versions ` +
      `(count and digest of the distinct \`_id@updated_at\` in S3). Median of ${runs} run${runs === 1 ? '' : 's'}, concurrencies interleaved.`,
    '',
    table(
      ['Concurrency', 'Records/s', 'vs 1', 'Wall', 'Windows', 'Queries', 'Records read', 'Versions landed', 'S3 objects', 'CPU s: pipeline / simulator / emulators', '429s / retries'],
      rows,
    ),
  ].join('\n');
}
