/**
 * Logs and metrics through Powertools: structured JSON logs, and CloudWatch EMF metrics
 * per (source, collection).
 *
 * Cost shapes what is emitted: every distinct (metric, dimensions) is a custom metric billed
 * for each hour it is published. A run that landed nothing and is not lagging publishes no
 * metric and one short log line per invocation, so an idle deployment pays for no metrics.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Log } from '../pipeline/ports.js';
import { CLOCK_OFFSET_METRIC_FLOOR_SECONDS, METRIC_NAMESPACE, MetricName, SERVICE_NAME, type MetricNameValue } from './metricNames.js';
import type { InvocationResult } from '../pipeline/orchestrate.js';
import type { RunResult } from '../pipeline/runCollection.js';

/** `logLevel` as POWERTOOLS_LOG_LEVEL reads: for a caller whose settings are not this process's environment. */
export function createLogger(logLevel?: string): Logger {
  return new Logger({ serviceName: SERVICE_NAME, ...(logLevel ? { logLevel: logLevel.toUpperCase() as LogLevel } : {}) });
}

export function createMetrics(): Metrics {
  return new Metrics({ namespace: METRIC_NAMESPACE, serviceName: SERVICE_NAME });
}

/** The core's Log port on a Powertools logger. */
export function logOf(logger: Logger): Log {
  return {
    debug: (message, fields) => logger.debug(message, fields ?? {}),
    info: (message, fields) => logger.info(message, fields ?? {}),
    warn: (message, fields) => logger.warn(message, fields ?? {}),
    error: (message, fields) => logger.error(message, fields ?? {}),
  };
}

export interface ReportOptions {
  nowMs: number;
  /** Below this lag an idle collection publishes nothing; above it, LagSeconds is published every run. */
  lagFloorSeconds: number;
  /** Retries per source seen by the ConveYour client during the invocation. */
  retries: ReadonlyMap<string, number>;
  durationMs: number;
  kind: 'tick' | 'continue';
}

/**
 * One log line per invocation (per-collection detail in `runs`), and few metric series: healthy
 * activity per source (RecordsLanded, PagesFetched, Retries, CoverageGapsOpen while any is open, and ClockOffsetSeconds from 3 s either way), per collection only what needs
 * attention (LagSeconds at or above the floor, RunFailures, CursorRestarts, WindowSplits), and
 * never a zero. Each (metric, dimensions) series is billed for every hour it receives a value.
 */
export function reportInvocation(logger: Logger, metrics: Metrics, result: InvocationResult, options: ReportOptions): void {
  const runs = result.runs.map((run) => summarise(run, options.nowMs));
  const active = runs.filter((run) => run.status !== 'idle' && run.status !== 'no-work');
  logger.info(`${options.kind} done`, {
    durationMs: options.durationMs,
    collections: runs.length,
    idle: runs.length - active.length,
    continuations: result.continuations,
    failures: result.failures.length,
    // Retried requests log nothing each at INFO: their count per source is here (and in Retries).
    ...(options.retries.size > 0 ? { retries: Object.fromEntries(options.retries) } : {}),
    ...(active.length > 0 ? { runs: active } : {}),
  });
  const perSource = new Map<string, { records: number; pages: number; gaps: number; clockOffsetSeconds: number }>();
  for (const run of result.runs) {
    const totals = perSource.get(run.key.source) ?? { records: 0, pages: 0, gaps: 0, clockOffsetSeconds: 0 };
    totals.records += run.records;
    totals.pages += run.pages;
    totals.gaps += run.openGaps ?? 0;
    // One server per source: the offset furthest from ours is the one to look at.
    const offset = run.serverClock?.offsetSeconds ?? 0;
    if (Math.abs(offset) > Math.abs(totals.clockOffsetSeconds)) totals.clockOffsetSeconds = offset;
    perSource.set(run.key.source, totals);
    const lagSeconds = lagOf(run, options.nowMs);
    const attention: Array<[MetricNameValue, (typeof MetricUnit)[keyof typeof MetricUnit], number]> = [];
    if (lagSeconds !== undefined && lagSeconds >= options.lagFloorSeconds) attention.push([MetricName.LagSeconds, MetricUnit.Seconds, lagSeconds]);
    if (run.status === 'failed') attention.push([MetricName.RunFailures, MetricUnit.Count, 1]);
    if (run.cursorRestarts > 0) attention.push([MetricName.CursorRestarts, MetricUnit.Count, run.cursorRestarts]);
    if (run.splits > 0) attention.push([MetricName.WindowSplits, MetricUnit.Count, run.splits]);
    if (attention.length === 0) continue;
    metrics.addDimensions({ source: run.key.source, collection: run.key.collection });
    for (const [name, unit, value] of attention) metrics.addMetric(name, unit, value);
    metrics.publishStoredMetrics();
  }
  for (const [source, totals] of perSource) {
    const retries = options.retries.get(source) ?? 0;
    const skewed = Math.abs(totals.clockOffsetSeconds) >= CLOCK_OFFSET_METRIC_FLOOR_SECONDS;
    if (totals.records === 0 && totals.pages === 0 && retries === 0 && totals.gaps === 0 && !skewed) continue;
    metrics.addDimensions({ source });
    if (totals.records > 0) metrics.addMetric(MetricName.RecordsLanded, MetricUnit.Count, totals.records);
    // Every tick runs every collection of the source, so its count is the source's (a continuation sees fewer: the alarm takes the maximum).
    if (totals.gaps > 0) metrics.addMetric(MetricName.CoverageGapsOpen, MetricUnit.Count, totals.gaps);
    if (totals.pages > 0) metrics.addMetric(MetricName.PagesFetched, MetricUnit.Count, totals.pages);
    if (retries > 0) metrics.addMetric(MetricName.Retries, MetricUnit.Count, retries);
    if (skewed) metrics.addMetric(MetricName.ClockOffsetSeconds, MetricUnit.Seconds, totals.clockOffsetSeconds);
    metrics.publishStoredMetrics();
  }
}

/**
 * Now minus the watermark, both on the server's clock (the watermark is in its time). A collection that has never succeeded has no watermark: when its
 * run fails, its lag counts from the start of the window it could not read, so a collection
 * failing from its first run (a wrong token) still reports a lag and its lag alarm fires.
 */
function lagOf(run: RunResult, nowMs: number): number | undefined {
  const since = run.watermark ?? (run.status === 'failed' ? run.window?.start : undefined);
  return since === undefined ? undefined : Math.max(0, Math.round(nowMs / 1000 + (run.serverClock?.offsetSeconds ?? 0) - since));
}

function summarise(run: RunResult, nowMs: number) {
  return {
    source: run.key.source,
    collection: run.key.collection,
    status: run.status,
    runId: run.runId,
    window: run.window,
    records: run.records,
    pages: run.pages,
    files: run.files,
    bytes: run.bytes,
    lagSeconds: lagOf(run, nowMs),
    ...(run.serverClock?.offsetSeconds ? { clockOffsetSeconds: run.serverClock.offsetSeconds } : {}),
    ...(run.serverClock?.missingDateSinceMs !== undefined ? { missingDateSinceMs: run.serverClock.missingDateSinceMs } : {}),
    ...(run.splits ? { splits: run.splits } : {}),
    ...(run.cursorRestarts ? { cursorRestarts: run.cursorRestarts } : {}),
    ...(run.openGaps ? { openGaps: run.openGaps } : {}),
    ...(run.error ? { error: run.error } : {}),
  };
}
