/**
 * How each fault looks on the wire. Variants alternate by occurrence so one run shows
 * clients both: truncate cuts a body under a full Content-Length then drops the
 * connection (odd occurrences), or ends a chunked response cleanly with cut-off JSON
 * (even); nonjson is a proxy's HTML page with 200 (odd) or 502 (even).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from './apiError.js';
import type { FaultDecision } from './faults.js';

const JSON_TYPE = 'application/json; charset=utf-8';

const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
const HTML_200 =
  '<!DOCTYPE html><html><head><title>Scheduled maintenance</title></head><body><h1>We&rsquo;ll be right back</h1><p>ConveYour is being updated. Please try again in a few minutes.</p></body></html>';

export interface FaultContext {
  request: IncomingMessage;
  response: ServerResponse;
  retryAfterSeconds: number;
  hangMs: number | undefined;
  /** The answer the request would have got, rendered without side effects (for truncate). */
  wouldHaveAnswered: () => { status: number; headers: Record<string, string>; body: Buffer };
  /** Registers a timer so close() can cancel it. */
  schedule: (callback: () => void, ms: number) => void;
  /** Counts an answer by status. */
  responded: (status: number) => void;
}

function sendJson(context: FaultContext, status: number, code: Parameters<typeof errorBody>[0], message: string, extra: Record<string, string> = {}): void {
  const body = errorBody(code, message);
  context.responded(status);
  context.response.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body), ...extra });
  context.response.end(body);
}

function truncate(context: FaultContext, occurrence: number): void {
  const answer = context.wouldHaveAnswered();
  const full = answer.body;
  const cut = full.subarray(0, Math.max(1, Math.floor(full.length / 2)));
  const { response } = context;
  context.responded(answer.status);
  if (occurrence % 2 === 1) {
    response.writeHead(answer.status, { ...answer.headers, 'content-length': full.length });
    response.write(cut, () => response.socket?.destroy());
  } else {
    // No Content-Length: chunked, so the response ends cleanly and only the JSON is broken.
    response.writeHead(answer.status, answer.headers);
    response.end(cut);
  }
}

/**
 * A cursor that does not move: the page the request would have got, but pointing back at the
 * request's own cursor (freeze), or emptied while still claiming more (stall). A client that
 * follows either loops forever; one that stops on the empty page reports a false "complete".
 */
function stuckCursor(context: FaultContext, empty: boolean): void {
  const answer = context.wouldHaveAnswered();
  const cursor = new URL(context.request.url ?? '/', 'http://simulator.invalid').searchParams.get('cursor');
  if (answer.status !== 200 || cursor === null) {
    context.responded(answer.status);
    context.response.writeHead(answer.status, { ...answer.headers, 'content-length': answer.body.length });
    context.response.end(answer.body);
    return;
  }
  const page = JSON.parse(answer.body.toString('utf8')) as { data: { data: { results: unknown[]; query_id: string; pagination: Record<string, unknown> } } };
  const inner = page.data.data;
  if (empty) inner.results = [];
  inner.pagination = { ...inner.pagination, next_cursor: cursor };
  const body = JSON.stringify(page);
  context.responded(200);
  context.response.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) });
  context.response.end(body);
}

/** Answers (or deliberately does not answer) a faulted request. */
export function respondWithFault(fault: FaultDecision, context: FaultContext): void {
  const { response, request } = context;
  switch (fault.kind) {
    case '429':
      return sendJson(context, 429, 'rate_limited', 'too many requests: retry after the Retry-After delay', { 'retry-after': String(context.retryAfterSeconds) });
    case '500':
    case '502':
    case '503':
      return sendJson(context, Number(fault.kind), 'server_error', `simulated server error (HTTP ${fault.kind}): retry later`);
    case 'expire':
      return sendJson(context, 410, 'cursor_expired', 'the cursor expired (simulated): open a new query from the window\'s start');
    case 'badcreds':
      return sendJson(context, 401, 'invalid_credentials', 'invalid credentials: send a valid x-conveyour-appkey and x-conveyour-token');
    case 'nonjson': {
      const status = fault.occurrence % 2 === 1 ? 200 : 502;
      const body = status === 200 ? HTML_200 : HTML_502;
      context.responded(status);
      response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      response.end(body);
      return;
    }
    case 'truncate':
      return truncate(context, fault.occurrence);
    case 'reset': {
      const socket = request.socket;
      // A TCP RST where the platform offers it; a plain close otherwise.
      if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket.destroy();
      return;
    }
    case 'freeze':
    case 'stall':
      return stuckCursor(context, fault.kind === 'stall');
    case 'hang':
      // Never answer. The client's timeout, hangMs or close() ends the connection.
      if (context.hangMs !== undefined) context.schedule(() => request.socket.destroy(), context.hangMs);
      return;
  }
}
