/**
 * Seeded choices for the chaos run. A decision about a request is a pure function of the seed
 * and the request's identity (an S3 key, a checkpoint and the version it writes, ...) and how
 * many times that identity was seen, not of the order requests happen to arrive in: the same
 * seed replays the same fault plan even though concurrent requests interleave differently.
 */
import { Rng, hash32, hashString } from '../../infra/local/simulator/prng.js';

export { Rng };

/** A draw in [0, 1) fixed by the seed and the parts. */
export function drawOf(seed: number, ...parts: Array<string | number>): number {
  return hash32(seed >>> 0, ...parts.map((part) => (typeof part === 'string' ? hashString(part) : part >>> 0))) / 2 ** 32;
}

/** The kind whose slice of [0, 1) the draw falls in (rates laid end to end), or undefined. */
export function pickByRate<K extends string>(draw: number, kinds: readonly K[], rates: Partial<Record<K, number>>): K | undefined {
  let cumulative = 0;
  for (const kind of kinds) {
    cumulative += rates[kind] ?? 0;
    if (draw < cumulative) return kind;
  }
  return undefined;
}

/** Counts by name, in first-seen order. */
export class Tally<K extends string = string> {
  private readonly counts = new Map<K, number>();

  add(kind: K, by = 1): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + by);
  }

  get(kind: K): number {
    return this.counts.get(kind) ?? 0;
  }

  toObject(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
