/**
 * The cost model: three scenarios (an idle month, a million records a day, a 50 M-record
 * backfill) priced from counts measured on the real code paths, plus the fixed monthly fees
 * of what the stack creates.
 */
import type { MemoryCaseResult } from '../hosts/memoryCase.js';
import type { EmulatorsReady } from '../hosts/emulatorsHost.js';
import { fixed, int, price, table, usd, verdict } from '../lib/format.js';
import { FUNCTION } from '../lib/product.js';
import type { Synthesized } from '../lib/synth.js';
import { backfill, fixedCosts, monthOfTicks, type LineItem, type ScenarioCost } from './model.js';
import { ASSUMPTION, PRICE, REGION } from './prices.js';
import { MILLION_A_DAY, runIdleScenario, runMillionScenario, type ScenarioRun } from './scenarios.js';

export interface CostRuns {
  idle: ScenarioRun;
  spread: ScenarioRun;
  oneCollection: ScenarioRun;
}

export async function runCostScenarios(emulators: EmulatorsReady, options: { idleTicks: number; activeTicks: number }, log: (line: string) => void): Promise<CostRuns> {
  return {
    idle: await runIdleScenario(emulators, { measuredTicks: options.idleTicks }, log),
    spread: await runMillionScenario(emulators, 'spread', { measuredTicks: options.activeTicks }, log),
    oneCollection: await runMillionScenario(emulators, 'one collection', { measuredTicks: options.activeTicks }, log),
  };
}

export interface CostInputs {
  runs: CostRuns;
  synth: Synthesized;
  /** The 1M-record memory case (median run): per-record landing counts for the backfill. */
  landing: MemoryCaseResult;
  /** Seconds per record of the throughput run at L = 200 ms (ours). */
  latencyBoundSecondsPerRecord: number;
}

export interface CostReport {
  idle: ScenarioCost;
  spread: ScenarioCost;
  oneCollection: ScenarioCost;
  backfill: ReturnType<typeof backfill>;
  fixed: ReturnType<typeof fixedCosts>;
  facts: ReturnType<typeof factsOf>;
}

export function costModel(inputs: CostInputs): CostReport {
  const memoryMb = FUNCTION.memoryMb;
  const month = (run: ScenarioRun) => monthOfTicks(run.ticks, { memoryMb });
  const activeTicks = inputs.runs.oneCollection.ticks;
  return {
    idle: month(inputs.runs.idle),
    spread: month(inputs.runs.spread),
    oneCollection: month(inputs.runs.oneCollection),
    backfill: backfill({
      records: 50_000_000,
      landing: inputs.landing,
      latencyBoundSecondsPerRecord: inputs.latencyBoundSecondsPerRecord,
      memoryMb,
      continueTimeoutMs: FUNCTION.continueTimeoutMs,
      // One collection backfilling: the series a busy tick of one collection publishes, measured.
      seriesPerHour: new Set(activeTicks.flatMap((tick) => tick.series)).size,
      logBytesPerInvocation: Math.max(...activeTicks.map((tick) => tick.logBytes)) + ASSUMPTION.platformLogBytesPerInvocation,
    }),
    fixed: fixedCosts({
      sources: inputs.synth.count('AWS::SecretsManager::Secret'),
      alarms: inputs.synth.count('AWS::CloudWatch::Alarm'),
      dashboards: inputs.synth.count('AWS::CloudWatch::Dashboard'),
      schedules: inputs.synth.count('AWS::Scheduler::Schedule'),
    }),
    facts: factsOf(inputs),
  };
}

function factsOf(inputs: CostInputs) {
  const idleTicks = inputs.runs.idle.ticks;
  const spread = inputs.runs.spread;
  const one = inputs.runs.oneCollection;
  return {
    idleS3Puts: sum(idleTicks.map((tick) => tick.counts.s3Puts)),
    idleLogLinesMax: Math.max(...idleTicks.map((tick) => tick.logLines)),
    idleLogLinesMedian: medianOf(idleTicks.map((tick) => tick.logLines)),
    idleLogBytesMedian: medianOf(idleTicks.map((tick) => tick.logBytes)),
    idleSeries: new Set(idleTicks.flatMap((tick) => tick.series)).size,
    idleTicks: idleTicks.length,
    idleWritesPerHour: (sum(idleTicks.map((tick) => tick.counts.dynamoWrites)) / idleTicks.length) * 60,
    idleApiPerTick: medianOf(idleTicks.map((tick) => tick.counts.apiRequests)),
    idleReadsPerTick: medianOf(idleTicks.map((tick) => tick.counts.dynamoReads)),
    idleTickMs: medianOf(idleTicks.map((tick) => tick.wallMs)),
    spreadVersionsPerMinute: spread.versionsPerMinute,
    spreadRecordsPerTick: sum(spread.ticks.map((tick) => tick.counts.s3Records)) / spread.ticks.length,
    spreadPutsPerTick: sum(spread.ticks.map((tick) => tick.counts.s3Puts)) / spread.ticks.length,
    spreadWritesPerTick: sum(spread.ticks.map((tick) => tick.counts.dynamoWrites)) / spread.ticks.length,
    spreadApiPerTick: sum(spread.ticks.map((tick) => tick.counts.apiRequests)) / spread.ticks.length,
    spreadTickMs: medianOf(spread.ticks.map((tick) => tick.wallMs)),
    spreadSeries: new Set(spread.ticks.flatMap((tick) => tick.series)).size,
    spreadLogLinesMedian: medianOf(spread.ticks.map((tick) => tick.logLines)),
    spreadLargestItem: Math.max(...spread.ticks.map((tick) => tick.counts.largestItemBytes)),
    oneVersionsPerMinute: one.versionsPerMinute,
    oneRecordsPerTick: sum(one.ticks.map((tick) => tick.counts.s3Records)) / one.ticks.length,
    oneSeries: new Set(one.ticks.flatMap((tick) => tick.series)).size,
  };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function quantity(item: LineItem): string {
  const value = item.quantity;
  const text = value === 0 ? '0' : value >= 100 || Number.isInteger(value) ? int(value) : value >= 1 ? fixed(value, 1) : fixed(value, 3);
  return `${text} ${item.unit}`;
}

function scenarioTable(cost: ScenarioCost, period: string): string {
  const rows = cost.items.map((item) => [item.item, quantity(item), item.basis, usd(item.usd)]);
  rows.push(['**Total**', '', '', `**${usd(cost.total)}**`]);
  rows.push(['Total if this stack alone used the always-free tiers', '', '', usd(cost.totalFreeTier)]);
  return table(['Item', `Quantity ${period}`, 'Basis', 'Cost'], rows);
}

export function goalLine(cost: ScenarioCost, limit: number): string {
  return `- Goal ≤ ${usd(limit)}: ${verdict(cost.total <= limit)} (${usd(cost.total)}; dominant term: ${cost.dominant.item}, ${usd(cost.dominant.usd)}).`;
}

export function renderCost(report: CostReport): string {
  const f = report.facts;
  const fixedRows = report.fixed.map((item) => [item.item, quantity(item), usd(item.usd), usd(item.usdFreeTier), item.why]);
  return [
    `Prices: AWS list prices, ${REGION}, Lambda on arm64 (${price(PRICE.lambdaGbSecond * 1e6)} per million GB-s, ${price(PRICE.lambdaRequest * 1e6)} per million requests), ` +
      `S3 Standard (${price(PRICE.s3Put * 1000)} per 1,000 PUTs, ${price(PRICE.s3StorageGbMonth)} per GB-month), DynamoDB on-demand (${price(PRICE.dynamoWriteUnit * 1e6)} per million WRU, ` +
      `${price(PRICE.dynamoReadUnit * 1e6)} per million RRU), SQS (${price(PRICE.sqsRequest * 1e6)} per million requests), CloudWatch Logs (${price(PRICE.logsIngestGb)} per GB ingested), ` +
      `custom metrics (${price(PRICE.metricSeriesMonth)} per series-month, billed for each hour a series receives data), alarms (${price(PRICE.alarmMonth)}), dashboards (${price(PRICE.dashboardMonth)}), ` +
      `Secrets Manager (${price(PRICE.secretMonth)} per secret-month), EventBridge Scheduler (${price(PRICE.schedulerInvocation * 1e6)} per million). No free tier in the totals; the row below each total applies the always-free allowances.`,
    '',
    `How the counts were taken: the real core (\`runTick\`) with the real DynamoDB, S3 and SQS adapters on the emulators, wrapped with counters (bench/lib/countingPorts.ts; ` +
      `DynamoDB units from item sizes), the simulator on a simulated clock moved one minute per tick, and each invocation reported through the real telemetry ` +
      `(\`reportInvocation\`, Powertools Logger and Metrics) with its output captured: log bytes and EMF metric series are counted from what it wrote. ` +
      `Durations: wall time of each tick with each AWS call delayed to a typical in-region round trip (DynamoDB 6 ms, S3 PUT 30 ms, SQS 10 ms) and each ConveYour page answered in ${ASSUMPTION.apiLatencyMs} ms, ` +
      `× ${FUNCTION.memoryMb} MB (infra/cdk/constructs/pipeline.ts). Modelled, not measured: Lambda's START/END/REPORT lines (${ASSUMPTION.platformLogBytesPerInvocation} bytes per invocation) ` +
      `and the SQS polls Lambda's event source makes on the continuation queue (about ${ASSUMPTION.sqsEventSourceRequestsPerMinute} a minute when empty; AWS bills them as SQS requests). ` +
      `The functions' settings are the product's defaults (functions/handlers/config.ts).`,
    '',
    `### Idle month: 9 collections tailing every minute, nothing changes`,
    '',
    `Measured over ${f.idleTicks} idle ticks: ${f.idleApiPerTick} ConveYour requests and ${f.idleReadsPerTick} DynamoDB reads per tick, ${fixed(f.idleWritesPerHour, 0)} checkpoint writes per hour (IDLE_CHECKPOINT_SECONDS), ` +
      `**${f.idleS3Puts} S3 objects** in all (an empty tick writes none), one invocation per tick for all collections, which it peeks at all at once, a tick takes ${fixed(f.idleTickMs, 0)} ms. ` +
      `**Log lines per empty tick: ${f.idleLogLinesMedian}** (median, ${fixed(f.idleLogBytesMedian, 0)} bytes; at most ${f.idleLogLinesMax}), **${f.idleSeries} metric series** over the ${f.idleTicks} ticks.`,
    '',
    scenarioTable(report.idle, 'per month'),
    '',
    goalLine(report.idle, 0.5),
    '',
    `### 1 M records a day`,
    '',
    `Two mixes of the same volume, each on the simulator's live mode. **Spread**: changes in all nine collections ` +
      `(per minute: ${Object.entries(MILLION_A_DAY.createsPerMinute).map(([c, n]) => `${n} ${c}`).join(', ')} created; ${Object.entries(MILLION_A_DAY.updatesPerMinute).filter(([, n]) => n > 0).map(([c, n]) => `${n} ${c}`).join(', ')} updated; each new contact brings 0–5 transcripts): ` +
      `${fixed(f.spreadVersionsPerMinute, 0)} new versions a minute (${int(f.spreadVersionsPerMinute * 1440)} a day). Per tick: ${fixed(f.spreadRecordsPerTick, 0)} records landed, ` +
      `${fixed(f.spreadPutsPerTick, 1)} S3 PUTs, ${fixed(f.spreadWritesPerTick, 1)} checkpoint writes (largest item ${int(f.spreadLargestItem)} bytes), ${fixed(f.spreadApiPerTick, 0)} ConveYour requests ` +
      `(one per contact in the window for lesson_transcripts), ${fixed(f.spreadTickMs, 0)} ms, ${f.spreadLogLinesMedian} log lines (median), ${f.spreadSeries} metric series over the month. ` +
      `Records landed are ${fixed(f.spreadRecordsPerTick / f.spreadVersionsPerMinute, 2)}× the versions created: the 60 s overlap (OVERLAP_SECONDS) re-reads the previous minute, so each version lands about twice. ` +
      `**One collection**: the same volume as events only (${fixed(f.oneVersionsPerMinute, 0)} a minute, ${fixed(f.oneRecordsPerTick, 0)} records landed per tick, ${f.oneSeries} metric series).`,
    '',
    `Spread over nine collections:`,
    '',
    scenarioTable(report.spread, 'per month'),
    '',
    goalLine(report.spread, 2),
    '',
    `In one collection:`,
    '',
    scenarioTable(report.oneCollection, 'per month'),
    '',
    goalLine(report.oneCollection, 2),
    '',
    `### Backfill of 50 M records`,
    '',
    `Scaled from the 1 M-record landing of the memory benchmark (records of about 1 KB, measured counts of PUTs, checkpoint writes and bytes) and the slower of two paces: ` +
      `CPU-bound (that run, page latency 0: ${fixed(report.backfill.cpuBoundUs, 1)} µs per record) and latency-bound (the throughput run at 200 ms per page with ` +
      `COLLECTION_CONCURRENCY cursors per invocation: ${fixed(report.backfill.latencyBoundUs, 1)} µs per record). ${int(report.backfill.invocations)} continue invocations of up to ${FUNCTION.continueTimeoutMs / 60_000} minutes, ` +
      `${fixed(report.backfill.seconds / 3600, 1)} hours of function time; on Lambda's smaller CPU share the CPU-bound pace could take twice as long, which would still cost cents. ` +
      `It assumes each record is read once; a calendar window over the API's 100,000-record cap is split and partly read again (section 6 measures how much; priced below).`,
    '',
    scenarioTable(report.backfill, 'one-time'),
    '',
    goalLine(report.backfill, 3),
    '',
    `### Fixed monthly fees (not in the goals)`,
    '',
    `From the synthesized template (one source, the default context):`,
    '',
    table(['Resource', 'Count', 'Per month', 'With free tier', 'Why it is outside the goal'], fixedRows),
  ].join('\n');
}

export function itemOf(cost: ScenarioCost, prefix: string): LineItem {
  return cost.items.find((item) => item.item.startsWith(prefix)) ?? { item: prefix, quantity: 0, unit: '', usd: 0, usdFreeTier: 0, basis: 'measured' };
}
