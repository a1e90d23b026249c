/**
 * The HTTP side: one node:http server on loopback. Per request: count it, maybe inject a
 * fault, apply the rate limit, answer through the API, optionally after a latency delay.
 * close() destroys every socket at once (hung requests and keep-alive connections
 * included) and cancels pending timers, so tests never wait on the simulator.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isReportPath, type CollectionStreamApi } from './api.js';
import { errorBody } from './apiError.js';
import { respondWithFault } from './faultResponses.js';
import type { FaultPlanner } from './faults.js';
import type { TokenBucket } from './rateLimit.js';
import type { StatsRecorder } from './stats.js';

/** An HTTP Date (IMF-fixdate, RFC 9110): whole seconds, as a real server sends it. */
export function httpDate(epochMs: number): string {
  return new Date(epochMs).toUTCString();
}

export interface ServerDependencies {
  api: CollectionStreamApi;
  stats: StatsRecorder;
  /** The server's clock: the Date header, the rate limit. */
  now: () => number;
  /** The current fault plan (it can change at run time). */
  faults: () => FaultPlanner | undefined;
  bucket: TokenBucket | undefined;
  /** Milliseconds to wait before the next answer. */
  latency: () => number;
  /** Sees every request as it arrives (the request log), before faults and rate limits. */
  onRequest?: (method: string, url: URL) => void;
}

export class SimulatorServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: ServerDependencies) {
    this.server = createServer((request, response) => this.handle(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections();
    await closed;
  }

  private schedule(callback: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      callback();
    }, ms);
    this.timers.add(timer);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const { stats, now } = this.deps;
    stats.requests++;
    request.resume();
    // Every answer, faults included, carries the server's own time; send() restamps at write time.
    response.setHeader('date', httpDate(now()));
    const url = new URL(request.url ?? '/', 'http://simulator.invalid');
    const method = request.method ?? 'GET';
    const isReport = isReportPath(url.pathname);
    this.deps.onRequest?.(method, url);
    const plan = isReport ? this.deps.faults() : undefined;
    const fault = plan?.decide({ isNextPage: url.searchParams.has('query_id') });
    if (plan !== undefined && fault !== undefined) {
      stats.faults[fault.kind]++;
      respondWithFault(fault, {
        request,
        response,
        retryAfterSeconds: plan.retryAfterSeconds,
        hangMs: plan.config.hangMs,
        wouldHaveAnswered: () => this.deps.api.answer(method, url, request.headers, { dryRun: true }),
        schedule: (callback, ms) => this.schedule(callback, ms),
        responded: (status) => stats.responded(status),
      });
      return;
    }
    const retryAfter = isReport ? this.deps.bucket?.take(now()) : undefined;
    if (retryAfter !== undefined) {
      stats.rateLimited++;
      this.send(response, 429, { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(retryAfter) },
        Buffer.from(errorBody('rate_limited', `rate limit exceeded: retry after ${retryAfter} s`)));
      return;
    }
    let answer;
    try {
      answer = this.deps.api.answer(method, url, request.headers, { dryRun: false });
      answer.commit();
    } catch (error) {
      this.send(response, 500, { 'content-type': 'application/json; charset=utf-8' },
        Buffer.from(errorBody('server_error', `simulator failure: ${error instanceof Error ? error.message : String(error)}`)));
      return;
    }
    this.send(response, answer.status, answer.headers, answer.body);
  }

  private send(response: ServerResponse, status: number, headers: Record<string, string>, body: Buffer): void {
    const write = (): void => {
      if (response.destroyed) return;
      this.deps.stats.responded(status);
      response.writeHead(status, { ...headers, date: httpDate(this.deps.now()), 'content-length': body.length });
      response.end(body);
    };
    const delay = this.deps.latency();
    if (delay > 0) this.schedule(write, delay);
    else write();
  }
}
