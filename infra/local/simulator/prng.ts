/**
 * Small seeded randomness: an integer hash to derive independent streams from
 * (seed, collection, index, version...) and mulberry32 to draw from a stream. Pure
 * arithmetic, so the same inputs give the same data on every platform.
 */

const TWO_32 = 4294967296;

/** murmur3's finaliser: spreads every input bit over the 32-bit result. */
export function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function absorb(hash: number, part: number): number {
  // Parts may exceed 32 bits (epoch milliseconds): fold in the high word too.
  const low = part >>> 0;
  const high = Math.floor(part / TWO_32) >>> 0;
  let h = mix32(hash ^ low);
  if (high !== 0) h = mix32(h ^ Math.imul(high, 0x9e3779b1));
  return mix32(Math.imul(h, 0x9e3779b1) + 0x7f4a7c15);
}

/** A 32-bit hash of non-negative integers; order matters. */
export function hash32(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) h = absorb(h, part);
  return h;
}

/** A 32-bit hash of a string (FNV-1a, then mixed), for seeds given as text. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return mix32(h);
}

/** mulberry32: tiny, fast and good enough for synthetic data and fault draws. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / TWO_32;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [min, max], both included. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** Distinct items, in pick order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = items.slice();
    const picked: T[] = [];
    while (picked.length < count && pool.length > 0) picked.push(pool.splice(this.int(pool.length), 1)[0] as T);
    return picked;
  }

  /** Hex digits, e.g. for message ids. */
  hex(length: number): string {
    let out = '';
    while (out.length < length) out += ((this.next() * TWO_32) >>> 0).toString(16).padStart(8, '0');
    return out.slice(0, length);
  }
}

/** A stream for one purpose: `rngFor(seed, COLLECTION_ID, index, version)`. */
export function rngFor(...parts: number[]): Rng {
  return new Rng(hash32(...parts));
}
