/**
 * Errors of the ConveYour client. Every error has a stable `code`, says what to do,
 * and never carries credentials (headers are filtered before they are kept). `retriable`
 * says whether the same request may succeed if sent again.
 */
import { CodedError } from '../errors/coded.js';

export class ConveYourError extends CodedError {
  readonly code: string = 'CONVEYOUR_ERROR';
  override name = 'ConveYourError';
}

/** 401/403: the appkey or token is wrong or lacks access. Never retried. */
export class AuthError extends ConveYourError {
  override readonly code = 'CONVEYOUR_AUTH';
  override name = 'AuthError';
  constructor(
    readonly status: number,
    message = `ConveYour rejected the credentials (HTTP ${status}). Check CONVEYOUR_APPKEY and CONVEYOUR_TOKEN (or the source's secret) and that the API user may read collection streams.`,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** 400/404/422: the request itself is wrong (unknown collection, bad time, ...). Never retried. */
export class BadRequestError extends ConveYourError {
  override readonly code = 'CONVEYOUR_BAD_REQUEST';
  override name = 'BadRequestError';
  constructor(
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The cursor (or its query) is gone: the window must be read again from its start. */
export class CursorExpiredError extends ConveYourError {
  override readonly code = 'CONVEYOUR_CURSOR_EXPIRED';
  override name = 'CursorExpiredError';
}

/** The body was not the documented shape: not JSON, truncated, no `data.data`, `results` not an array. */
export class MalformedResponseError extends ConveYourError {
  override readonly code = 'CONVEYOUR_MALFORMED_RESPONSE';
  override readonly retriable = true;
  override name = 'MalformedResponseError';
}

/** An HTTP status that may pass: 429 and 500/502/503/504. */
export class RetriableStatusError extends ConveYourError {
  override readonly code = 'CONVEYOUR_RETRIABLE_STATUS';
  override readonly retriable = true;
  override name = 'RetriableStatusError';
  constructor(
    readonly status: number,
    /** Response headers without anything credential-like. */
    readonly headers: Readonly<Record<string, string>>,
    /** Parsed `Retry-After`, when the server sent one. */
    readonly retryAfterMs: number | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Any other unexpected HTTP status. Not retried. */
export class UnexpectedStatusError extends ConveYourError {
  override readonly code = 'CONVEYOUR_UNEXPECTED_STATUS';
  override name = 'UnexpectedStatusError';
  constructor(
    readonly status: number,
    readonly headers: Readonly<Record<string, string>>,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Connection refused/reset, DNS failure, request timeout: the request may not have reached the server. */
export class NetworkError extends ConveYourError {
  override readonly code = 'CONVEYOUR_NETWORK';
  override readonly retriable = true;
  override name = 'NetworkError';
}

/** Retries ran out (attempts or total time); `cause` is the last error. */
export class RetriesExhaustedError extends ConveYourError {
  override readonly code = 'CONVEYOUR_RETRIES_EXHAUSTED';
  override name = 'RetriesExhaustedError';
  constructor(
    readonly attempts: number,
    readonly elapsedMs: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The cursor repeated, or an empty page claimed more: following it would loop or lie. Not retried. */
export class StalledCursorError extends ConveYourError {
  override readonly code = 'CONVEYOUR_STALLED_CURSOR';
  override name = 'StalledCursorError';
}

/**
 * The invocation's deadline came (or the next retry's wait would pass it): the request was
 * stopped or not retried. Not a ConveYour failure: the caller saves what it has and continues later.
 */
export class DeadlineError extends ConveYourError {
  override readonly code = 'DEADLINE_REACHED';
  override readonly retriable = true;
  override name = 'DeadlineError';
}
