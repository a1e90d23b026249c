/**
 * The client's own HTTP (its keep-alive undici Pool) against a scripted local server:
 * gzip bodies, bodies cut short, connection reuse and close(). The simulator never compresses
 * and cuts bodies only one way, so these shapes are served here by hand.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConveYourClient, type RequestEvent } from '../../functions/conveyour/client.js';
import { MalformedResponseError, RetriesExhaustedError } from '../../functions/conveyour/errors.js';
import type { ConveYourRecord } from '../../functions/conveyour/types.js';
import { collect } from './client-fixtures.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const WINDOW = { start: 1_700_000_000, end: 1_700_003_600 };
const CREDENTIALS = { appkey: 'appkey-1', token: 'token-1' };

let server: Server;
let url: string;
let handlers: Handler[];
let requests: IncomingMessage[];
let sockets: Set<Socket>;
let client: ConveYourClient | undefined;
let events: RequestEvent[];

beforeEach(async () => {
  handlers = [];
  requests = [];
  sockets = new Set();
  events = [];
  server = createServer((request, response) => {
    requests.push(request);
    const handler = handlers.shift();
    if (!handler) throw new Error('the test scripted fewer answers than the client asked for');
    handler(request, response);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await client?.close();
  client = undefined;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function makeClient(): ConveYourClient {
  client = new ConveYourClient({
    baseUrl: url,
    credentials: CREDENTIALS,
    keepAliveTimeoutMs: 1_000,
    requestTimeoutMs: 2_000,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, maxElapsedMs: 5_000 },
    onEvent: (event) => events.push(event),
  });
  return client;
}

function records(...ids: string[]): ConveYourRecord[] {
  return ids.map((_id) => ({ _id, updated_at: 1_700_000_100, d: { name: 'Zoë Łukasz 山田' } }));
}

function pageJson(results: ConveYourRecord[], nextCursor?: string): string {
  return JSON.stringify({ data: { data: { results, query_id: 'q1', pagination: nextCursor ? { next_cursor: nextCursor } : {} } } });
}

const plain = (body: string): Handler => (_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' }).end(body);
};
const gzipped = (body: string): Handler => (_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(body));
};

describe('ConveYourClient over its undici Pool', () => {
  it('asks for gzip and reads a gzip page as the JSON it holds, counting its inflated bytes', async () => {
    const body = pageJson(records('a', 'b'));
    handlers.push(gzipped(body));

    const pages = await collect(makeClient().pages({ collection: 'events', window: WINDOW }));

    expect(requests[0]?.headers['accept-encoding']).toBe('gzip');
    expect(pages[0]?.records).toEqual(records('a', 'b'));
    expect(pages[0]?.byteLength).toBe(Buffer.byteLength(body));
  });

  it('still reads a server that ignores accept-encoding and answers plain JSON', async () => {
    handlers.push(plain(pageJson(records('a'))));
    const pages = await collect(makeClient().pages({ collection: 'events', window: WINDOW }));
    expect(pages[0]?.records.map((record) => record._id)).toEqual(['a']);
  });

  it('retries a body cut short under its Content-Length as a malformed response, then uses the whole page', async () => {
    const body = pageJson(records('a', 'b', 'c'));
    handlers.push((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
      response.write(body.slice(0, 20), () => response.socket?.destroy());
    });
    handlers.push(plain(body));

    const pages = await collect(makeClient().pages({ collection: 'events', window: WINDOW }));

    expect(pages[0]?.records.map((record) => record._id)).toEqual(['a', 'b', 'c']);
    expect(events.filter((event) => event.type === 'retry').map((event) => event.error)).toEqual([expect.stringMatching(/^CONVEYOUR_MALFORMED_RESPONSE: .*truncated body/)]);
  });

  it('retries a gzip body that does not inflate, and gives up with a MalformedResponseError if it persists', async () => {
    const corrupt: Handler = (_request, response) => {
      response.writeHead(200, { 'content-encoding': 'gzip' }).end(Buffer.from('not gzip at all'));
    };
    handlers.push(corrupt, corrupt, corrupt);

    const error = await collect(makeClient().pages({ collection: 'events', window: WINDOW })).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).cause).toBeInstanceOf(MalformedResponseError);
    expect(String((error as RetriesExhaustedError).cause)).toMatch(/does not decompress/);
  });

  it('refuses an encoding it did not ask for', async () => {
    const brotli: Handler = (_request, response) => {
      response.writeHead(200, { 'content-encoding': 'br' }).end(Buffer.from([1, 2, 3]));
    };
    handlers.push(brotli, brotli, brotli);
    const error = await collect(makeClient().pages({ collection: 'events', window: WINDOW })).catch((thrown: unknown) => thrown);
    expect(String((error as RetriesExhaustedError).cause)).toMatch(/content-encoding 'br', which was not asked for/);
  });

  it('pages a query over kept-alive connections', async () => {
    handlers.push(plain(pageJson(records('a'), 'c1')), plain(pageJson(records('b'), 'c2')), plain(pageJson(records('c'))), plain(pageJson(records('d'), 'c3')), plain(pageJson(records('e'))));
    const remotePorts = new Set<number>();
    server.on('request', (request: IncomingMessage) => remotePorts.add(request.socket.remotePort ?? -1));

    const pages = await collect(makeClient().pages({ collection: 'events', window: WINDOW }));

    expect(pages).toHaveLength(3);
    // undici's Pool frees a connection on its 'drain', a tick after the body ends, so the
    // second page may open a second connection; after that, pages reuse them.
    expect(remotePorts.size).toBeLessThanOrEqual(2);
    await collect(client!.pages({ collection: 'events', window: WINDOW }));
    expect(remotePorts.size).toBeLessThanOrEqual(2);
  });

  it('closes its idle connections on close()', async () => {
    handlers.push(plain(pageJson(records('a'))));
    await collect(makeClient().pages({ collection: 'events', window: WINDOW }));
    expect(sockets.size).toBe(1);

    await client!.close();

    await expect.poll(() => sockets.size).toBe(0);
  });
});
