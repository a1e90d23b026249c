/**
 * The HTTP under the ConveYour client: one GET over undici's `request` API, answered with its
 * status, headers and whole (still encoded) body. By default the client owns a keep-alive
 * undici Pool; any undici Dispatcher (a MockAgent in unit tests, a Pool that trusts a test
 * CA) can stand in for it.
 *
 * Only Pool and the request API are imported, by path: undici's index would pull fetch,
 * WebSocket, the caches and the mocks into every Lambda bundle. The index is also what puts
 * `request` on Dispatcher.prototype, so it is called here as a function.
 *
 * Not undici's decompress interceptor (undici 7.30): it is marked experimental and writes an
 * ExperimentalWarning to stderr in every process that creates it, which is every CLI run
 * (stderr is the user's) and every Lambda cold start; the client gunzips with node:zlib.
 *
 * A body cut short is reported as an error with code ERR_CONVEYOUR_TRUNCATED_BODY, whatever
 * carried it (a closed socket under a Content-Length, or a chunked body without its end).
 */
import type { Dispatcher } from 'undici';
import request from 'undici/lib/api/api-request.js';
import Pool from 'undici/lib/dispatcher/pool.js';

export interface HttpResponse {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** As sent: still in its Content-Encoding. */
  body: Buffer;
}

export interface HttpTransport {
  /** Resolves once the whole body is in; rejects with the socket's error (with its `code`) otherwise. */
  get(path: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<HttpResponse>;
  close(): Promise<void>;
}

export const TRUNCATED_BODY = 'ERR_CONVEYOUR_TRUNCATED_BODY';

export interface PoolOptions {
  /** Connections kept to the origin; requests beyond wait for one. */
  connections: number;
  /** An idle keep-alive connection is closed after this long (also the cap on a server's keep-alive hint). */
  keepAliveTimeoutMs: number;
  /** Connect, headers and body-gap timeouts; the client's own deadline covers the whole attempt. */
  timeoutMs: number;
}

/** A keep-alive undici Pool of our own (TLS verified as undici does it: always), closed by `close()`. */
export function poolTransport(origin: string, options: PoolOptions): HttpTransport {
  const pool = new Pool(origin, {
    connections: options.connections,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    keepAliveMaxTimeout: options.keepAliveTimeoutMs,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect: { timeout: options.timeoutMs },
  });
  // destroy, not close: close() would wait for a hung request; the client is done with them.
  return dispatcherTransport(origin, pool, options.timeoutMs, () => pool.destroy());
}

/** Any undici Dispatcher as the transport; unless `close` is given, the caller owns (and closes) it. */
export function dispatcherTransport(
  origin: string,
  dispatcher: Dispatcher,
  timeoutMs: number,
  close: () => Promise<void> = async () => {},
): HttpTransport {
  return {
    async get(path, headers, signal) {
      const response = await request.call(dispatcher, { origin, path, method: 'GET', headers: { ...headers }, signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      let body: Buffer;
      try {
        body = Buffer.from(await response.body.arrayBuffer());
      } catch (error) {
        // The headers came, the body did not all come: whatever undici calls it, that is a cut.
        throw signal.aborted ? error : truncated(error, response.headers);
      }
      return { status: response.statusCode, headers: response.headers, body };
    },
    close,
  };
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function truncated(cause: unknown, headers: Readonly<Record<string, string | string[] | undefined>>): Error {
  const length = headers['content-length'];
  const expected = length === undefined ? 'a body without its end' : `${String(length)} bytes announced`;
  const reason = cause instanceof Error ? `${codeOf(cause) ?? cause.name}: ${cause.message}` : String(cause);
  return Object.assign(new Error(`the connection closed before the whole body came (${expected}; ${reason})`, { cause }), { code: TRUNCATED_BODY });
}
