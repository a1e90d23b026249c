/** Medians and spreads of repeated measurements: every figure in BENCHMARKS.md is one of these. */

export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function summarize(values: readonly number[]): Summary {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length };
}

/** Runs `measure` `runs` times, one after the other (never overlapping: they share the CPU). */
export async function repeat<T>(runs: number, measure: (run: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let run = 0; run < runs; run++) results.push(await measure(run));
  return results;
}

/** The median of one numeric field over results. */
export function medianOf<T>(results: readonly T[], field: (result: T) => number): number {
  return median(results.map(field));
}

/** The result whose `field` is the median (the lower middle for an even count): keeps a run's figures together. */
export function medianRun<T>(results: readonly T[], field: (result: T) => number): T {
  const sorted = [...results].sort((a, b) => field(a) - field(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}
