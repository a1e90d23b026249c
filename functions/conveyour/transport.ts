/**
 * The HTTP under the ConveYour client: one GET, answered with its status, headers and whole
 * body. The default rides Node's own http/https with a keep-alive agent, so the Lambda bundle
 * carries no HTTP library (undici's Pool was 46% of each function's asset). Any undici
 * Dispatcher (a MockAgent in unit tests) can stand in for it.
 *
 * A body cut short is reported as an error with code ERR_CONVEYOUR_TRUNCATED_BODY, whatever
 * carried it (a closed socket under a Content-Length, or a chunked body without its end).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Dispatcher } from 'undici';

export interface HttpResponse {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
}

export interface HttpTransport {
  /** Resolves once the whole body is in; rejects with the socket's error (with its `code`) otherwise. */
  get(path: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<HttpResponse>;
  close(): Promise<void>;
}

export const TRUNCATED_BODY = 'ERR_CONVEYOUR_TRUNCATED_BODY';

export interface NodeTransportOptions {
  /** Sockets kept per origin; requests beyond wait for one. */
  connections: number;
  /** An idle keep-alive socket is closed after this long. */
  keepAliveTimeoutMs: number;
}

/** Keep-alive GETs over node:http / node:https (TLS verification as Node does it: always on). */
export function nodeHttpTransport(origin: string, options: NodeTransportOptions): HttpTransport {
  const url = new URL(origin);
  const secure = url.protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: options.connections, maxFreeSockets: options.connections, timeout: options.keepAliveTimeoutMs };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const send = secure ? httpsRequest : httpRequest;
  return {
    get(path, headers, signal) {
      return new Promise<HttpResponse>((resolve, reject) => {
        const request = send({ protocol: url.protocol, hostname: url.hostname, port: url.port, path, method: 'GET', headers, agent, signal });
        request.once('error', reject);
        request.once('response', (response) => {
          const chunks: Buffer[] = [];
          let received = 0;
          response.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            received += chunk.length;
          });
          response.once('error', (error) => reject(response.complete ? error : truncated(error, received, response.headers)));
          response.once('aborted', () => reject(truncated(undefined, received, response.headers)));
          response.once('end', () => {
            if (!response.complete) return reject(truncated(undefined, received, response.headers));
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received) });
          });
        });
        request.end();
      });
    },
    async close() {
      agent.destroy();
    },
  };
}

function truncated(cause: Error | undefined, received: number, headers: IncomingHttpHeaders): Error {
  const expected = headers['content-length'] === undefined ? 'a chunked body without its end' : `${headers['content-length']} bytes announced`;
  return Object.assign(new Error(`the connection closed after ${received} bytes of the body (${expected})`, cause ? { cause } : {}), { code: TRUNCATED_BODY });
}

/** Any undici Dispatcher as the transport; the caller owns (and closes) it. */
export function dispatcherTransport(origin: string, dispatcher: Dispatcher, timeoutMs: number): HttpTransport {
  return {
    async get(path, headers, signal) {
      const response = await dispatcher.request({ origin, path, method: 'GET', headers: { ...headers }, signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      return { status: response.statusCode, headers: response.headers, body: Buffer.from(await response.body.arrayBuffer()) };
    },
    async close() {},
  };
}
