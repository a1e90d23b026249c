/** Errors of the pipeline core. Each has a stable `code` and keeps its `cause`. */
export class PipelineError extends Error {
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

/** A stable code and message for any thrown value, for logs and the checkpoint's last error. */
export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : error.name, message: error.message };
  }
  return { code: 'UNKNOWN', message: String(error) };
}
