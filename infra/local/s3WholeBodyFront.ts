/**
 * A front for s3rver that hands it only whole request bodies. s3rver streams a PUT body
 * straight into the object's file, so a client that aborts mid-body (a write deadline) leaves
 * a truncated object behind; S3 never stores an incomplete PUT. The front reads each body to
 * its end (Content-Length, or the last chunk of a chunked upload, aws-chunked included: its
 * framing travels inside that length) and forwards it only then; a body cut short is dropped
 * with its connection, as S3 drops it. Costs one in-memory copy and one loopback hop per request.
 */
import { Agent, request, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';

export interface Upstream {
  host: string;
  port: number;
}

/** Methods that carry a body s3rver would store (PUT object or part, POST completing an upload). */
const STORING = new Set(['PUT', 'POST']);

/** A listener that forwards every request to `upstream`, each storing one only once its body is whole. */
export function wholeBodyFront(upstream: Upstream): { listener: RequestListener; close(): void } {
  // Keep-alive on the loopback hop: a new connection per request would add a handshake to each.
  const agent = new Agent({ keepAlive: true, keepAliveMsecs: 1_000 });
  const forward = (req: IncomingMessage, res: ServerResponse, body?: Buffer) => {
    const out = request({ ...upstream, agent, method: req.method, path: req.url, headers: req.headers }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.statusMessage, reply.headers);
      pipeline(reply, res, () => {});
    });
    out.on('error', () => res.destroy());
    if (body === undefined) pipeline(req, out, () => {});
    else out.end(body);
  };
  const listener: RequestListener = (req, res) => {
    if (!STORING.has(req.method ?? '')) return forward(req, res);
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
    });
    // 'end' comes only after the whole body; an aborted one ends in 'error' or 'close' instead.
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const declared = req.headers['content-length'];
      if (declared !== undefined && Number(declared) !== received) return incompleteBody(res, Number(declared), received);
      forward(req, res, Buffer.concat(chunks, received));
    });
  };
  return { listener, close: () => agent.destroy() };
}

function incompleteBody(res: ServerResponse, declared: number, received: number): void {
  res.writeHead(400, { 'content-type': 'application/xml' });
  res.end(
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>IncompleteBody</Code>' +
      `<Message>You did not provide the number of bytes specified by the Content-Length HTTP header (${declared}); got ${received}.</Message></Error>`,
  );
}
