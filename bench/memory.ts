/**
 * 3. Peak RSS landing 100,000 vs 1,000,000 records of about 1 KB: memory must be bounded by
 * the batch (FLUSH_BYTES, prefetch depth, concurrency), not by how much there is to land.
 * Each case runs in a fresh process; the simulator and the emulators in processes of their own.
 */
import type { EmulatorsReady } from './hosts/emulatorsHost.js';
import type { MemoryCaseInput, MemoryCaseResult } from './hosts/memoryCase.js';
import type { SimulatorReady } from './hosts/simulatorHost.js';
import { startChild } from './lib/child.js';
import { fixed, int, mb, table, verdict } from './lib/format.js';
import { FUNCTION, productPolicy } from './lib/product.js';
import { median, repeat } from './lib/stats.js';

export interface MemoryCase {
  records: number;
  /** Days of history they spread over: the same records per day for the compared cases. */
  days: number;
  /** A case shown for context, not part of the goal's comparison. */
  context?: string;
}

export interface MemoryOptions {
  cases: MemoryCase[];
  recordBytes: number;
  runs: number;
  /** The largest case once more under this heap cap: it completes only if the live data is bounded. */
  tightHeapMb: number;
}

export interface MemoryReport {
  options: MemoryOptions;
  heapCapMb: number;
  flushBytes: number;
  results: Array<MemoryCase & { runs: MemoryCaseResult[] }>;
  /** The largest case under `tightHeapMb`, or the error it died of. */
  tight: { records: number; result?: MemoryCaseResult; error?: string };
}

/** 90% of the function's memory: a run that would not fit in the deployed function fails here too. */
const heapCapMb = Math.floor(FUNCTION.memoryMb * 0.9);

export async function runMemory(emulators: EmulatorsReady, options: MemoryOptions, log: (line: string) => void): Promise<MemoryReport> {
  const compared = options.cases.filter((c) => !c.context);
  const report: MemoryReport = { options, heapCapMb, flushBytes: productPolicy().flushBytes, results: [], tight: { records: Math.max(...compared.map((c) => c.records)) } };
  for (const memoryCase of options.cases) {
    const { records, days } = memoryCase;
    const queryCap = records * 2;
    const sim = await startChild<SimulatorReady>('bench/hosts/simulatorHost.ts', [
      JSON.stringify({ seed: 21, history: { days, counts: { events: records }, updates: false }, pageSize: 1000, recordBytes: options.recordBytes, queryCap }),
    ]);
    const runs: MemoryCaseResult[] = [];
    try {
      await repeat(options.runs, async (run) => {
        const result = await landInChild({ emulators, simulator: sim.ready, collection: 'events', queryCap }, heapCapMb);
        runs.push(result);
        log(`  memory ${int(records)} records over ${days} days run ${run + 1}: peak RSS ${mb(result.maxRssBytes)} in ${fixed(result.wallMs / 1000, 1)} s`);
      });
      if (records === report.tight.records && !memoryCase.context) {
        try {
          report.tight.result = await landInChild({ emulators, simulator: sim.ready, collection: 'events', queryCap }, options.tightHeapMb);
          log(`  memory ${int(records)} records under a ${options.tightHeapMb} MB heap: peak RSS ${mb(report.tight.result.maxRssBytes)}`);
        } catch (error) {
          report.tight.error = (error as Error).message.split('\n')[0];
        }
      }
    } finally {
      await sim.close();
    }
    report.results.push({ ...memoryCase, runs });
  }
  return report;
}

async function landInChild(input: MemoryCaseInput, heapMb: number): Promise<MemoryCaseResult> {
  const child = await startChild<{ pid: number }>('bench/hosts/memoryCase.ts', [JSON.stringify(input)], { execArgv: [`--max-old-space-size=${heapMb}`] });
  try {
    return await child.call<MemoryCaseResult>('run');
  } finally {
    await child.close();
  }
}

export function renderMemory(report: MemoryReport): string {
  const rows = report.results.map(({ records, days, context, runs }) => [
    `${int(records)} over ${days} days${context ? ` (${context})` : ''}`,
    mb(median(runs.map((run) => run.maxRssBytes))),
    mb(median(runs.map((run) => run.baselineRssBytes))),
    mb(median(runs.map((run) => run.peakHeapBytes))),
    mb(median(runs.map((run) => run.peakExternalBytes))),
    int(median(runs.map((run) => run.files))),
    `${fixed(median(runs.map((run) => run.wallMs)) / 1000, 1)} s`,
    int(median(runs.map((run) => (run.records * 1000) / run.wallMs))),
  ]);
  const compared = report.results.filter((result) => !result.context);
  const peaks = compared.map(({ runs }) => median(runs.map((run) => run.maxRssBytes)));
  const growth = peaks.length >= 2 ? peaks[peaks.length - 1]! / peaks[0]! - 1 : 0;
  return [
    `Records of about ${int(report.options.recordBytes)} bytes (simulator \`recordBytes\`), one collection, one run of the core in a fresh process ` +
      `(heap capped at ${report.heapCapMb} MB, 90% of the function's ${FUNCTION.memoryMb} MB), FLUSH_BYTES ${int(report.flushBytes)}; median of ${report.options.runs} runs. ` +
      `The compared cases hold the same records per day, so a flush covers the same partitions in both and only the total differs; ` +
      `the query cap is raised above the record count so the figure is not mixed with window splits.`,
    '',
    table(['Records', 'Peak RSS', 'RSS at start', 'Peak heap used', 'Peak external + buffers', 'Files', 'Wall time', 'Records/s'], rows),
    '',
    `- Goal flat within 20%: ${verdict(Math.abs(growth) <= 0.2)} (${growth >= 0 ? '+' : ''}${fixed(growth * 100, 1)}% from ${int(compared[0]!.records)} to ${int(compared[compared.length - 1]!.records)} records).`,
    report.tight.result
      ? `- The same ${int(report.tight.records)} records under a ${report.options.tightHeapMb} MB heap cap: completed, peak RSS ${mb(report.tight.result.maxRssBytes)}, peak heap used ${mb(report.tight.result.peakHeapBytes)}, ${fixed(report.tight.result.wallMs / 1000, 1)} s. The live data fits well under the function's memory.`
      : `- The same ${int(report.tight.records)} records under a ${report.options.tightHeapMb} MB heap cap: failed (${report.tight.error ?? 'not run'}).`,
  ].join('\n');
}
