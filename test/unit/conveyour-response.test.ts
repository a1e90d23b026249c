import { describe, expect, it } from 'vitest';
import {
  AuthError,
  BadRequestError,
  CursorExpiredError,
  MalformedResponseError,
  RetriableStatusError,
  UnexpectedStatusError,
} from '../../functions/conveyour/errors.js';
import { classifyResponse, parsePageBody } from '../../functions/conveyour/response.js';

const context = { nowMs: 0, secrets: ['appkey-SECRET-1234', 'token-SECRET-5678'] };
const errorBody = (code: string, message: string) => JSON.stringify({ success: false, error: { code, message } });
const pageJson = (inner: unknown) => JSON.stringify({ data: { data: inner } });
const respond = (status: number, body: string, headers: Record<string, string> = {}) =>
  classifyResponse({ status, headers, body }, context);

describe('classifyResponse: statuses', () => {
  it.each([401, 403])('turns %i into an AuthError that is not retriable', (status) => {
    const act = () => respond(status, errorBody('invalid_credentials', 'bad token'));
    expect(act).toThrow(AuthError);
    expect(act).toThrow(/CONVEYOUR_APPKEY and CONVEYOUR_TOKEN/);
  });

  it.each([
    [400, 'unknown_collection', /Use one of: campaigns, contacts/],
    [400, 'invalid_time', /unix seconds/],
    [400, 'con_id_required', /con_id/],
    [422, 'bad_request', /Check the collection/],
    [404, 'not_found', /CONVEYOUR_DOMAIN/],
  ])('turns %i %s into a BadRequestError with the server message and a hint', (status, code, hint) => {
    const act = () => respond(status, errorBody(code, `server says ${code}`));
    expect(act).toThrow(BadRequestError);
    expect(act).toThrow(`server says ${code}`);
    expect(act).toThrow(hint);
  });

  it('turns 410 into a CursorExpiredError', () => {
    expect(() => respond(410, errorBody('cursor_expired', 'gone'))).toThrow(CursorExpiredError);
  });

  it('turns 404 query_not_found into a CursorExpiredError, not a BadRequestError', () => {
    expect(() => respond(404, errorBody('query_not_found', 'unknown query'))).toThrow(CursorExpiredError);
  });

  it('turns a cursor_expired code into a CursorExpiredError whatever the 4xx status', () => {
    expect(() => respond(400, errorBody('cursor_expired', 'too old'))).toThrow(CursorExpiredError);
  });

  it.each([429, 500, 502, 503, 504])('turns %i into a RetriableStatusError', (status) => {
    expect(() => respond(status, errorBody('server_error', 'oops'))).toThrow(RetriableStatusError);
  });

  it('keeps Retry-After on a 429 as milliseconds', () => {
    const error = catchError(() => respond(429, errorBody('rate_limited', 'slow down'), { 'retry-after': '2' }));
    expect(error).toBeInstanceOf(RetriableStatusError);
    expect((error as RetriableStatusError).retryAfterMs).toBe(2_000);
  });

  it('retries a 502 whose body is an HTML proxy page', () => {
    expect(() => respond(502, '<html><body>Bad Gateway</body></html>')).toThrow(RetriableStatusError);
  });

  it('turns any other status into an UnexpectedStatusError', () => {
    expect(() => respond(302, '')).toThrow(UnexpectedStatusError);
  });

  it('turns a 200 that says success:false into the error its code names', () => {
    expect(() => respond(200, errorBody('cursor_expired', 'gone'))).toThrow(CursorExpiredError);
    expect(() => respond(200, errorBody('unknown_collection', 'nope'))).toThrow(BadRequestError);
  });

  it('masks a credential that the server echoes in its message', () => {
    const error = catchError(() => respond(400, errorBody('bad_request', 'token token-SECRET-5678 is odd')));
    expect(error.message).not.toContain('token-SECRET-5678');
    expect(error.message).toContain('[redacted]');
  });

  it('drops credential-like response headers kept on an error', () => {
    const error = catchError(() =>
      respond(503, 'down', { 'x-conveyour-token': 'token-SECRET-5678', 'set-cookie': 's=1', 'x-request-id': 'r1' }),
    ) as RetriableStatusError;
    expect(error.headers).toEqual({ 'x-request-id': 'r1' });
  });
});

describe('parsePageBody', () => {
  it('returns results, query_id and next_cursor of a valid page', () => {
    const body = parsePageBody(pageJson({ results: [{ _id: 'a' }], query_id: 'q1', pagination: { next_cursor: 'c1' } }));
    expect(body).toEqual({ results: [{ _id: 'a' }], queryId: 'q1', nextCursor: 'c1' });
  });

  it('reads a last page without next_cursor as the end', () => {
    expect(parsePageBody(pageJson({ results: [], query_id: 'q1', pagination: {} })).nextCursor).toBeUndefined();
  });

  it.each([null, '', false])('reads next_cursor %j as the end, as the original client did', (next) => {
    expect(parsePageBody(pageJson({ results: [], query_id: 'q1', pagination: { next_cursor: next } })).nextCursor).toBeUndefined();
  });

  it('accepts a final page without query_id, as the original client did', () => {
    expect(parsePageBody(pageJson({ results: [] }))).toEqual({ results: [], queryId: undefined, nextCursor: undefined });
  });

  it.each([
    ['a truncated body', '{"data":{"data":{"results":[{"_id":"a"'],
    ['an HTML page', '<html>maintenance</html>'],
    ['no data.data', JSON.stringify({ data: { results: [] } })],
    ['results not an array', pageJson({ results: {}, query_id: 'q' })],
    ['a result without _id', pageJson({ results: [{ name: 'x' }], query_id: 'q' })],
    ['a result that is not an object', pageJson({ results: ['a'], query_id: 'q' })],
    ['a numeric query_id', pageJson({ results: [], query_id: 7 })],
    ['a numeric next_cursor', pageJson({ results: [{ _id: 'a' }], query_id: 'q', pagination: { next_cursor: 3 } })],
    ['a next_cursor without query_id', pageJson({ results: [{ _id: 'a' }], pagination: { next_cursor: 'c' } })],
  ])('rejects %s as a retriable MalformedResponseError', (_what, body) => {
    const error = catchError(() => parsePageBody(body));
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect((error as MalformedResponseError).retriable).toBe(true);
  });

  it('describes a non-JSON body without quoting its content', () => {
    const error = catchError(() => parsePageBody('{"data":{"data":{"results":[{"_id":"secret-record-value"', 'application/json'));
    expect(error.message).not.toContain('secret-record-value');
    expect(error.message).toMatch(/not JSON/);
  });
});

function catchError(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}
