/**
 * The cost scenarios as runs of the real core on a simulated clock: an idle month (nothing
 * changes) and a steady 1 M records a day, nine collections each, one tick per simulated
 * minute, counted per tick by the cost driver (bench/hosts/costDriver.ts).
 */
import { COLLECTIONS } from '../../functions/conveyour/collections.js';
import type { CostDriverInput, TickMeasure } from '../hosts/costDriver.js';
import type { EmulatorsReady } from '../hosts/emulatorsHost.js';
import type { SimulatorHostOptions, SimulatorReady } from '../hosts/simulatorHost.js';
import { startChild } from '../lib/child.js';
import { fixed, int } from '../lib/format.js';
import { FUNCTION } from '../lib/product.js';
import { ASSUMPTION } from './prices.js';

export interface ScenarioRun {
  name: string;
  /** Ticks before measuring: the first catches up the history, the next re-read its overlap. */
  warmupTicks: number;
  ticks: TickMeasure[];
  /** Versions the simulator created per simulated minute while measuring (live mode). */
  versionsPerMinute: number;
}

const START_MS = Date.UTC(2026, 0, 15, 0, 0, 0);
const MINUTE_MS = 60_000;

/** Live rates (per minute) that add up to about a million versions a day across the nine collections. */
export const MILLION_A_DAY = {
  createsPerMinute: { events: 450, message_reports: 90, trigger_logs: 40, contacts: 20, campaigns: 0.5, lessons: 0.5, triggers: 0.5, tags: 0.2 },
  updatesPerMinute: { contacts: 20, message_reports: 60, lessons: 1, campaigns: 0.5, triggers: 0.5, tags: 0.1, lesson_transcripts: 0 },
} as const;

export interface ScenarioOptions {
  measuredTicks: number;
  /** Environment overrides of the functions' settings (e.g. a measured alternative). */
  env?: Record<string, string>;
}

/** Live rates for the same million a day, all in one collection. */
export const MILLION_A_DAY_ONE_COLLECTION = {
  createsPerMinute: { events: 695, message_reports: 0, trigger_logs: 0, contacts: 0, campaigns: 0, lessons: 0, triggers: 0, tags: 0 },
  updatesPerMinute: { contacts: 0, message_reports: 0, lessons: 0, campaigns: 0, triggers: 0, tags: 0, lesson_transcripts: 0 },
} as const;

export async function runIdleScenario(emulators: EmulatorsReady, options: ScenarioOptions, log: (line: string) => void): Promise<ScenarioRun> {
  return runScenario('idle', emulators, { seed: 31, history: { days: 2, counts: { contacts: 300, events: 3000 } } }, options, log);
}

export async function runMillionScenario(
  emulators: EmulatorsReady,
  mix: 'spread' | 'one collection',
  options: ScenarioOptions,
  log: (line: string) => void,
): Promise<ScenarioRun> {
  const rates = mix === 'spread' ? MILLION_A_DAY : MILLION_A_DAY_ONE_COLLECTION;
  return runScenario(`1M/day ${mix}`, emulators, { seed: 32, history: { days: 2, counts: { contacts: 2000, events: 5000 } }, live: { intervalMs: 0, ...rates } }, options, log);
}

async function runScenario(
  name: string,
  emulators: EmulatorsReady,
  simulatorOptions: SimulatorHostOptions,
  options: ScenarioOptions,
  log: (line: string) => void,
): Promise<ScenarioRun> {
  const sim = await startChild<SimulatorReady>('bench/hosts/simulatorHost.ts', [
    JSON.stringify({ ...simulatorOptions, pageSize: 1000, latencyMs: ASSUMPTION.apiLatencyMs, virtualStartMs: START_MS }),
  ]);
  const input: CostDriverInput = { emulators, simulator: sim.ready, collections: [...COLLECTIONS], timeoutMs: FUNCTION.tickTimeoutMs, env: options.env ?? {} };
  const driver = await startChild<{ pid: number }>('bench/hosts/costDriver.ts', [JSON.stringify(input)]);
  const warmupTicks = 3;
  const ticks: TickMeasure[] = [];
  let versions = 0;
  try {
    for (let tick = 0; tick < warmupTicks + options.measuredTicks; tick++) {
      // Ticks run at second 0 of each simulated minute (the schedule is rate(1 minute)).
      const nowMs = START_MS + tick * MINUTE_MS;
      const added = await sim.call<number>('setNow', nowMs);
      const measure = await driver.call<TickMeasure>('tick', { nowMs });
      if (tick >= warmupTicks) {
        ticks.push(measure);
        versions += added;
      }
    }
  } finally {
    await driver.close();
    await sim.close();
  }
  const records = ticks.reduce((sum, tick) => sum + tick.counts.s3Records, 0);
  log(`  cost scenario ${name}${options.env && Object.keys(options.env).length > 0 ? ` (${Object.entries(options.env).map(([k, v]) => `${k}=${v}`).join(', ')})` : ''}: ${ticks.length} ticks, ${int(records)} records landed, median tick ${fixed(median(ticks.map((t) => t.wallMs)), 0)} ms`);
  return { name, warmupTicks, ticks, versionsPerMinute: versions / Math.max(1, ticks.length) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
