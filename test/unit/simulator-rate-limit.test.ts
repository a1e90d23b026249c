import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../infra/local/simulator/rateLimit.js';

describe('simulator token bucket', () => {
  it('allows the burst, then asks to retry after the next token', () => {
    const bucket = new TokenBucket(0.5, 2, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([undefined, undefined, 2]);
  });

  it('refills at the configured rate on the injected clock', () => {
    const bucket = new TokenBucket(10, 1, 0);
    bucket.take(0);
    expect(bucket.take(50)).toBe(1);
    expect(bucket.take(150)).toBeUndefined();
  });
});
