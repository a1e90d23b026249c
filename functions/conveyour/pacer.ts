/**
 * Keeps requests under a known rate limit instead of learning it from 429s: each request
 * waits for its turn, at most `requestsPerSecond` on average and `burst` at once. One pacer
 * may serve several clients (the local runtime shares one between its tick and continue
 * functions, which talk to the same simulator).
 *
 * A generic cell-rate algorithm: every take reserves the next slot synchronously, so
 * concurrent callers queue in call order without a lock.
 */
export interface RequestPacer {
  /** Resolves when the caller may send; rejects with the signal's reason if it aborts first. */
  take(signal?: AbortSignal): Promise<void>;
}

export interface PacerOptions {
  requestsPerSecond: number;
  /** Requests that may go at once after a quiet spell; default 1 (evenly spaced). */
  burst?: number;
  now?: () => number;
}

export function createRequestPacer(options: PacerOptions): RequestPacer {
  const { requestsPerSecond, burst = 1, now = Date.now } = options;
  if (!Number.isFinite(requestsPerSecond) || requestsPerSecond <= 0) throw new RangeError(`requestsPerSecond must be a number > 0, got ${String(requestsPerSecond)}`);
  if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`burst must be an integer >= 1, got ${String(burst)}`);
  const intervalMs = 1000 / requestsPerSecond;
  const toleranceMs = (burst - 1) * intervalMs;
  // The time at which the next request would be on schedule; earlier by up to the tolerance is allowed.
  let scheduledMs = -Infinity;
  return {
    take(signal) {
      signal?.throwIfAborted();
      const nowMs = now();
      scheduledMs = Math.max(scheduledMs, nowMs);
      const waitMs = scheduledMs - toleranceMs - nowMs;
      scheduledMs += intervalMs;
      return waitMs <= 0 ? Promise.resolve() : delay(waitMs, signal);
    },
  };
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
