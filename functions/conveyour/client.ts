/**
 * The ConveYour HTTP client: pages one collection query over a keep-alive undici Pool, with a
 * deadline per attempt (headers and whole body), gzip responses where the server offers them
 * (gunzipped with node:zlib; transport.ts says why not undici's interceptor), retries with
 * full-jitter backoff inside a time budget, typed errors and an event per attempt; every page carries
 * the server's clock (its HTTP Date, serverDate.ts). Credentials travel only in the two request headers;
 * nothing the client emits or throws contains them.
 *
 * Why the retry loop is ours and not undici's RetryHandler/RetryAgent (undici 7): that handler
 * judges a response by status code and error code only, while a ConveYour page can fail at
 * 200 (not JSON, no data.data, a body cut short) and must be retried then too; it has no
 * total time budget, and it treats Retry-After as the wait (capped by its maxTimeout) where
 * ours takes it as a floor and gives up at once when the floor does not fit in the budget;
 * it emits nothing per attempt (our RequestEvent feeds --debug and the logs); its waits are
 * its own timers, which a caller's AbortSignal does not cut short; and what it throws are
 * undici's errors, not our typed ones. Its resume-by-Range for a body cut mid-stream does not
 * apply either: a page is only used whole, and the API sends no ETag.
 */
import { gunzip } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { normalizeBaseUrl } from './endpoint.js';
import { ConveYourError, DeadlineError, MalformedResponseError, NetworkError, RetriableStatusError, RetriesExhaustedError } from './errors.js';
import { CursorPaginator } from './paginator.js';
import type { RequestPacer } from './pacer.js';
import { sanitizedCause, secretsOf } from './redact.js';
import { type PageBody, classifyResponse } from './response.js';
import { type RetryPolicy, decideRetry, resolveRetryPolicy } from './retry.js';
import { dispatcherTransport, poolTransport, TRUNCATED_BODY, type HttpResponse, type HttpTransport } from './transport.js';
import { parseHttpDate } from './serverDate.js';
import type { Credentials, Page, PageOptions, PageSource, QuerySpec, UnixSeconds } from './types.js';

export { clientOptionsFromEnv } from './endpoint.js';
export type { RetryPolicy } from './retry.js';

/** One attempt's outcome, for --debug and logs; never contains credentials. */
export interface RequestEvent {
  type: 'response' | 'retry' | 'failure';
  /** The report path asked: /api/reports/collectionStream or /api/reports/contactsLessonTranscripts. */
  path: string;
  /** The query-string params sent (collection, start_time, end_time, con_id, query_id, cursor, data). */
  params: Record<string, string>;
  /** 1-based. */
  attempt: number;
  status?: number;
  durationMs: number;
  /** type 'retry': the backoff before the next attempt. */
  delayMs?: number;
  /** Error code and short message, for retry/failure. */
  error?: string;
  /** The error's stable code alone, for retry/failure: what logs and counters branch on. */
  code?: string;
}

export interface ClientOptions {
  /** 'https://{domain}' or CONVEYOUR_BASE_URL. */
  baseUrl: string;
  credentials: Credentials;
  /** Per attempt, headers and whole body; default 30_000. */
  requestTimeoutMs?: number;
  /** Default {maxAttempts: 8, baseDelayMs: 250, maxDelayMs: 20_000, maxElapsedMs: 120_000}. */
  retry?: Partial<RetryPolicy>;
  /** Keep-alive connections, default 32: enough for COLLECTION_CONCURRENCY cursors plus TRANSCRIPT_CONCURRENCY contacts. */
  connections?: number;
  /** How long an idle connection is kept; default 30_000, tests pass ~100. */
  keepAliveTimeoutMs?: number;
  /** Called for every attempt outcome; a throwing listener is ignored, it must not fail a fetch. */
  onEvent?: (event: RequestEvent) => void;
  /** Every attempt, retries included, waits for its turn here first: stays under a known rate limit. */
  pacer?: RequestPacer;
  /** An undici Dispatcher instead of the client's own Pool, e.g. a MockAgent in unit tests or a Pool trusting a test CA; the caller then owns (and closes) it. */
  dispatcher?: Dispatcher;
  /** Jitter source in [0, 1), injectable for tests. */
  random?: () => number;
  /** Clock and timer, injectable for tests of the time budget. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const USER_AGENT = 'conveyour-collection-stream-serverless/0.1';
const MAX_EVENT_ERROR = 240;
/** A page is a few MB of JSON at most; anything that inflates past this is not a page. */
const MAX_INFLATED_BYTES = 512 * 1024 * 1024;

/** Codes of failures where the request may not have been served: worth another try. */
const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ENETUNREACH', 'ENETDOWN',
  'EHOSTUNREACH', 'EHOSTDOWN', 'EAI_AGAIN', 'ENOTFOUND',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
]);

/** Pages ConveYour collection queries. One instance per process; `close()` when done. */
export class ConveYourClient implements PageSource {
  private readonly origin: string;
  private readonly transport: HttpTransport;
  private readonly headers: Record<string, string>;
  private readonly secrets: string[];
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly onEvent: ((event: RequestEvent) => void) | undefined;
  private readonly pacer: RequestPacer | undefined;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private closed = false;

  constructor(options: ClientOptions) {
    this.origin = normalizeBaseUrl(options.baseUrl);
    this.secrets = secretsOf(options.credentials);
    this.headers = credentialHeaders(options.credentials);
    this.policy = resolveRetryPolicy(options.retry);
    this.timeoutMs = positive(options.requestTimeoutMs ?? 30_000, 'requestTimeoutMs');
    this.onEvent = options.onEvent;
    this.pacer = options.pacer;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
    this.transport = options.dispatcher
      ? dispatcherTransport(this.origin, options.dispatcher, this.timeoutMs)
      : poolTransport(this.origin, {
          connections: positive(options.connections ?? 32, 'connections'),
          keepAliveTimeoutMs: positive(options.keepAliveTimeoutMs ?? 30_000, 'keepAliveTimeoutMs'),
          timeoutMs: this.timeoutMs,
        });
  }

  /** Pages of one query on its report path (reportPath); first page by collection+window(+con_id), later pages by query_id+cursor only. */
  pages(query: QuerySpec, options: PageOptions = {}): AsyncIterable<Page> {
    if (this.closed) throw new Error('ConveYourClient is closed: create a new client to fetch more pages');
    // Built now so a bad query fails at the call, not at the first iteration.
    const paginator = new CursorPaginator(query, options.resume);
    return this.run(paginator, options.signal, options.remainingMs);
  }

  /** Closes the connections the client owns (a passed-in dispatcher stays open). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.transport.close();
  }

  private async *run(paginator: CursorPaginator, signal: AbortSignal | undefined, remainingMs: (() => number) | undefined): AsyncGenerator<Page> {
    while (!paginator.done) {
      const { path, params } = paginator.request();
      const fetched = await this.fetchWithRetries(path, params, signal, remainingMs);
      yield paginator.advance(fetched.body, fetched);
    }
  }

  private async fetchWithRetries(
    path: string,
    params: Record<string, string>,
    signal: AbortSignal | undefined,
    remainingMs?: () => number,
  ): Promise<{ body: PageBody; byteLength: number; fetchMs: number; serverTime: UnixSeconds | undefined }> {
    const started = this.now();
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      await this.pacer?.take(signal);
      const attemptStarted = this.now();
      try {
        const fetched = await this.attempt(path, params, signal);
        this.emit({ type: 'response', path, params: { ...params }, attempt, status: fetched.status, durationMs: fetched.fetchMs });
        return fetched;
      } catch (thrown) {
        // The caller's cancellation is not a ConveYour failure: pass its reason through untouched.
        if (signal?.aborted) throw signal.reason;
        const error = thrown as ConveYourError;
        const durationMs = this.now() - attemptStarted;
        const base = { path, params: { ...params }, attempt, durationMs, ...statusOf(error), error: describe(error), code: error.code };
        if (!error.retriable) {
          this.emit({ type: 'failure', ...base });
          throw error;
        }
        const elapsedMs = this.now() - started;
        const retryAfterMs = error instanceof RetriableStatusError ? error.retryAfterMs : undefined;
        const decision = decideRetry({ attempt, elapsedMs, retryAfterMs, policy: this.policy, random: this.random, ...(remainingMs ? { deadlineMs: remainingMs() } : {}) });
        if (!decision.retry) {
          this.emit({ type: 'failure', ...base });
          // Not worth waiting into the caller's deadline: it saves what it has and continues later.
          if (decision.deadline) throw new DeadlineError(`ConveYour asked for a retry, but ${decision.reason}. Last error: ${error.message}`, { cause: error });
          throw new RetriesExhaustedError(
            attempt,
            elapsedMs,
            `ConveYour kept failing; gave up after ${attempt} attempt(s) in ${(elapsedMs / 1000).toFixed(1)} s because ${decision.reason}. Last error: ${error.message} Try again later; if it persists, check ConveYour's status or raise the retry limits.`,
            { cause: error },
          );
        }
        this.emit({ type: 'retry', ...base, delayMs: decision.delayMs });
        await this.sleep(decision.delayMs, signal);
      }
    }
  }

  /** One request; resolves only with a fully read, validated page body; throws a ConveYourError otherwise. */
  private async attempt(
    path: string,
    params: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<{ body: PageBody; status: number; byteLength: number; fetchMs: number; serverTime: UnixSeconds | undefined }> {
    const started = this.now();
    // One controller per attempt covers the headers AND the whole body: undici's headersTimeout
    // and bodyTimeout only bound the gaps between bytes, so a slow drip could run forever.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.timeoutMs);
    const forwardAbort = () => deadline.abort();
    signal?.addEventListener('abort', forwardAbort, { once: true });
    try {
      const response = await this.transport.get(`${path}?${new URLSearchParams(params).toString()}`, this.headers, deadline.signal);
      const bytes = await decodedBody(response);
      const body = classifyResponse({ status: response.status, headers: response.headers, body: bytes.toString('utf8') }, { nowMs: this.now(), secrets: this.secrets });
      return { body, status: response.status, byteLength: bytes.length, fetchMs: this.now() - started, serverTime: parseHttpDate(response.headers.date) };
    } catch (thrown) {
      if (thrown instanceof ConveYourError || signal?.aborted) throw thrown;
      if (deadline.signal.aborted) {
        throw new NetworkError(`ConveYour sent no complete response within ${this.timeoutMs} ms (requestTimeoutMs); the request is retried.`);
      }
      throw this.transportError(thrown);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', forwardAbort);
    }
  }

  private transportError(thrown: unknown): ConveYourError {
    const cause = sanitizedCause(thrown, this.secrets);
    const code = codeOf(thrown);
    const summary = `${code ?? cause.name}: ${cause.message}`;
    if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === TRUNCATED_BODY) {
      return new MalformedResponseError(`ConveYour sent a truncated body (${summary}); the request is retried.`, { cause });
    }
    if (code !== undefined && NETWORK_CODES.has(code)) {
      return new NetworkError(`Could not talk to ConveYour at ${this.origin} (${summary}); the request is retried.`, { cause });
    }
    return new ConveYourError(`The request to ConveYour at ${this.origin} failed (${summary}).`, { cause });
  }

  private emit(event: RequestEvent): void {
    try {
      this.onEvent?.(event);
    } catch {
      // A broken logger must not turn a good page into a failure.
    }
  }
}

function credentialHeaders(credentials: Credentials): Record<string, string> {
  for (const field of ['appkey', 'token'] as const) {
    const value = credentials?.[field];
    const variable = field === 'appkey' ? 'CONVEYOUR_APPKEY' : 'CONVEYOUR_TOKEN';
    if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`credentials.${field} is required (${variable})`);
    // Checked here because an HTTP library's own error may quote the value (undici's does).
    if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) throw new TypeError(`credentials.${field} contains characters not allowed in an HTTP header (${variable})`);
  }
  return {
    'x-conveyour-appkey': credentials.appkey,
    'x-conveyour-token': credentials.token,
    accept: 'application/json',
    // JSON pages shrink 5-10x: less time on the wire per page, which is most of a cursor's pace.
    'accept-encoding': 'gzip',
    'user-agent': USER_AGENT,
  };
}

/** The body as the server meant it: gunzipped when it says Content-Encoding: gzip. */
async function decodedBody(response: HttpResponse): Promise<Buffer> {
  const encoding = String(response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '' || response.body.length === 0) return response.body;
  if (encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new MalformedResponseError(`ConveYour sent a body in content-encoding '${encoding}', which was not asked for (only gzip is); the request is retried.`);
  }
  try {
    return await new Promise<Buffer>((resolve, reject) => gunzip(response.body, { maxOutputLength: MAX_INFLATED_BYTES }, (error, inflated) => (error ? reject(error) : resolve(inflated))));
  } catch (error) {
    throw new MalformedResponseError(`ConveYour sent a gzip body of ${response.body.length} bytes that does not decompress (${(error as Error).message}); the request is retried.`);
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a number > 0, got ${String(value)}`);
  return value;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause === undefined ? undefined : codeOf(cause);
}

function statusOf(error: unknown): { status?: number } {
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' && status > 0 ? { status } : {};
}

function describe(error: ConveYourError): string {
  const text = `${error.code}: ${error.message}`;
  return text.length > MAX_EVENT_ERROR ? `${text.slice(0, MAX_EVENT_ERROR - 1)}…` : text;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
