/**
 * A pass-through HTTP proxy in front of one ConveYour simulator that can make ConveYour go dark:
 * during a blackout every request is held, unanswered, until the blackout ends (then forwarded,
 * its answer late) or until the client gives up. A blackout outlasts the function timeout, so
 * every invocation running through it has a request hanging when its deadline comes: only the
 * pipeline's deadline signals end those requests in time (the per-attempt timeout just starts
 * another attempt that hangs too, and the retry budget is longer than the invocation).
 *
 * Everything else is forwarded as it comes, the simulator's own faults included: a reset or a
 * truncated body upstream becomes a destroyed connection here, so the client meets the same.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ConveYourProxy {
  url: string;
  /** ConveYour answers nothing until `untilMs` (wall clock). */
  blackout(untilMs: number): void;
  /** Ends any blackout now (the run settles). */
  heal(): void;
  readonly stats: { blackouts: number; held: number; abandonedWhileHeld: number; answeredLate: number };
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export async function startConveYourProxy(target: string): Promise<ConveYourProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const sockets = new Set<Socket>();
  /** Held requests: each one's release (forward it now). */
  const held = new Map<NodeJS.Timeout, () => void>();
  let darkUntilMs = 0;
  const stats = { blackouts: 0, held: 0, abandonedWhileHeld: 0, answeredLate: 0 };

  const forward = (req: IncomingMessage, res: ServerResponse, late: boolean): void => {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    const outgoing = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent }, (answer) => {
      if (late) stats.answeredLate += 1;
      const out: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      res.writeHead(answer.statusCode ?? 502, out);
      answer.on('data', (chunk: Buffer) => res.write(chunk));
      answer.on('end', () => (answer.complete ? res.end() : res.destroy()));
      answer.on('aborted', () => res.destroy());
      answer.on('error', () => res.destroy());
    });
    // The simulator reset the connection (or is closing): the client sees its connection reset.
    outgoing.on('error', () => (req.socket.resetAndDestroy?.() ?? req.socket.destroy()));
    // The client gave up (its deadline, its attempt timeout): nobody waits for the answer any more.
    res.on('close', () => {
      if (!res.writableFinished) outgoing.destroy();
    });
    req.pipe(outgoing);
  };

  const server = createServer((req, res) => {
    const waitMs = darkUntilMs - Date.now();
    if (waitMs <= 0) return forward(req, res, false);
    stats.held += 1;
    const release = () => {
      clearTimeout(timer);
      held.delete(timer);
      forward(req, res, true);
    };
    const timer = setTimeout(release, waitMs);
    held.set(timer, release);
    res.on('close', () => {
      if (!held.has(timer)) return;
      stats.abandonedWhileHeld += 1;
      clearTimeout(timer);
      held.delete(timer);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    blackout(untilMs) {
      if (untilMs <= darkUntilMs) return;
      if (darkUntilMs <= Date.now()) stats.blackouts += 1;
      darkUntilMs = untilMs;
    },
    heal() {
      darkUntilMs = 0;
      for (const release of [...held.values()]) release();
    },
    stats,
    async close() {
      for (const timer of held.keys()) clearTimeout(timer);
      held.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await closed;
      agent.destroy();
    },
  };
}
