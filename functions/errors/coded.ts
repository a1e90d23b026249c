/**
 * The one base of every error this package throws. Logs, checkpoints, metrics and exit codes
 * branch on `code` (stable, machine-readable), never on a class name or a message, which are
 * for people and may be reworded. No AWS or HTTP imports: the core and the adapters share it.
 *
 * @example
 * export class LandingWriteError extends CodedError {
 *   readonly code = 'LANDING_WRITE_FAILED';
 *   override readonly retriable = true;
 *   override name = 'LandingWriteError';
 * }
 * throw new LandingWriteError('S3 PutObject failed', { cause: sdkError });
 */
export abstract class CodedError extends Error {
  /** Stable across releases; one string literal per class (or per outcome, as SecretError's two). */
  abstract readonly code: string;
  /** Whether the same operation may succeed when tried again later, with nothing changed. */
  readonly retriable: boolean = false;

  /** `options.cause` is kept as the standard ES2022 `cause`. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** What a log line, a checkpoint's last error and a status table keep of any thrown value. */
export interface ErrorDescription {
  code: string;
  message: string;
}

/**
 * A stable code and message for any thrown value: our errors give their `code`; a foreign
 * error its own string `code` (Node's `ECONNRESET`, undici's `UND_ERR_*`) or else its name
 * (the AWS SDK's `ThrottlingException`); anything else is `UNKNOWN`.
 */
export function describeError(error: unknown): ErrorDescription {
  if (error instanceof CodedError) return { code: error.code, message: error.message };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' && code !== '' ? code : error.name, message: error.message };
  }
  return { code: 'UNKNOWN', message: String(error) };
}
