/**
 * Ticks of the real core on a simulated clock, one per `tick` call, counted through the
 * ports and reported through the real telemetry (Powertools logger and EMF metrics, their
 * output captured here): what one scheduled invocation costs. The parent moves the
 * simulator's clock and this process's clock together, so a month of minutes runs in
 * seconds. argv[2]: CostDriverInput as JSON.
 */
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { createLogger, createMetrics, reportInvocation } from '../../functions/adapters/telemetry.js';
import { ConveYourClient } from '../../functions/conveyour/client.js';
import { runTick } from '../../functions/pipeline/orchestrate.js';
import type { LandingObject } from '../../functions/pipeline/landing.js';
import { silentLog, type ObjectSink } from '../../functions/pipeline/ports.js';
import { connectAws } from '../lib/benchAws.js';
import { failStart, serve } from '../lib/child.js';
import { CountingQueue, CountingSink, CountingStore, TimedPageSource, diffCounts, zeroCounts, type Counts } from '../lib/countingPorts.js';
import { AWS_CALL_LATENCY_MS, withLatency } from '../lib/latency.js';
import { productPolicy } from '../lib/product.js';
import { emfSeries, captureStdout } from '../lib/telemetryCapture.js';
import type { EmulatorsReady } from './emulatorsHost.js';
import type { SimulatorReady } from './simulatorHost.js';

export interface CostDriverInput {
  emulators: EmulatorsReady;
  simulator: SimulatorReady;
  collections: string[];
  /** Milliseconds of the function's timeout: the tick's budget. */
  timeoutMs: number;
  env?: Record<string, string>;
  /**
   * Freshness (bench/freshness.ts): report, for each version first landed in a tick, the seconds
   * from its updated_at to that S3 write, on the server's timeline (the simulator's clock runs
   * this many seconds from ours).
   */
  freshness?: { clockOffsetSeconds: number };
}

export interface TickMeasure {
  nowMs: number;
  wallMs: number;
  counts: Counts;
  statuses: Record<string, number>;
  continuations: number;
  /** Bytes the function wrote to its log (Powertools lines and EMF documents), and the lines. */
  logBytes: number;
  logLines: number;
  /** Distinct metric series (name + dimension values) in this tick's EMF output. */
  series: string[];
  /** With `freshness`: seconds from updated_at to the first write, per version first landed in this tick. */
  freshnessSeconds?: number[];
}

/** The product's LAG_METRIC_FLOOR_SECONDS default (functions/handlers/runtime.ts). */
const LAG_FLOOR_SECONDS = 180;

try {
  const input = JSON.parse(process.argv[2] ?? '{}') as CostDriverInput;
  const capture = captureStdout();
  const aws = connectAws(input.emulators);
  const resources = await aws.fresh();
  const client = new ConveYourClient({ baseUrl: input.simulator.url, credentials: input.simulator.credentials });
  const counts = zeroCounts();
  const pages = new TimedPageSource(client, counts);
  const store = new CountingStore(withLatency(resources.store, AWS_CALL_LATENCY_MS.dynamodb), counts);
  const counted = new CountingSink(withLatency(resources.sink, AWS_CALL_LATENCY_MS.s3Put), counts);
  const firstLandings: number[] = [];
  const landedVersions = new Set<string>();
  const sink: ObjectSink = input.freshness
    ? {
        put: async (object: LandingObject) => {
          await counted.put(object);
          const writtenAt = (virtualNowMs + (performance.now() - tickStarted)) / 1000 + input.freshness!.clockOffsetSeconds;
          for (const line of gunzipSync(object.body).toString('utf8').split('\n')) {
            if (line === '') continue;
            const record = JSON.parse(line) as { _id: string; updated_at: number };
            const version = `${record._id}@${record.updated_at}`;
            if (landedVersions.has(version)) continue;
            landedVersions.add(version);
            firstLandings.push(writtenAt - record.updated_at);
          }
        },
      }
    : counted;
  const queue = new CountingQueue(withLatency(resources.queue, AWS_CALL_LATENCY_MS.sqs), counts);
  const policy = productPolicy(input.env);
  const logger = createLogger();
  const metrics = createMetrics();
  let virtualNowMs = input.simulator.startMs;
  let tickStarted = 0;

  const tick = async ({ nowMs }: { nowMs: number }): Promise<TickMeasure> => {
    virtualNowMs = nowMs;
    const before = { ...counts };
    capture.take();
    const started = performance.now();
    tickStarted = started;
    firstLandings.length = 0;
    const result = await runTick([{ name: 'bench', collections: input.collections, pages }], {
      store,
      sink,
      queue,
      clock: { nowMs: () => virtualNowMs + (performance.now() - started) },
      log: silentLog,
      policy,
      remainingMs: () => input.timeoutMs - (performance.now() - started),
      owner: `tick-${randomUUID()}`,
      newRunId: randomUUID,
    });
    const retries = new Map<string, number>();
    reportInvocation(logger, metrics, result, { nowMs: virtualNowMs, lagFloorSeconds: LAG_FLOOR_SECONDS, retries, durationMs: performance.now() - started, kind: 'tick' });
    const wallMs = performance.now() - started;
    const output = capture.take();
    const statuses: Record<string, number> = {};
    for (const run of result.runs) statuses[run.status] = (statuses[run.status] ?? 0) + 1;
    return {
      nowMs,
      wallMs,
      counts: diffCounts(counts, before),
      statuses,
      continuations: result.continuations,
      logBytes: output.bytes,
      logLines: output.lines.length,
      series: emfSeries(output.lines),
      ...(input.freshness ? { freshnessSeconds: [...firstLandings] } : {}),
    };
  };
  serve({ pid: process.pid }, { tick }, async () => {
    await client.close();
    await aws.close();
  });
} catch (error) {
  failStart(error);
}
