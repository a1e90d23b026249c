import { describe, expect, it } from 'vitest';
import { backoffDelayMs, decideRetry, DEFAULT_RETRY_POLICY, parseRetryAfter, resolveRetryPolicy } from '../../functions/conveyour/retry.js';

const policy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000, maxElapsedMs: 10_000 };

describe('backoffDelayMs', () => {
  it('draws from zero up to base times two to the failed attempt minus one', () => {
    // Prepare
    const almostOne = () => 0.999_999;
    // Act
    const ceilings = [1, 2, 3, 4].map((attempt) => backoffDelayMs(attempt, policy, almostOne));
    // Assess
    expect(ceilings).toEqual([99, 199, 399, 799]);
  });

  it('is zero when the jitter source draws zero (full jitter, no floor)', () => {
    expect(backoffDelayMs(4, policy, () => 0)).toBe(0);
  });

  it('never exceeds maxDelayMs however many attempts failed', () => {
    expect(backoffDelayMs(30, policy, () => 0.999_999)).toBeLessThan(policy.maxDelayMs);
    expect(backoffDelayMs(30, policy, () => 0.5)).toBe(500);
  });

  it('clamps a jitter source that strays outside [0, 1]', () => {
    expect(backoffDelayMs(2, policy, () => 7)).toBe(200);
    expect(backoffDelayMs(2, policy, () => -1)).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');

  it('reads delta-seconds as milliseconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3_000);
  });

  it('reads an HTTP-date as the time left until it', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 12:00:05 GMT', now)).toBe(5_000);
  });

  it('reads an HTTP-date in the past as no wait', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores a missing or unreadable value', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('decideRetry', () => {
  const base = { elapsedMs: 0, retryAfterMs: undefined, policy, random: () => 0.5 };

  it('retries with the jittered backoff while attempts and time remain', () => {
    expect(decideRetry({ ...base, attempt: 2 })).toEqual({ retry: true, delayMs: 100 });
  });

  it('gives up once maxAttempts attempts were made', () => {
    const decision = decideRetry({ ...base, attempt: 5 });
    expect(decision).toMatchObject({ retry: false, reason: expect.stringContaining('retry.maxAttempts') });
  });

  it('gives up once maxElapsedMs is spent', () => {
    const decision = decideRetry({ ...base, attempt: 1, elapsedMs: 10_000 });
    expect(decision).toMatchObject({ retry: false, reason: expect.stringContaining('retry.maxElapsedMs') });
  });

  it('waits at least as long as Retry-After asks, even beyond maxDelayMs', () => {
    expect(decideRetry({ ...base, attempt: 1, retryAfterMs: 4_000 })).toEqual({ retry: true, delayMs: 4_000 });
  });

  it('gives up at once when Retry-After asks for more than the time budget left', () => {
    const decision = decideRetry({ ...base, attempt: 1, elapsedMs: 8_000, retryAfterMs: 3_000 });
    expect(decision).toMatchObject({ retry: false, reason: expect.stringContaining('Retry-After') });
  });

  it('caps the backoff by the time budget left', () => {
    const decision = decideRetry({ ...base, attempt: 4, elapsedMs: 9_900, random: () => 0.999 });
    expect(decision).toEqual({ retry: true, delayMs: 100 });
  });
});

describe('resolveRetryPolicy', () => {
  it('fills what is not overridden from the defaults', () => {
    expect(resolveRetryPolicy({ maxAttempts: 3, baseDelayMs: undefined })).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 3 });
  });

  it('rejects a non-integer or zero maxAttempts naming the field', () => {
    expect(() => resolveRetryPolicy({ maxAttempts: 0 })).toThrow('retry.maxAttempts must be an integer >= 1, got 0');
    expect(() => resolveRetryPolicy({ maxAttempts: 1.5 })).toThrow(/retry\.maxAttempts/);
  });

  it('rejects a negative delay naming the field', () => {
    expect(() => resolveRetryPolicy({ baseDelayMs: -1 })).toThrow('retry.baseDelayMs must be a number >= 0, got -1');
  });
});
