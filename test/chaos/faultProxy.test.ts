/**
 * The fault proxy speaks each service's real error shapes: the AWS SDK v3, pointed at it, must
 * classify every injected fault the way it classifies the service's own (throttling or
 * transient, hence retried), and the faults that let a request through must leave the
 * emulator's state as the service would (the PUT landed; the message never queued).
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients, type AwsClients } from '../../functions/adapters/awsClients.js';
import { DynamoCheckpointStore } from '../../functions/adapters/dynamoCheckpointStore.js';
import { emptyCheckpoint } from '../../functions/pipeline/checkpoint.js';
import { startAwsEmulators, type AwsTestEnv, type AwsTestResources } from '../support/awsEmulators.js';
import {
  PASS,
  dynamoThrottle,
  rewriteMessages,
  s3Error,
  sqsError,
  sqsForgedSend,
  startFaultProxy,
  type FaultAction,
  type FaultProxy,
  type ProxiedRequest,
  type ProxiedService,
} from '../support/faultProxy.js';

let aws: AwsTestEnv;
let res: AwsTestResources;
const proxies: FaultProxy[] = [];
beforeAll(async () => {
  aws = await startAwsEmulators();
  res = await aws.fresh();
});
afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await aws.close();
});

/** A retry strategy (the SDK's RetryStrategyV2 interface) that records how the SDK classified each error, and retries once at once. */
function recordingRetries() {
  const seen: Array<{ errorType: string; name: string }> = [];
  const token = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 0, getRetryCost: () => 0 });
  return {
    seen,
    strategy: {
      mode: 'recording',
      acquireInitialRetryToken: async () => token(0),
      refreshRetryTokenForRetry: async (previous: { getRetryCount(): number }, info: { errorType: string; error: { name?: string } }) => {
        seen.push({ errorType: info.errorType, name: info.error?.name ?? '' });
        if (previous.getRetryCount() >= 1 || (info.errorType !== 'THROTTLING' && info.errorType !== 'TRANSIENT')) throw new Error('no retry');
        return token(previous.getRetryCount() + 1);
      },
      recordSuccess: () => undefined,
    },
  };
}

/** A proxy in front of one emulator that applies `fault` to the first request of `operation` only. */
async function proxyOnce(service: Exclude<ProxiedService, 'secretsmanager'>, operation: string, fault: (request: ProxiedRequest) => FaultAction) {
  let done = false;
  const proxy = await startFaultProxy({
    service,
    target: aws.emulators.endpoints[service],
    decide: (request) => {
      if (done || request.operation !== operation) return PASS;
      done = true;
      return fault(request);
    },
  });
  proxies.push(proxy);
  return proxy;
}

function sdkOptions(endpoint: string, strategy: unknown) {
  return { region: aws.emulators.region, endpoint, credentials: aws.emulators.credentials, retryStrategy: strategy as never };
}

describe('the fault proxy speaks the services’ wire errors, and the SDK retries them as the services’ own', () => {
  it.each([
    ['S3 503 SlowDown', 503 as const, 'SlowDown' as const, 'THROTTLING'],
    ['S3 500 InternalError', 500 as const, 'InternalError' as const, 'TRANSIENT'],
  ])('%s on PutObject is classified %s and the retried PUT stores the bytes', async (_name, status, code, errorType) => {
    const proxy = await proxyOnce('s3', 'PutObject', () => ({ kind: 'answer', fault: code, response: s3Error(status, code) }));
    const retries = recordingRetries();
    const s3 = new S3Client({ ...sdkOptions(proxy.url, retries.strategy), forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
    const key = `k-${randomUUID()}`;

    const put = await s3.send(new PutObjectCommand({ Bucket: res.bucket, Key: key, Body: Buffer.from('payload') }));

    expect(retries.seen).toEqual([{ errorType, name: code }]);
    expect(put.$metadata.attempts).toBe(2);
    const stored = await aws.clients.s3.send(new GetObjectCommand({ Bucket: res.bucket, Key: key }));
    expect(Buffer.from(await stored.Body!.transformToByteArray()).toString()).toBe('payload');
    expect(proxy.faults).toEqual({ [code]: 1 });
    s3.destroy();
  });

  it('a PUT whose answer is lost after S3 applied it surfaces as a reset, is retried, and the object is there', async () => {
    const proxy = await proxyOnce('s3', 'PutObject', () => ({ kind: 'drop-response', fault: 'lost' }));
    const retries = recordingRetries();
    const s3 = new S3Client({ ...sdkOptions(proxy.url, retries.strategy), forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
    const key = `k-${randomUUID()}`;

    await s3.send(new PutObjectCommand({ Bucket: res.bucket, Key: key, Body: Buffer.from('twice') }));

    expect(retries.seen.map((seen) => seen.errorType)).toEqual(['TRANSIENT']);
    expect(proxy.requests).toBe(2);
    const stored = await aws.clients.s3.send(new GetObjectCommand({ Bucket: res.bucket, Key: key }));
    expect(Buffer.from(await stored.Body!.transformToByteArray()).toString()).toBe('twice');
    s3.destroy();
  });

  it.each(['ProvisionedThroughputExceededException', 'ThrottlingException'] as const)('DynamoDB %s is a throttling error, retried', async (type) => {
    const proxy = await proxyOnce('dynamodb', 'GetItem', () => ({ kind: 'answer', fault: type, response: dynamoThrottle(type) }));
    const retries = recordingRetries();
    const dynamodb = new DynamoDBClient(sdkOptions(proxy.url, retries.strategy));

    const got = await dynamodb.send(new GetItemCommand({ TableName: res.table, Key: { pk: { S: 'nothing' } } }));

    expect(retries.seen).toEqual([{ errorType: 'THROTTLING', name: type }]);
    expect(got.$metadata.attempts).toBe(2);
    dynamodb.destroy();
  });

  it('a conditional checkpoint write applied but unanswered is retried, meets its own write, and the store counts it a success', async () => {
    const proxy = await proxyOnce('dynamodb', 'PutItem', () => ({ kind: 'drop-response', fault: 'lost' }));
    const clients: AwsClients = createAwsClients({ region: aws.emulators.region, requestTimeoutMs: 5_000, endpoints: { dynamodb: proxy.url }, credentials: aws.emulators.credentials });
    const store = new DynamoCheckpointStore(clients.documents, res.table);
    const key = { source: 'proxy', collection: `events-${randomUUID().slice(0, 6)}` };
    const next = { ...emptyCheckpoint(key), version: 1, lease: { owner: 'me', expiresAtMs: 2_000_000_000_000 } };

    await store.claim(next, 0, 1_000);

    expect(proxy.requests).toBeGreaterThanOrEqual(2);
    expect(await new DynamoCheckpointStore(aws.clients.documents, res.table).load(key)).toMatchObject({ version: 1, lease: { owner: 'me' } });
    clients.destroy();
  });

  it.each([
    ['RequestThrottled' as const, 'THROTTLING'],
    ['InternalError' as const, 'TRANSIENT'],
  ])('SQS %s (JSON protocol, x-amzn-query-error) is classified %s and retried', async (code, errorType) => {
    const proxy = await proxyOnce('sqs', 'SendMessage', () => ({ kind: 'answer', fault: code, response: sqsError(code) }));
    const retries = recordingRetries();
    const sqs = new SQSClient(sdkOptions(proxy.url, retries.strategy));

    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: res.queueUrl, MessageBody: `{"n":"${code}"}` }));

    expect(retries.seen).toEqual([{ errorType, name: code }]);
    expect(sent.$metadata.attempts).toBe(2);
    await drain(res.queueUrl);
    sqs.destroy();
  });

  it('a lost SendMessage is acknowledged with the MD5 the SDK checks, and nothing is queued', async () => {
    const proxy = await proxyOnce('sqs', 'SendMessage', (request) => ({ kind: 'answer', fault: 'lost', response: sqsForgedSend(request) }));
    const sqs = new SQSClient({ region: aws.emulators.region, endpoint: proxy.url, credentials: aws.emulators.credentials });

    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: res.queueUrl, MessageBody: '{"lost":true}' }));

    expect(sent.MessageId).toBeTruthy();
    const attributes = await aws.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: res.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    expect(attributes.Attributes?.ApproximateNumberOfMessages).toBe('0');
    sqs.destroy();
  });

  it('a duplicated delivery passes the SDK’s MD5 check and reaches the consumer twice', async () => {
    const proxy = await proxyOnce('sqs', 'ReceiveMessage', () => ({
      kind: 'rewrite',
      fault: 'duplicate',
      rewrite: (response) => rewriteMessages(response, (messages) => [...messages, ...messages]),
    }));
    const sqs = new SQSClient({ region: aws.emulators.region, endpoint: proxy.url, credentials: aws.emulators.credentials });
    await aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: res.queueUrl, MessageBody: '{"once":true}' }));

    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: res.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));

    expect(received.Messages?.map((message) => message.Body)).toEqual(['{"once":true}', '{"once":true}']);
    expect(proxy.faults).toEqual({ duplicate: 1 });
    sqs.destroy();
  });
});

async function drain(queueUrl: string): Promise<void> {
  for (;;) {
    const { Messages = [] } = await aws.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) return;
    for (const message of Messages) await aws.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
  }
}

