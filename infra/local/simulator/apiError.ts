/**
 * The API's error answer: `{"success":false,"error":{"code","message"}}` with a status.
 * Codes are stable (clients switch on them); messages never echo credentials.
 */
export type ApiErrorCode =
  | 'invalid_credentials'
  | 'unknown_collection'
  | 'invalid_time'
  | 'con_id_required'
  | 'bad_request'
  | 'cursor_expired'
  | 'query_not_found'
  | 'rate_limited'
  | 'server_error'
  | 'not_found'
  | 'method_not_allowed';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  body(): string {
    return errorBody(this.code, this.message);
  }
}

export function errorBody(code: ApiErrorCode, message: string): string {
  return JSON.stringify({ success: false, error: { code, message } });
}
