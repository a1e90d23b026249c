/**
 * The retry policy as pure functions: exponential backoff with full jitter, `Retry-After`
 * parsing, and the decision to wait or give up. No timers, no clock: callers pass `now`.
 */

/** Bounds on retrying one request. */
export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  /** Cap on the jittered backoff ceiling (not on a server's `Retry-After`). */
  maxDelayMs: number;
  /** No retry starts once this much time has passed since the first attempt began. */
  maxElapsedMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 8,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  maxElapsedMs: 120_000,
};

/** Merges overrides onto the defaults and rejects nonsense with a message naming the field. */
export function resolveRetryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...stripUndefined(overrides) };
  for (const [field, value] of Object.entries(policy)) {
    const min = field === 'maxAttempts' ? 1 : 0;
    if (!Number.isFinite(value) || value < min || (field === 'maxAttempts' && !Number.isInteger(value))) {
      throw new RangeError(`retry.${field} must be ${field === 'maxAttempts' ? 'an integer' : 'a number'} >= ${min}, got ${String(value)}`);
    }
  }
  return policy;
}

/**
 * Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform draw
 * in [0, min(maxDelay, base * 2^(attempt-1))), where `attempt` is the 1-based attempt
 * that just failed. Spreads clients that failed together instead of syncing them.
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const draw = Math.min(Math.max(random(), 0), 1);
  return Math.floor(draw * ceiling);
}

/**
 * `Retry-After` as milliseconds from `nowMs`: delta-seconds or an HTTP-date (RFC 9110
 * §10.2.3). Undefined when absent or unreadable; a date in the past means 0.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.ceil(Number(raw) * 1000);
  // Date.parse also accepts bare numbers and odd forms; an HTTP-date always names a weekday/month.
  if (!/[a-z]/i.test(raw)) return undefined;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; reason: string; deadline?: true };

/**
 * After attempt `attempt` failed with a retriable error: wait how long, or give up.
 * A server's `Retry-After` is a floor on the wait. When that floor does not fit in the
 * remaining time budget we give up now rather than knock early: a request sent before
 * the server's deadline would most likely be refused again, and the caller learns
 * sooner. Otherwise the wait is capped by the remaining budget.
 */
export function decideRetry(input: {
  attempt: number;
  elapsedMs: number;
  retryAfterMs: number | undefined;
  policy: RetryPolicy;
  random: () => number;
  /** Milliseconds before the caller's deadline: a wait that would not end before it is not started. */
  deadlineMs?: number;
}): RetryDecision {
  const { attempt, elapsedMs, retryAfterMs, policy, random, deadlineMs } = input;
  if (attempt >= policy.maxAttempts) return { retry: false, reason: `${attempt} attempts made (retry.maxAttempts)` };
  const remaining = policy.maxElapsedMs - elapsedMs;
  if (remaining <= 0) return { retry: false, reason: `${elapsedMs} ms spent (retry.maxElapsedMs ${policy.maxElapsedMs})` };
  if (retryAfterMs !== undefined && retryAfterMs > remaining) {
    return {
      retry: false,
      reason: `the server asked to wait ${retryAfterMs} ms (Retry-After), more than the ${remaining} ms left of retry.maxElapsedMs`,
    };
  }
  const delayMs = Math.min(Math.max(backoffDelayMs(attempt, policy, random), retryAfterMs ?? 0), remaining);
  if (deadlineMs !== undefined && delayMs >= deadlineMs) {
    return { retry: false, deadline: true, reason: `the next wait (${delayMs} ms) would not end before the caller's deadline (${Math.max(0, deadlineMs)} ms left)` };
  }
  return { retry: true, delayMs };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
