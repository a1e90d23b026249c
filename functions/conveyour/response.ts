/**
 * The one place that judges a response: a status and its error body become an error
 * class (retriable or fatal), a 2xx body becomes a validated page body. A page is only
 * ever used whole: the body is read completely, parsed and checked before anything of
 * it reaches a caller.
 */
import { COLLECTIONS } from './collections.js';
import {
  AuthError,
  BadRequestError,
  type ConveYourError,
  CursorExpiredError,
  MalformedResponseError,
  RetriableStatusError,
  UnexpectedStatusError,
} from './errors.js';
import { redactText, safeHeaders } from './redact.js';
import { parseRetryAfter } from './retry.js';
import type { ConveYourRecord } from './types.js';

/** The inside of `{"data":{"data":{...}}}`, checked. */
export interface PageBody {
  results: ConveYourRecord[];
  /** Absent only on a final page (tolerated as the original client did: no query_id, nothing more). */
  queryId: string | undefined;
  nextCursor: string | undefined;
}

export interface RawResponse {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string;
}

const RETRIABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
const EXPIRED_CODES = new Set(['cursor_expired', 'query_not_found']);
const MAX_SERVER_MESSAGE = 300;

/** Returns the page body of a successful response, or throws the error it stands for. */
export function classifyResponse(response: RawResponse, context: { nowMs: number; secrets: readonly string[] }): PageBody {
  const { status, body } = response;
  const parsed = parseJson(body);
  const serverError = errorOf(parsed);
  if (status >= 200 && status < 300 && !serverError) return validatePage(parsed, body, response.headers['content-type']);
  throw errorForResponse(response, serverError, context);
}

function errorForResponse(
  { status, headers }: RawResponse,
  serverError: ServerError | undefined,
  { nowMs, secrets }: { nowMs: number; secrets: readonly string[] },
): ConveYourError {
  const code = serverError?.code ?? '';
  const said = serverError ? `: ${redactText(serverError.message, secrets).slice(0, MAX_SERVER_MESSAGE)}` : '';
  const label = `HTTP ${status}${code ? ` ${code}` : ''}${said}`;
  const kept = safeHeaders(headers, secrets);

  if (RETRIABLE_STATUSES.has(status) || code === 'rate_limited') {
    const retryAfterMs = parseRetryAfter(headers['retry-after'], nowMs);
    const wait = retryAfterMs === undefined ? '' : ` (Retry-After ${Math.ceil(retryAfterMs / 1000)} s)`;
    return new RetriableStatusError(status, kept, retryAfterMs, `ConveYour answered ${label}${wait}; the request is retried with backoff.`);
  }
  if (status === 401 || status === 403 || code === 'invalid_credentials') return new AuthError(status);
  if (status === 410 || EXPIRED_CODES.has(code)) {
    return new CursorExpiredError(
      `ConveYour no longer knows this query or cursor (${label}). Read the window again from its start with a new query.`,
    );
  }
  if (status === 400 || status === 404 || status === 422 || (status >= 200 && status < 300)) {
    return new BadRequestError(status, `ConveYour rejected the request (${label}). ${hintFor(code, status)}`);
  }
  return new UnexpectedStatusError(
    status,
    kept,
    `ConveYour answered an unexpected ${label}. Check that CONVEYOUR_DOMAIN / CONVEYOUR_BASE_URL points at the ConveYour API.`,
  );
}

function hintFor(code: string, status: number): string {
  switch (code) {
    case 'unknown_collection':
      return `Use one of: ${COLLECTIONS.join(', ')}.`;
    case 'invalid_time':
      return 'start_time and end_time must be unix seconds, start before end.';
    case 'con_id_required':
      return 'lesson_transcripts queries need con_id, the contact _id.';
    default:
      return status === 404
        ? 'Check that CONVEYOUR_DOMAIN / CONVEYOUR_BASE_URL points at the ConveYour API.'
        : 'Check the collection, the time window and the other parameters.';
  }
}

interface ServerError {
  code: string;
  message: string;
}

const NOT_JSON = Symbol('not JSON');

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return NOT_JSON;
  }
}

/** `{"success":false,"error":{"code","message"}}`, or undefined when the body is anything else. */
function errorOf(parsed: unknown): ServerError | undefined {
  if (!isObject(parsed) || parsed.success !== false) return undefined;
  const error = isObject(parsed.error) ? parsed.error : {};
  return {
    code: typeof error.code === 'string' ? error.code : '',
    message: typeof error.message === 'string' ? error.message : typeof parsed.error === 'string' ? parsed.error : '',
  };
}

/** Parses and validates a page body; every defect is a (retriable) MalformedResponseError. */
export function parsePageBody(body: string, contentType?: string | string[]): PageBody {
  return validatePage(parseJson(body), body, contentType);
}

function validatePage(parsed: unknown, body: string, contentType?: string | string[]): PageBody {
  if (parsed === NOT_JSON) {
    // The parser's own message quotes the body, which holds records: describe it instead.
    const type = contentType ? `, content-type ${String(contentType)}` : '';
    throw malformed(`a body of ${Buffer.byteLength(body)} bytes that is not JSON (truncated, or an HTML error page${type})`);
  }
  const outer = isObject(parsed) ? parsed.data : undefined;
  const inner = isObject(outer) ? outer.data : undefined;
  if (!isObject(inner)) throw malformed('JSON without the data.data object');
  const { results, query_id: queryId, pagination } = inner;
  if (!Array.isArray(results)) throw malformed('data.data.results that is not an array');
  results.forEach((record, index) => {
    if (!isObject(record) || typeof record._id !== 'string' || record._id === '') {
      throw malformed(`data.data.results[${index}] without a string _id`);
    }
  });
  if (pagination !== undefined && pagination !== null && !isObject(pagination)) throw malformed('data.data.pagination that is not an object');
  const next = isObject(pagination) ? pagination.next_cursor : undefined;
  // The original client tests `if (next_cursor)`: null, false and '' all mean "last page".
  if (next !== undefined && next !== null && next !== false && next !== '' && typeof next !== 'string') {
    throw malformed('data.data.pagination.next_cursor that is not a string');
  }
  const nextCursor = typeof next === 'string' && next !== '' ? next : undefined;
  if (queryId !== undefined && (typeof queryId !== 'string' || queryId === '')) throw malformed('data.data.query_id that is not a string');
  if (queryId === undefined && nextCursor !== undefined) throw malformed('a next_cursor without data.data.query_id');
  return { results: results as ConveYourRecord[], queryId, nextCursor };
}

function malformed(what: string): MalformedResponseError {
  return new MalformedResponseError(`ConveYour returned ${what}; the request is retried.`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
