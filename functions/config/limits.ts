/**
 * Limits the functions and the stack (infra/cdk) must agree on, in one place. Free of any
 * import: the functions bundle it, and the CDK app reads it.
 */

/** Continuations per chain before the rest is left to the next tick; Lambda's loop detection stops a chain at 16. */
export const DEFAULT_MAX_HOPS = 10;
/** The highest MAX_HOPS accepted: one below Lambda's 16-hop stop. */
export const MAX_HOPS_LIMIT = 15;

/** The most a tail window may hold back from the server's time (SETTLE_SECONDS): writes still turning visible. */
export const MAX_SETTLE_SECONDS = 15;
/** SETTLE_SECONDS by default: a version waits at most this long past its tick's Date (freshness, BENCHMARKS.md). */
export const DEFAULT_SETTLE_SECONDS = 10;
/** OVERLAP_SECONDS by default; the clock-offset alarm fires at half of it. */
export const DEFAULT_OVERLAP_SECONDS = 60;
/**
 * The least OVERLAP_SECONDS accepted: twice the largest settle margin. The overlap is the guard
 * behind the settle margin (writes visible later than it, a server clock stepped back between two
 * windows), so it is never thinner than a margin the configuration allows; and the clock-offset
 * alarm, at half the overlap, then never fires on an offset below the largest margin.
 */
export const MIN_OVERLAP_SECONDS = 2 * MAX_SETTLE_SECONDS;
/** The most OVERLAP_SECONDS accepted: a day of re-reading every minute is a misconfiguration. */
export const MAX_OVERLAP_SECONDS = 86_400;
