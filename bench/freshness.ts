/**
 * Freshness of the live tail: for every version the simulator creates while the pipeline tails
 * it, the seconds from its updated_at (the server's clock) to the S3 write that first landed it,
 * on one timeline. The real core ticks once a simulated minute against the simulator over HTTP
 * (1 M versions a day across the nine collections) and the emulators with their call latencies,
 * with the server's clock in step, 150 s behind and 150 s ahead of the function's. Goal: p99 ≤ 2 min.
 */
import { COLLECTIONS } from '../functions/conveyour/collections.js';
import { DEFAULT_SETTLE_SECONDS } from '../functions/config/limits.js';
import { MILLION_A_DAY } from './cost/scenarios.js';
import { ASSUMPTION } from './cost/prices.js';
import type { CostDriverInput, TickMeasure } from './hosts/costDriver.js';
import type { EmulatorsReady } from './hosts/emulatorsHost.js';
import type { SimulatorReady } from './hosts/simulatorHost.js';
import { startChild } from './lib/child.js';
import { fixed, int, table, verdict } from './lib/format.js';
import { FUNCTION } from './lib/product.js';

export interface FreshnessOptions {
  /** Ticks measured after the warm-up (the first tick catches up the history). */
  ticks: number;
  offsetsSeconds: number[];
}

export interface FreshnessCase {
  offsetSeconds: number;
  versions: number;
  p50: number;
  p99: number;
  max: number;
  min: number;
}

export interface FreshnessReport {
  options: FreshnessOptions;
  settleSeconds: number;
  cases: FreshnessCase[];
}

const START_MS = Date.UTC(2026, 0, 15, 0, 0, 0);
const MINUTE_MS = 60_000;
const WARMUP_TICKS = 2;
export const FRESHNESS_GOAL_SECONDS = 120;

export async function runFreshness(emulators: EmulatorsReady, options: FreshnessOptions, log: (line: string) => void): Promise<FreshnessReport> {
  const cases: FreshnessCase[] = [];
  for (const offsetSeconds of options.offsetsSeconds) {
    const sim = await startChild<SimulatorReady>('bench/hosts/simulatorHost.ts', [
      JSON.stringify({
        seed: 33,
        history: { days: 1, counts: { contacts: 500, events: 2000 } },
        live: { intervalMs: 0, ...MILLION_A_DAY },
        clockOffsetSeconds: offsetSeconds,
        pageSize: 1000,
        latencyMs: ASSUMPTION.apiLatencyMs,
        virtualStartMs: START_MS,
      }),
    ]);
    const input: CostDriverInput = {
      emulators,
      simulator: sim.ready,
      collections: [...COLLECTIONS],
      timeoutMs: FUNCTION.tickTimeoutMs,
      freshness: { clockOffsetSeconds: offsetSeconds },
    };
    const driver = await startChild<{ pid: number }>('bench/hosts/costDriver.ts', [JSON.stringify(input)]);
    const seconds: number[] = [];
    try {
      for (let tick = 0; tick < WARMUP_TICKS + options.ticks; tick++) {
        // Ticks at second 0 of each simulated minute (rate(1 minute)); the simulator's clock moves with ours.
        const nowMs = START_MS + tick * MINUTE_MS;
        await sim.call<number>('setNow', nowMs);
        const measure = await driver.call<TickMeasure>('tick', { nowMs });
        if (tick >= WARMUP_TICKS) seconds.push(...(measure.freshnessSeconds ?? []));
      }
    } finally {
      await driver.close();
      await sim.close();
    }
    const sorted = seconds.sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
    cases.push({ offsetSeconds, versions: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? Number.NaN, min: sorted[0] ?? Number.NaN });
    log(`  freshness, server clock ${offsetLabel(offsetSeconds)}: ${int(sorted.length)} versions, p50 ${fixed(at(0.5), 1)} s, p99 ${fixed(at(0.99), 1)} s`);
  }
  return { options, settleSeconds: DEFAULT_SETTLE_SECONDS, cases };
}

function offsetLabel(offsetSeconds: number): string {
  return offsetSeconds === 0 ? 'in step' : `${Math.abs(offsetSeconds)} s ${offsetSeconds < 0 ? 'behind' : 'ahead'}`;
}

export function renderFreshness(report: FreshnessReport): string {
  const met = report.cases.every((c) => c.p99 <= FRESHNESS_GOAL_SECONDS);
  return [
    `Seconds from a version's \`updated_at\` (the server's clock) to the S3 write that first landed it, over ${report.options.ticks} ticks a simulated minute apart ` +
      `(after ${WARMUP_TICKS} warm-up ticks), the 1 M/day spread mix of the cost model, a ${report.settleSeconds} s settle margin (SETTLE_SECONDS), ` +
      `API latency ${ASSUMPTION.apiLatencyMs} ms and the emulators' modelled call latencies. Goal p99 ≤ ${FRESHNESS_GOAL_SECONDS} s: ${verdict(met)}.`,
    '',
    table(
      ['server clock', 'versions', 'p50 (s)', 'p99 (s)', 'min (s)', 'max (s)'],
      report.cases.map((c) => [offsetLabel(c.offsetSeconds), int(c.versions), fixed(c.p50, 1), fixed(c.p99, 1), fixed(c.min, 1), fixed(c.max, 1)]),
    ),
    '',
    'A version lands with the first tick after it was stamped: each window asks for the server\'s now (our clock plus the measured offset), ' +
      'so its wait is up to one schedule interval plus the tick\'s own time; the settle margin only holds the watermark back, and the band it ' +
      'holds back is read again by the next window. The clock offset does not change it: windows follow the server\'s clock.',
  ].join('\n');
}
