/** Errors of the pipeline core. Each has a stable `code` and keeps its `cause`. */
import { CursorExpiredError, DeadlineError, StalledCursorError } from '../conveyour/errors.js';
import { CodedError } from '../errors/coded.js';

export { describeError } from '../errors/coded.js';

export class PipelineError extends CodedError {
  readonly code: string = 'PIPELINE_ERROR';
  override name = 'PipelineError';
}

/**
 * Another invocation holds the collection's lease (or took it over after ours expired).
 * The checkpoint was not touched: stop quietly, the holder carries on.
 */
export class LeaseLostError extends PipelineError {
  override readonly code = 'LEASE_LOST';
  override name = 'LeaseLostError';
}

/** The lease is held by a live invocation; nothing to do for this collection now. */
export class LeaseHeldError extends PipelineError {
  override readonly code = 'LEASE_HELD';
  /** The holder's lease expires: a later try may find it free. */
  override readonly retriable = true;
  override name = 'LeaseHeldError';
  constructor(
    readonly owner: string,
    readonly expiresAtMs: number,
  ) {
    super(`lease held by ${owner} until ${new Date(expiresAtMs).toISOString()}`);
  }
}

/** A continuation message that cannot be acted on (not JSON, wrong shape, unknown source or collection). */
export class MalformedMessageError extends PipelineError {
  override readonly code = 'MALFORMED_MESSAGE';
  override name = 'MalformedMessageError';
}

/**
 * What a run does about an error: the one place that decides it.
 * - `restart-window`: the cursor expired. Pages landed stay (true versions); the window is read
 *   again from its start, under a new generation.
 * - `stop-quietly`: not a failure of ours. Another invocation holds or took the lease (we write
 *   nothing), or the deadline stopped a fetch (we save what landed and a continuation carries on).
 * - `record-and-retry`: anything else. The error is recorded on the checkpoint as the store holds
 *   it (so `status` shows it) and the next tick retries; `rereadWindow` when the cursor cannot be
 *   followed again (it repeated), so the retry opens a new query.
 */
export type FailurePolicy =
  | { policy: 'restart-window' }
  | { policy: 'stop-quietly'; reason: 'lease-held' | 'lease-lost' | 'deadline' }
  | { policy: 'record-and-retry'; rereadWindow: boolean };

/**
 * Classifies `error` for a run. `claimed`: the run holds its lease; `writesStopped`: the
 * invocation's write deadline passed. A deadline is quiet unless it stopped a write made after
 * the claim: that write may or may not have landed, and the next run must resume from the store.
 *
 * @example failurePolicy(new CursorExpiredError('gone'), { claimed: true, writesStopped: false }) // { policy: 'restart-window' }
 */
export function failurePolicy(error: unknown, when: { claimed: boolean; writesStopped: boolean }): FailurePolicy {
  if (error instanceof LeaseHeldError) return { policy: 'stop-quietly', reason: 'lease-held' };
  if (error instanceof LeaseLostError) return { policy: 'stop-quietly', reason: 'lease-lost' };
  if (error instanceof DeadlineError && !(when.claimed && when.writesStopped)) return { policy: 'stop-quietly', reason: 'deadline' };
  if (error instanceof CursorExpiredError) return { policy: 'restart-window' };
  return { policy: 'record-and-retry', rereadWindow: error instanceof StalledCursorError };
}
