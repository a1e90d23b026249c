/**
 * The chaos run's AWS faults, decided per request for the three fault proxies, and what the
 * proxies saw land: every checkpoint write DynamoDB applied (the ground truth for "the
 * checkpoint never moves backwards", including writes whose answer the client never got) and
 * every S3 PUT (to count rewrites of a key and check each held the same bytes).
 */
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
    SendMessage: ['sqs RequestThrottled', 'sqs 500 InternalError', 'sqs SendMessage lost'],
    // Receives are short polls every few milliseconds while the queue is empty: throttling them would mostly slow the run.
    ReceiveMessage: [],
    DeleteMessageBatch: ['sqs RequestThrottled', 'sqs 500 InternalError'],
  },
};

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
  leaseOwner: string | undefined;
}

export class AwsFaultPlan {
  readonly injected = new Tally<AwsFaultKind>();
  readonly appliedWrites: AppliedWrite[] = [];
  /** ConditionalCheckFailed answers DynamoDB gave: real conflicts (racing invocations, zombies, retried writes). */
  conditionalConflicts = 0;
  /** S3 key -> Content-MD5 of every PUT S3 applied to it, in order. */
  readonly puts = new Map<string, string[]>();
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
    const due = this.eager && this.requests++ >= EAGER_AFTER ? eligible.find((candidate) => (this.rates[candidate] ?? 0) > 0 && this.injected.get(candidate) === 0) : undefined;
    const kind = due ?? pickByRate(drawOf(this.seed, service, request.operation, identity, occurrence), eligible, this.rates);
    if (kind !== undefined) {
      this.injected.add(kind);
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
      const md5 = String(request.headers['content-md5'] ?? '');
      this.puts.set(key, [...(this.puts.get(key) ?? []), md5]);
    }
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
  const window = item.inFlight?.M?.window?.M;
  return {
    pk: item.pk?.S ?? '',
    version: Number(item.version?.N),
    watermark: item.watermark?.N === undefined ? undefined : Number(item.watermark.N),
    records: Number(item.counters?.M?.records?.N ?? 0),
    inFlight: item.inFlight !== undefined,
    window: window ? `${window.start?.N}-${window.end?.N}` : undefined,
    leaseOwner: item.leaseOwner?.S,
  };
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}
