/**
 * Which requests get a fault: by schedule (the n-th request since the config was set)
 * or by seeded per-request probability, so a run with the same config and the same
 * request order sees the same faults. Deciding is all this module does; faultResponses.ts
 * answers them. A faulted request never touches the simulator's state.
 */
import { Rng, hash32 } from './prng.js';

export const FAULT_KINDS = ['429', '500', '502', '503', 'hang', 'reset', 'truncate', 'nonjson', 'expire', 'badcreds', 'freeze', 'stall'] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultConfig {
  /** Seed of the per-request draws. Default 1. */
  seed?: number;
  /** Probability per request of each kind; the sum must stay <= 1. */
  rate?: Partial<Record<FaultKind, number>>;
  /** Exact faults: `request` counts API requests from 1 since this config was set. Applies whatever `onlyFor` says. */
  schedule?: Array<{ request: number; kind: FaultKind }>;
  /** Retry-After of the 429 fault, in seconds (0 allowed, for fast tests). Default 1. */
  retryAfterSeconds?: number;
  /** A hung request's socket is destroyed after this long; default: never (until the client or close() ends it). */
  hangMs?: number;
  /** Which requests the rates apply to: first pages, next pages, or all (default). */
  onlyFor?: 'first' | 'next' | 'all';
}

export class FaultConfigError extends Error {
  readonly code = 'SIMULATOR_FAULTS_INVALID';
  override name = 'FaultConfigError';
}

export function isFaultKind(value: string): value is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(value);
}

function fail(message: string): never {
  throw new FaultConfigError(message);
}

/** Throws FaultConfigError naming the bad field. */
export function validateFaultConfig(config: FaultConfig): void {
  let total = 0;
  for (const [kind, probability] of Object.entries(config.rate ?? {})) {
    if (!isFaultKind(kind)) fail(`faults.rate.${kind} is not a fault kind; valid: ${FAULT_KINDS.join(', ')}`);
    if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)) fail(`faults.rate.${kind} must be a probability in [0, 1], got ${String(probability)}`);
    total += probability;
  }
  if (total > 1 + 1e-9) fail(`faults.rate must sum to at most 1, got ${total}`);
  for (const [i, entry] of (config.schedule ?? []).entries()) {
    if (!Number.isInteger(entry.request) || entry.request < 1) fail(`faults.schedule[${i}].request must be an integer >= 1, got ${String(entry.request)}`);
    if (!isFaultKind(entry.kind)) fail(`faults.schedule[${i}].kind '${String(entry.kind)}' is not a fault kind; valid: ${FAULT_KINDS.join(', ')}`);
  }
  const { retryAfterSeconds, hangMs, onlyFor, seed } = config;
  if (retryAfterSeconds !== undefined && !(Number.isInteger(retryAfterSeconds) && retryAfterSeconds >= 0)) fail(`faults.retryAfterSeconds must be an integer >= 0, got ${String(retryAfterSeconds)}`);
  if (hangMs !== undefined && !(Number.isFinite(hangMs) && hangMs >= 0)) fail(`faults.hangMs must be a number >= 0, got ${String(hangMs)}`);
  if (onlyFor !== undefined && !['first', 'next', 'all'].includes(onlyFor)) fail(`faults.onlyFor must be 'first', 'next' or 'all', got '${String(onlyFor)}'`);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0)) fail(`faults.seed must be an integer >= 0, got ${String(seed)}`);
}

export interface FaultDecision {
  kind: FaultKind;
  /** 1-based occurrence of this kind, to alternate the variants of truncate and nonjson. */
  occurrence: number;
}

export class FaultPlanner {
  private requests = 0;
  private readonly draws: Rng;
  private readonly scheduled: Map<number, FaultKind>;
  private readonly occurrences = new Map<FaultKind, number>();

  constructor(readonly config: FaultConfig) {
    validateFaultConfig(config);
    this.draws = new Rng(hash32(config.seed ?? 1, 0xfa17));
    this.scheduled = new Map((config.schedule ?? []).map((entry) => [entry.request, entry.kind]));
  }

  get retryAfterSeconds(): number {
    return this.config.retryAfterSeconds ?? 1;
  }

  /** Called once per API request, in arrival order. */
  decide(request: { isNextPage: boolean }): FaultDecision | undefined {
    this.requests++;
    // One draw per request whatever happens, so decisions depend on the request number only.
    const draw = this.draws.next();
    const kind = this.scheduled.get(this.requests) ?? this.fromRates(draw, request.isNextPage);
    if (kind === undefined) return undefined;
    const occurrence = (this.occurrences.get(kind) ?? 0) + 1;
    this.occurrences.set(kind, occurrence);
    return { kind, occurrence };
  }

  private fromRates(draw: number, isNextPage: boolean): FaultKind | undefined {
    const onlyFor = this.config.onlyFor ?? 'all';
    if ((onlyFor === 'first' && isNextPage) || (onlyFor === 'next' && !isNextPage)) return undefined;
    let cumulative = 0;
    for (const kind of FAULT_KINDS) {
      cumulative += this.config.rate?.[kind] ?? 0;
      if (draw < cumulative) {
        // A first page has no cursor to expire, freeze or stall on.
        return (kind === 'expire' || kind === 'freeze' || kind === 'stall') && !isNextPage ? undefined : kind;
      }
    }
    return undefined;
  }
}
