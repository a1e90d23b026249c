/**
 * The chaos run's AWS faults, decided per request for the three fault proxies, and what the
 * proxies saw land: every checkpoint write DynamoDB applied (the ground truth for "the
 * checkpoint never moves backwards", including writes whose answer the client never got) and
 * every S3 PUT (to count rewrites of a key and check each held the same bytes).
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { PASS, type FaultAction, dynamoThrottle, rewriteMessages, s3Error, sqsError, sqsForgedSend, type ProxiedRequest, type ProxiedResponse, type ProxiedService, type WireMessage } from '../support/faultProxy.js';
import { Tally, drawOf, pickByRate } from './seeded.js';

export const AWS_FAULT_KINDS = [
  's3 503 SlowDown',
  's3 500 InternalError',
  's3 PUT applied, answer lost',
  'dynamodb ProvisionedThroughputExceededException',
  'dynamodb ThrottlingException',
  'dynamodb PutItem applied, answer lost',
  'sqs RequestThrottled',
  'sqs 500 InternalError',
  'sqs SendMessage lost',
  'sqs SendMessage failed (every retry)',
  'sqs duplicate delivery',
] as const;

export type AwsFaultKind = (typeof AWS_FAULT_KINDS)[number];
export type AwsFaultRates = Partial<Record<AwsFaultKind, number>>;

/** Which faults each operation the pipeline calls can meet. */
const ELIGIBLE: Record<ProxiedService, Record<string, readonly AwsFaultKind[]>> = {
  s3: { PutObject: ['s3 503 SlowDown', 's3 500 InternalError', 's3 PUT applied, answer lost'] },
  dynamodb: {
    GetItem: ['dynamodb ProvisionedThroughputExceededException', 'dynamodb ThrottlingException'],
    PutItem: ['dynamodb ProvisionedThroughputExceededException', 'dynamodb ThrottlingException', 'dynamodb PutItem applied, answer lost'],
    Scan: ['dynamodb ProvisionedThroughputExceededException', 'dynamodb ThrottlingException'],
  },
  sqs: {
    SendMessage: ['sqs RequestThrottled', 'sqs 500 InternalError', 'sqs SendMessage lost', 'sqs SendMessage failed (every retry)'],
    // Receives are short polls every few milliseconds while the queue is empty: throttling them would mostly slow the run.
    ReceiveMessage: [],
    DeleteMessageBatch: ['sqs RequestThrottled', 'sqs 500 InternalError'],
  },
  // The second source's secret is denied or missing by the run's own schedule (world.ts), not per request.
  secretsmanager: {},
};

/** Attempts the pipeline's SDK clients make per call (world.ts sets it): a send that fails every one of them fails. */
export const SDK_MAX_ATTEMPTS = 3;

/** Requests the eager plan lets through before it starts injecting (the pipeline gets going first). */
const EAGER_AFTER = 20;

/** A checkpoint write DynamoDB applied, as read from the request the proxy forwarded. */
export interface AppliedWrite {
  pk: string;
  version: number;
  watermark: number | undefined;
  records: number;
  inFlight: boolean;
  /** The window in flight, `start-end`, if any. */
  window: string | undefined;
  /** The run in flight and the generation of its read, if any. */
  runId: string | undefined;
  generation: number | undefined;
  /** The query the read in flight pages (the contacts query, for lesson_transcripts), and how far it got in it: pages landed, or contacts. */
  queryId: string | undefined;
  position: number | undefined;
  leaseOwner: string | undefined;
}

/** One PUT S3 applied to a key: the records it held, in order (`_id@updated_at`), and a digest of its whole NDJSON. */
export interface AppliedPut {
  digest: string;
  records: string[];
}

export class AwsFaultPlan {
  readonly injected = new Tally<AwsFaultKind>();
  readonly appliedWrites: AppliedWrite[] = [];
  /** ConditionalCheckFailed answers DynamoDB gave: real conflicts (racing invocations, zombies, retried writes). */
  conditionalConflicts = 0;
  /** S3 key -> every PUT S3 applied to it, in order (answer lost or not). */
  readonly puts = new Map<string, AppliedPut[]>();
  /** Bodies of the SendMessage calls SQS applied, and of those the proxy acknowledged and dropped (lost on purpose). */
  readonly sentMessages: string[] = [];
  readonly lostMessages: string[] = [];
  /** Sends chosen to fail: how many more attempts of each (by body) are refused. */
  private readonly failingSends = new Map<string, number>();
  private readonly seen = new Map<string, number>();
  /** SQS deliveries held back, to be delivered again in a later receive. */
  private held: WireMessage[] = [];
  private healed = false;
  private requests = 0;

  constructor(
    private readonly seed: number,
    private readonly rates: AwsFaultRates,
    /** Each kind not yet injected is injected at its first eligible request (after a few): every kind occurs early even in a short run. */
    private readonly eager = false,
  ) {}

  /** No more faults from now on (the run settles). */
  heal(): void {
    this.healed = true;
    this.held = [];
  }

  decideFor(service: ProxiedService): (request: ProxiedRequest) => FaultAction {
    return (request) => this.decide(service, request);
  }

  observeFor(service: ProxiedService): (request: ProxiedRequest, response: ProxiedResponse) => void {
    return (request, response) => this.observe(service, request, response);
  }

  private decide(service: ProxiedService, request: ProxiedRequest): FaultAction {
    if (this.healed) return PASS;
    const eligible = ELIGIBLE[service][request.operation] ?? [];
    const identity = identityOf(service, request);
    const key = `${service}|${request.operation}|${identity}`;
    const occurrence = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, occurrence);
    const failing = this.failingSends.get(identity) ?? 0;
    if (request.operation === 'SendMessage' && failing > 0) {
      // The SDK's next attempt of a send chosen to fail: refused too, until the call gives up.
      this.failingSends.set(identity, failing - 1);
      return { kind: 'answer', fault: 'sqs SendMessage failed (every retry)', response: sqsError('InternalError') };
    }
    const due = this.eager && this.requests++ >= EAGER_AFTER ? eligible.find((candidate) => (this.rates[candidate] ?? 0) > 0 && this.injected.get(candidate) === 0) : undefined;
    const kind = due ?? pickByRate(drawOf(this.seed, service, request.operation, identity, occurrence), eligible, this.rates);
    if (kind !== undefined) {
      this.injected.add(kind);
      if (kind === 'sqs SendMessage failed (every retry)') this.failingSends.set(identity, SDK_MAX_ATTEMPTS - 1);
      if (kind === 'sqs SendMessage lost') this.lostMessages.push(identity);
      return actionFor(kind, request);
    }
    if (service === 'sqs' && request.operation === 'ReceiveMessage') {
      const holdDraw = drawOf(this.seed, 'hold', occurrence);
      return { kind: 'rewrite', fault: 'sqs duplicate delivery', rewrite: (response) => this.duplicate(response, holdDraw) };
    }
    return PASS;
  }

  /** Delivers held copies again, and now and then holds one of this delivery's messages for later (as SQS does when a copy survives). */
  private duplicate(response: ProxiedResponse, holdDraw: number): ProxiedResponse {
    return rewriteMessages(response, (messages) => {
      const again = this.held.splice(0);
      if (again.length > 0) this.injected.add('sqs duplicate delivery', again.length);
      const first = messages[0];
      const rate = this.rates['sqs duplicate delivery'] ?? 0;
      const eagerly = this.eager && rate > 0 && this.injected.get('sqs duplicate delivery') === 0;
      if (first && (eagerly || holdDraw < rate)) this.held.push({ ...first });
      return [...messages, ...again];
    });
  }

  private observe(service: ProxiedService, request: ProxiedRequest, response: ProxiedResponse): void {
    if (service === 'dynamodb' && request.operation === 'PutItem') {
      if (response.status === 200) this.appliedWrites.push(appliedWrite(request.body));
      else if (response.body.toString('utf8').includes('ConditionalCheckFailedException')) this.conditionalConflicts += 1;
    }
    if (service === 's3' && request.operation === 'PutObject' && response.status === 200) {
      const key = decodeURIComponent(new URL(request.path, 'http://s3.invalid').pathname.split('/').slice(2).join('/'));
      const list = this.puts.get(key);
      if (list) list.push(appliedPut(request.body));
      else this.puts.set(key, [appliedPut(request.body)]);
    }
    if (service === 'sqs' && request.operation === 'SendMessage' && response.status === 200) this.sentMessages.push(identityOf(service, request));
  }
}

function actionFor(kind: AwsFaultKind, request: ProxiedRequest): FaultAction {
  switch (kind) {
    case 's3 503 SlowDown':
      return { kind: 'answer', fault: kind, response: s3Error(503, 'SlowDown') };
    case 's3 500 InternalError':
      return { kind: 'answer', fault: kind, response: s3Error(500, 'InternalError') };
    case 's3 PUT applied, answer lost':
    case 'dynamodb PutItem applied, answer lost':
      return { kind: 'drop-response', fault: kind };
    case 'dynamodb ProvisionedThroughputExceededException':
      return { kind: 'answer', fault: kind, response: dynamoThrottle('ProvisionedThroughputExceededException') };
    case 'dynamodb ThrottlingException':
      return { kind: 'answer', fault: kind, response: dynamoThrottle('ThrottlingException') };
    case 'sqs RequestThrottled':
      return { kind: 'answer', fault: kind, response: sqsError('RequestThrottled') };
    case 'sqs 500 InternalError':
    case 'sqs SendMessage failed (every retry)':
      return { kind: 'answer', fault: kind, response: sqsError('InternalError') };
    case 'sqs SendMessage lost':
      return { kind: 'answer', fault: kind, response: sqsForgedSend(request) };
    case 'sqs duplicate delivery':
      return PASS;
  }
}

/** What a request is about, so its fate does not depend on when it arrives. */
function identityOf(service: ProxiedService, request: ProxiedRequest): string {
  if (service === 's3') return request.path;
  const body = parseJson(request.body);
  if (service === 'dynamodb') {
    const item = (body.Item ?? body.Key ?? {}) as Record<string, { S?: string; N?: string }>;
    return `${item.pk?.S ?? ''}@${item.version?.N ?? ''}`;
  }
  return typeof body.MessageBody === 'string' ? body.MessageBody : '';
}

function appliedWrite(body: Buffer): AppliedWrite {
  type Value = { S?: string; N?: string; M?: Record<string, Value> };
  const item = (parseJson(body).Item ?? {}) as Record<string, Value>;
  const inFlight = item.inFlight?.M;
  const window = inFlight?.window?.M;
  const read = inFlight?.transcripts?.M ?? inFlight?.query?.M;
  const position = read?.contacts?.N ?? read?.pages?.N;
  const queryId = read?.contactsQueryId?.S ?? read?.queryId?.S;
  return {
    pk: item.pk?.S ?? '',
    version: Number(item.version?.N),
    watermark: item.watermark?.N === undefined ? undefined : Number(item.watermark.N),
    records: Number(item.counters?.M?.records?.N ?? 0),
    inFlight: item.inFlight !== undefined,
    window: window ? `${window.start?.N}-${window.end?.N}` : undefined,
    runId: inFlight?.runId?.S,
    generation: inFlight?.generation?.N === undefined ? undefined : Number(inFlight.generation.N),
    queryId,
    position: position === undefined ? undefined : Number(position),
    leaseOwner: item.leaseOwner?.S,
  };
}

/** The records of a landing object as S3 received it (gzipped NDJSON). */
export function appliedPut(body: Buffer): AppliedPut {
  let text: string;
  try {
    text = gunzipSync(body).toString('utf8');
  } catch {
    return { digest: createHash('sha256').update(body).digest('hex'), records: ['(not gzip)'] };
  }
  const records = text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const record = JSON.parse(line) as { _id?: unknown; updated_at?: unknown };
      return `${String(record._id)}@${String(record.updated_at)}`;
    });
  return { digest: createHash('sha256').update(text).digest('hex'), records };
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}
