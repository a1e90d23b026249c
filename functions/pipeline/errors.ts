/** Errors of the pipeline core. Each has a stable `code` and keeps its `cause`. */
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
