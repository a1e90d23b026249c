/**
 * A token bucket on the simulator's clock: `burst` requests at once, refilled at
 * `requestsPerSecond`. An empty bucket answers 429 with the whole seconds until the next
 * token as Retry-After (at least 1, as HTTP's Retry-After is in whole seconds).
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly requestsPerSecond: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.lastMs = nowMs;
  }

  /** Takes a token; returns undefined when allowed, else the Retry-After in seconds. */
  take(nowMs: number): number | undefined {
    const elapsed = Math.max(0, nowMs - this.lastMs);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.requestsPerSecond);
    this.lastMs = Math.max(this.lastMs, nowMs);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.requestsPerSecond));
  }
}
