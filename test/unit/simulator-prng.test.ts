import { describe, expect, it } from 'vitest';
import { hash32, Rng, rngFor } from '../../infra/local/simulator/prng.js';

describe('simulator prng', () => {
  it('draws the same sequence from the same seed', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
  });

  it('draws different sequences from different seeds', () => {
    expect(new Rng(1).next()).not.toBe(new Rng(2).next());
  });

  it('keeps draws in range', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 1000; i++) {
      const value = rng.next();
      expect(value >= 0 && value < 1).toBe(true);
      const bounded = rng.between(2, 4);
      expect(bounded >= 2 && bounded <= 4 && Number.isInteger(bounded)).toBe(true);
    }
  });

  it('hashes the order of parts and the high word of large numbers', () => {
    expect(hash32(1, 2)).not.toBe(hash32(2, 1));
    expect(hash32(2 ** 32 + 5)).not.toBe(hash32(5));
  });

  it('derives one stream per purpose', () => {
    expect(rngFor(1, 2, 3).next()).toBe(rngFor(1, 2, 3).next());
    expect(rngFor(1, 2, 3).next()).not.toBe(rngFor(1, 2, 4).next());
  });
});
