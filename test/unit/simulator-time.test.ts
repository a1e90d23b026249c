import { describe, expect, it } from 'vitest';
import { ApiError } from '../../infra/local/simulator/apiError.js';
import { parseTimeParam } from '../../infra/local/simulator/time.js';

const NOW = Date.parse('2025-01-15T12:00:00Z') / 1000;

describe('simulator time parameters', () => {
  it('takes unix seconds as they are', () => {
    expect(parseTimeParam('start_time', '1683228479', NOW)).toBe(1683228479);
  });

  it('evaluates strtotime phrases against the clock (TZ=UTC in tests)', () => {
    expect(parseTimeParam('start_time', '-15 minutes', NOW)).toBe(NOW - 900);
    expect(parseTimeParam('start_time', 'yesterday', NOW)).toBe(Date.parse('2025-01-14T00:00:00Z') / 1000);
    expect(parseTimeParam('end_time', 'now', NOW)).toBe(NOW);
  });

  it('uses the fallback when the value is missing', () => {
    expect(parseTimeParam('end_time', null, NOW, NOW)).toBe(NOW);
  });

  it('requires a value without a fallback', () => {
    expect(() => parseTimeParam('start_time', '', NOW)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_time', message: expect.stringContaining('start_time is required') }));
  });

  it('names an unparseable value', () => {
    let caught: unknown;
    try {
      parseTimeParam('end_time', 'next blue moon', NOW);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).message).toContain("end_time 'next blue moon'");
  });
});
