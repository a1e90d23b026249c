/**
 * Limits the functions and the stack (infra/cdk) must agree on, in one place. Free of any
 * import: the functions bundle it, and the CDK app reads it.
 */

/** Continuations per chain before the rest is left to the next tick; Lambda's loop detection stops a chain at 16. */
export const DEFAULT_MAX_HOPS = 10;
/** The highest MAX_HOPS accepted: one below Lambda's 16-hop stop. */
export const MAX_HOPS_LIMIT = 15;
