/**
 * An HTTP fault proxy in front of one local AWS emulator (s3rver, dynalite, local-aws-sqs),
 * in-process on loopback. The SDK clients point at it through `createAwsClients`' endpoints,
 * so faults travel the real protocol and the SDK's own retry and error classification meet
 * them exactly as they would meet the service's.
 *
 * For each request a `decide` callback picks one action:
 * - `pass`: forward, return the emulator's answer;
 * - `answer`: do not forward; answer with the service's real error shape (see the builders
 *   below: S3 `503 SlowDown` XML, DynamoDB JSON throttling, SQS JSON errors) or a forged
 *   success (an SQS SendMessage that is acknowledged and never queued: a lost message);
 * - `drop-response`: forward, let the emulator apply it, then reset the client's connection
 *   before it sees the answer (a PUT that reached the server while the client saw a failure);
 * - `rewrite`: forward, then alter the answer (an SQS delivery duplicated into a later receive).
 *
 *   const proxy = await startFaultProxy({ service: 'dynamodb', target: emulators.endpoints.dynamodb, decide });
 *   createAwsClients({ ..., endpoints: { dynamodb: proxy.url } });
 *
 * Requests keep their Host header, so SigV4 signatures made for the proxy's address still verify.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ProxiedService = 's3' | 'dynamodb' | 'sqs' | 'secretsmanager';

export interface ProxiedRequest {
  service: ProxiedService;
  /** `PutItem`, `SendMessage`, `PutObject`, ... */
  operation: string;
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ProxiedResponse {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

export type FaultAction =
  | { kind: 'pass' }
  | { kind: 'answer'; fault: string; response: ProxiedResponse }
  | { kind: 'drop-response'; fault: string }
  | { kind: 'rewrite'; fault: string; rewrite: (response: ProxiedResponse) => ProxiedResponse };

export const PASS: FaultAction = { kind: 'pass' };

export interface FaultProxyOptions {
  service: ProxiedService;
  /** The emulator's base URL, e.g. `http://127.0.0.1:4569`. */
  target: string;
  decide?: (request: ProxiedRequest) => FaultAction;
  /** Sees every answer the emulator gave (forwarded requests only), before the client does, if it does. */
  observe?: (request: ProxiedRequest, response: ProxiedResponse) => void;
}

export interface FaultProxy {
  url: string;
  service: ProxiedService;
  /** Replaces the decision function (e.g. to heal the network). */
  setDecide(decide: ((request: ProxiedRequest) => FaultAction) | undefined): void;
  /** Faults applied, by the name the action gave. */
  readonly faults: Readonly<Record<string, number>>;
  /** Requests received. */
  readonly requests: number;
  close(): Promise<void>;
}

/** Hop-by-hop headers and those that no longer describe a buffered, re-sent message. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'expect', 'te', 'trailer']);

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let decide = options.decide;
  let requests = 0;
  const faults: Record<string, number> = {};
  const count = (fault: string) => (faults[fault] = (faults[fault] ?? 0) + 1);

  const forward = (request: ProxiedRequest): Promise<ProxiedResponse> =>
    new Promise((resolve, reject) => {
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, method: request.method, path: request.path, headers: forwardable(request.headers, request.body.length), agent },
        (response) => {
          readAll(response).then((body) => resolve({ status: response.statusCode ?? 502, headers: forwardable(response.headers, body.length), body }), reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(request.body);
    });

  const server = createServer((req, res) => {
    requests += 1;
    void (async () => {
      const body = await readAll(req);
      const proxied: ProxiedRequest = {
        service: options.service,
        operation: operationOf(options.service, req.method ?? 'GET', req.url ?? '/', req.headers),
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body,
      };
      const action = decide?.(proxied) ?? PASS;
      if (action.kind === 'answer') {
        count(action.fault);
        return send(res, action.response);
      }
      const answer = await forward(proxied);
      options.observe?.(proxied, answer);
      if (action.kind === 'drop-response') {
        count(action.fault);
        // The emulator applied the request; the client sees its connection reset and retries.
        req.socket.resetAndDestroy?.() ?? req.socket.destroy();
        return;
      }
      if (action.kind === 'rewrite') {
        const rewritten = action.rewrite(answer);
        // Counted only when it changed something: a rewrite may find nothing to do.
        if (!rewritten.body.equals(answer.body)) count(action.fault);
        return send(res, rewritten);
      }
      send(res, answer);
    })().catch((error: unknown) => {
      // The emulator is gone (closing) or broke: answer like a failing front end would.
      if (!res.headersSent) send(res, { status: 502, headers: { 'content-type': 'text/plain' }, body: Buffer.from(`fault proxy: ${(error as Error).message}`) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    service: options.service,
    setDecide(next) {
      decide = next;
    },
    get faults() {
      return faults;
    },
    get requests() {
      return requests;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      agent.destroy();
    },
  };
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function forwardable(headers: IncomingHttpHeaders, length: number): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !NOT_FORWARDED.has(name)) out[name] = value;
  out['content-length'] = length;
  return out;
}

function send(res: import('node:http').ServerResponse, response: ProxiedResponse): void {
  res.writeHead(response.status, { ...response.headers, 'content-length': response.body.length });
  res.end(response.body);
}

/** The API operation a request calls: from X-Amz-Target for the JSON protocols, from method and path for S3. */
export function operationOf(service: ProxiedService, method: string, path: string, headers: IncomingHttpHeaders): string {
  if (service !== 's3') {
    const target = String(headers['x-amz-target'] ?? '');
    return target.slice(target.lastIndexOf('.') + 1) || 'Unknown';
  }
  const url = new URL(path, 'http://s3.invalid');
  const segments = url.pathname.split('/').filter(Boolean);
  const onObject = segments.length > 1;
  switch (method) {
    case 'PUT':
      return onObject ? 'PutObject' : 'CreateBucket';
    case 'GET':
      return onObject ? 'GetObject' : url.searchParams.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
    case 'HEAD':
      return onObject ? 'HeadObject' : 'HeadBucket';
    case 'DELETE':
      return onObject ? 'DeleteObject' : 'DeleteBucket';
    default:
      return `${method}`;
  }
}

// --- The services' real error shapes -------------------------------------------------------

const JSON_1_0 = 'application/x-amz-json-1.0';

/**
 * S3's REST error document, e.g. `503 SlowDown` ("Please reduce your request rate.") or
 * `500 InternalError`. The SDK reads `Code` from the XML; SlowDown is a throttling code.
 */
export function s3Error(status: 503 | 500, code: 'SlowDown' | 'InternalError'): ProxiedResponse {
  const message = code === 'SlowDown' ? 'Please reduce your request rate.' : 'We encountered an internal error. Please try again.';
  const requestId = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId><HostId>${Buffer.from(requestId).toString('base64')}</HostId></Error>`;
  return { status, headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId, 'x-amz-id-2': Buffer.from(requestId).toString('base64') }, body: Buffer.from(body) };
}

/** DynamoDB's JSON error (awsJson1_0): HTTP 400 with `__type` naming the exception, both throttling codes to the SDK. */
export function dynamoThrottle(type: 'ProvisionedThroughputExceededException' | 'ThrottlingException'): ProxiedResponse {
  const message =
    type === 'ProvisionedThroughputExceededException'
      ? 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.'
      : 'Rate of requests exceeds the allowed throughput.';
  return {
    status: 400,
    headers: { 'content-type': JSON_1_0, 'x-amzn-requestid': randomUUID() },
    body: Buffer.from(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message })),
  };
}

/**
 * SQS's JSON error: `__type` in the body and, because the SQS client is query-compatible, the
 * legacy code in `x-amzn-query-error` ("code;Sender|Receiver"). RequestThrottled is HTTP 403 in
 * the SQS model and a throttling code to the SDK; InternalError is a 500.
 */
export function sqsError(code: 'RequestThrottled' | 'InternalError'): ProxiedResponse {
  const [status, fault, type, message] =
    code === 'RequestThrottled'
      ? [403, 'Sender', 'com.amazonaws.sqs#RequestThrottled', 'Request is throttled.']
      : [500, 'Receiver', 'com.amazonaws.sqs#InternalError', 'We encountered an internal error. Please try again.'];
  return {
    status,
    headers: { 'content-type': JSON_1_0, 'x-amzn-requestid': randomUUID(), 'x-amzn-query-error': `${code};${fault}` },
    body: Buffer.from(JSON.stringify({ __type: type, message })),
  };
}

/** A SendMessage success that queues nothing: the MD5 the SDK checks is right, the message is gone. */
export function sqsForgedSend(request: ProxiedRequest): ProxiedResponse {
  const { MessageBody } = JSON.parse(request.body.toString('utf8')) as { MessageBody: string };
  return {
    status: 200,
    headers: { 'content-type': JSON_1_0, 'x-amzn-requestid': randomUUID() },
    body: Buffer.from(JSON.stringify({ MD5OfMessageBody: createHash('md5').update(MessageBody, 'utf8').digest('hex'), MessageId: randomUUID() })),
  };
}

/** Secrets Manager's JSON error (awsJson1_1) when IAM does not let the caller read the secret: not retried by the SDK. */
export function secretsAccessDenied(secretId: string): ProxiedResponse {
  return {
    status: 400,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
    body: Buffer.from(
      JSON.stringify({
        __type: 'AccessDeniedException',
        Message: `User: arn:aws:sts::000000000000:assumed-role/chaos-tick/chaos is not authorized to perform: secretsmanager:GetSecretValue on resource: ${secretId} because no identity-based policy allows the secretsmanager:GetSecretValue action`,
      }),
    ),
  };
}

/** An SQS message as ReceiveMessage returns it (JSON protocol). */
export interface WireMessage {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  Attributes?: Record<string, string>;
}

/** Reads and rewrites the Messages of a ReceiveMessage answer. */
export function rewriteMessages(response: ProxiedResponse, change: (messages: WireMessage[]) => WireMessage[]): ProxiedResponse {
  if (response.status !== 200) return response;
  const parsed = JSON.parse(response.body.toString('utf8') || '{}') as { Messages?: WireMessage[] };
  const messages = change(parsed.Messages ?? []);
  const body = Buffer.from(JSON.stringify({ ...parsed, Messages: messages }));
  return { ...response, headers: { ...response.headers, 'content-length': body.length }, body };
}
