/**
 * Monthly (or one-time) dollars from measured counts: each line item is a count the
 * benchmark measured through the real code paths (or a stated assumption) times a list price.
 */
import type { TickMeasure } from '../hosts/costDriver.js';
import type { MemoryCaseResult } from '../hosts/memoryCase.js';
import { ASSUMPTION, FREE, PRICE } from './prices.js';

export interface LineItem {
  item: string;
  quantity: number;
  unit: string;
  usd: number;
  /** What the always-free tier leaves of it, when this stack alone uses the allowance. */
  usdFreeTier: number;
  basis: 'measured' | 'modelled';
}

export interface ScenarioCost {
  items: LineItem[];
  total: number;
  totalFreeTier: number;
  dominant: LineItem;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const GB = 1e9;

function finish(items: LineItem[]): ScenarioCost {
  const total = items.reduce((sum, item) => sum + item.usd, 0);
  const totalFreeTier = items.reduce((sum, item) => sum + item.usdFreeTier, 0);
  const dominant = [...items].sort((a, b) => b.usd - a.usd)[0]!;
  return { items, total, totalFreeTier, dominant };
}

function line(item: string, quantity: number, unit: string, price: number, basis: LineItem['basis'], free = 0): LineItem {
  return { item, quantity, unit, usd: quantity * price, usdFreeTier: Math.max(0, quantity - free) * price, basis };
}

/** A month of ticks, one per minute, each like the mean of the measured ones. */
export function monthOfTicks(ticks: TickMeasure[], options: { memoryMb: number }): ScenarioCost {
  const perMonth = ASSUMPTION.minutesPerMonth;
  const perTick = <T>(field: (tick: TickMeasure) => number) => mean(ticks.map(field)) * perMonth;
  const gbSeconds = perTick((tick) => Math.ceil(tick.wallMs) / 1000) * (options.memoryMb / 1024);
  const logBytes = perTick((tick) => tick.logBytes + tick.logLines * ASSUMPTION.logEventOverheadBytes + ASSUMPTION.platformLogBytesPerInvocation);
  const series = new Set(ticks.flatMap((tick) => tick.series)).size;
  const landedGzBytes = perTick((tick) => tick.counts.s3Bytes);
  const sqsPolls = ASSUMPTION.sqsEventSourceRequestsPerMinute * perMonth;
  const sqsSends = perTick((tick) => tick.counts.sqsRequests);
  return finish([
    line('Lambda requests (tick, every minute)', perMonth, 'invocations', PRICE.lambdaRequest, 'measured', FREE.lambdaRequests),
    line('Lambda duration', gbSeconds, 'GB-s', PRICE.lambdaGbSecond, 'measured', FREE.lambdaGbSeconds),
    line('DynamoDB reads', perTick((tick) => tick.counts.readUnits), 'RRU', PRICE.dynamoReadUnit, 'measured'),
    line('DynamoDB writes', perTick((tick) => tick.counts.writeUnits), 'WRU', PRICE.dynamoWriteUnit, 'measured'),
    line('S3 PUTs', perTick((tick) => tick.counts.s3Puts), 'PUTs', PRICE.s3Put, 'measured'),
    line('S3 storage of the month landed', landedGzBytes / GB, 'GB-month', PRICE.s3StorageGbMonth, 'measured'),
    line('SQS continuation messages', sqsSends, 'requests', PRICE.sqsRequest, 'measured', Math.max(0, FREE.sqsRequests - sqsPolls)),
    line('SQS polls by the continue trigger (empty queue)', sqsPolls, 'requests', PRICE.sqsRequest, 'modelled', FREE.sqsRequests),
    line('CloudWatch Logs ingestion', logBytes / GB, 'GB', PRICE.logsIngestGb, 'measured', FREE.logsIngestGb),
    line('CloudWatch custom metrics (EMF)', series, 'series', PRICE.metricSeriesMonth, 'measured', FREE.metricSeries),
    line('EventBridge Scheduler', perMonth, 'invocations', PRICE.schedulerInvocation, 'measured', FREE.schedulerInvocations),
  ]);
}

export interface BackfillInputs {
  records: number;
  /** The 1M-record memory case: one cursor, page latency 0, ~1 KB records. */
  landing: MemoryCaseResult;
  /** Seconds per record when paging is latency-bound: the throughput run at L = 200 ms, COLLECTION_CONCURRENCY cursors per invocation. */
  latencyBoundSecondsPerRecord: number;
  memoryMb: number;
  continueTimeoutMs: number;
  /** Metric series an active run publishes per hour (measured: the busy ticks' distinct series). */
  seriesPerHour: number;
  /** Bytes of log per invocation (summary line, EMF, platform lines). */
  logBytesPerInvocation: number;
}

/** A one-time backfill of `records`, scaled from measured per-record counts. */
export function backfill(inputs: BackfillInputs): ScenarioCost & { seconds: number; invocations: number; cpuBoundUs: number; latencyBoundUs: number } {
  const scale = inputs.records / inputs.landing.records;
  const cpuBound = inputs.landing.wallMs / 1000 / inputs.landing.records;
  const secondsPerRecord = Math.max(cpuBound, inputs.latencyBoundSecondsPerRecord);
  const seconds = secondsPerRecord * inputs.records;
  const invocations = Math.ceil(seconds / (inputs.continueTimeoutMs / 1000 - 10));
  const counts = inputs.landing.counts;
  const hours = Math.max(1, Math.ceil(seconds / 3600));
  const cost = finish([
    line('Lambda requests (continue)', invocations, 'invocations', PRICE.lambdaRequest, 'measured', FREE.lambdaRequests),
    line('Lambda duration', seconds * (inputs.memoryMb / 1024), 'GB-s', PRICE.lambdaGbSecond, 'measured', FREE.lambdaGbSeconds),
    line('DynamoDB reads', counts.readUnits * scale, 'RRU', PRICE.dynamoReadUnit, 'measured'),
    line('DynamoDB writes', counts.writeUnits * scale, 'WRU', PRICE.dynamoWriteUnit, 'measured'),
    line('S3 PUTs', counts.s3Puts * scale, 'PUTs', PRICE.s3Put, 'measured'),
    line('SQS continuation messages', invocations, 'requests', PRICE.sqsRequest, 'measured', FREE.sqsRequests),
    line('CloudWatch Logs ingestion', (invocations * inputs.logBytesPerInvocation) / GB, 'GB', PRICE.logsIngestGb, 'modelled', FREE.logsIngestGb),
    line('CloudWatch custom metrics (EMF)', (inputs.seriesPerHour * hours) / ASSUMPTION.hoursPerMonth, 'series-months', PRICE.metricSeriesMonth, 'measured'),
    line('S3 storage, first month', (counts.s3Bytes * scale) / GB, 'GB-month', PRICE.s3StorageGbMonth, 'measured'),
  ]);
  return { ...cost, seconds, invocations, cpuBoundUs: cpuBound * 1e6, latencyBoundUs: inputs.latencyBoundSecondsPerRecord * 1e6 };
}

export interface FixedCounts {
  sources: number;
  alarms: number;
  dashboards: number;
  schedules: number;
}

/** Monthly fees of resources the stack creates, whatever the traffic. */
export function fixedCosts(counts: FixedCounts): Array<LineItem & { inGoal: boolean; why: string }> {
  return [
    { ...line('Secrets Manager secret per source', counts.sources, 'secrets', PRICE.secretMonth, 'measured'), inGoal: false, why: 'required: the credentials must live somewhere encrypted; $0.40 per ConveYour account whatever the traffic' },
    { ...line('CloudWatch alarms', counts.alarms, 'alarms', PRICE.alarmMonth, 'measured', FREE.alarms), inGoal: false, why: 'optional observability: one lag alarm per collection plus the function, queue and schedule alarms' },
    { ...line('CloudWatch dashboard', counts.dashboards, 'dashboards', PRICE.dashboardMonth, 'measured', FREE.dashboards), inGoal: false, why: 'optional: free while the account has at most 3 dashboards' },
  ];
}
