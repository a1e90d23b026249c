import { CodedError } from '../errors/coded.js';

/** Errors of the rescan core. */
export class RescanError extends CodedError {
  readonly code: string = 'RESCAN_ERROR';
  override name = 'RescanError';
}

/** An input to the tombstone rule or the deletions writer that cannot be right; the message names it and what would be valid. */
export class RescanInputError extends RescanError {
  override readonly code = 'RESCAN_INPUT';
  override name = 'RescanInputError';
}
