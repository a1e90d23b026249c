/** The emulator harness, provisioning, and the clients' own guarantees (timeouts, option checks). */
import { DescribeTableCommand, GetItemCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../functions/adapters/awsClients.js';
import { emptyCheckpoint } from '../../functions/pipeline/checkpoint.js';
import { startEmulators } from '../../infra/local/emulators.js';
import { provision } from '../../infra/local/provision.js';
import { startAwsEmulators, type AwsTestEnv } from '../support/awsEmulators.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(options?: Parameters<typeof startAwsEmulators>[0]): Promise<AwsTestEnv> {
  const aws = await startAwsEmulators(options);
  cleanups.push(() => aws.close());
  return aws;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Resolves the socket error code, or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('startEmulators', () => {
  it('listens on 127.0.0.1 and stops listening on every port after close', async () => {
    const emulators = await startEmulators();
    const ports = Object.values(emulators.endpoints).map(portOf);

    const before = await Promise.all(ports.map(tryConnect));
    await emulators.close();
    const after = await Promise.all(ports.map(tryConnect));

    expect(Object.values(emulators.endpoints).every((url) => url.startsWith('http://127.0.0.1:'))).toBe(true);
    // S3, DynamoDB, SQS, Secrets Manager, Scheduler.
    expect(ports).toHaveLength(5);
    expect(before).toEqual(ports.map(() => 'connected'));
    expect(after).toEqual(ports.map(() => 'ECONNREFUSED'));
  });

  it('closes promptly while a client still holds keep-alive connections to every emulator', async () => {
    const aws = await startAwsEmulators();
    await aws.fresh(); // S3, DynamoDB and SQS calls leave pooled sockets open
    const ports = Object.values(aws.emulators.endpoints).map(portOf);
    const startedAt = performance.now();

    // The SDK clients are not destroyed first: their idle sockets must not hold the servers open.
    await aws.emulators.close();
    const elapsedMs = performance.now() - startedAt;
    aws.clients.destroy();

    expect(elapsedMs).toBeLessThan(2_000);
    expect(ports).toHaveLength(5);
    expect(await Promise.all(ports.map(tryConnect))).toEqual(ports.map(() => 'ECONNREFUSED'));
  });

  it('fails with the emulator and port when a port is taken, and stops the ones it started', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const taken = (blocker.address() as AddressInfo).port;
    const free = await freePort();

    const start = startEmulators({ ports: { s3: free, sqs: taken } });

    await expect(start).rejects.toThrow(`could not start local-aws-sqs on 127.0.0.1:${taken}`);
    expect(await tryConnect(free)).toBe('ECONNREFUSED');
  });

  it('keeps objects and checkpoints across a restart on the same data directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'emulators-persist-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const first = await startAwsEmulators({ dataDir });
    const resources = await first.fresh();
    await resources.sink.put({ key: 'k/one.ndjson.gz', body: Buffer.from([1, 2, 3, 255]), metadata: { records: '1' }, records: 1, rawBytes: 4, dt: '2024-01-01' });
    const checkpoint = { ...emptyCheckpoint({ source: 'acme', collection: 'contacts' }), version: 1, watermark: 1_700_000_000 };
    await resources.checkpoints.claim(checkpoint, 0, Date.now());
    await first.close();

    const second = await started({ dataDir });
    const object = await second.clients.s3.send(new GetObjectCommand({ Bucket: resources.bucket, Key: 'k/one.ndjson.gz' }));
    const item = await second.clients.dynamodb.send(new GetItemCommand({ TableName: resources.table, Key: { pk: { S: 'acme#contacts' } } }));

    expect(Buffer.from(await object.Body!.transformToByteArray())).toEqual(Buffer.from([1, 2, 3, 255]));
    expect(item.Item?.watermark).toEqual({ N: '1700000000' });
  });

  it('keeps nothing between in-memory runs', async () => {
    const first = await startAwsEmulators();
    const { table } = await first.fresh();
    await first.close();

    const second = await started();
    const { TableNames } = await second.clients.dynamodb.send(new ListTablesCommand({}));

    expect(TableNames).not.toContain(table);
  });
});

describe('provision', () => {
  it('waits until the checkpoint table is ACTIVE', async () => {
    const aws = await started({ dynamodbTableDelayMs: 300 });

    const { table } = await aws.fresh();
    const { Table } = await aws.clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));

    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('is idempotent, and brings an existing queue to the settings it is given', async () => {
    const aws = await started();
    const names = { bucket: 'landing-again', table: 'checkpoints-again', queue: 'continuations-again' };
    const first = await provision({ clients: aws.clients, ...names, visibilityTimeoutSeconds: 30 });

    const second = await provision({ clients: aws.clients, ...names, visibilityTimeoutSeconds: 90, maxReceiveCount: 9 });
    const { Attributes } = await aws.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: second.queueUrl, AttributeNames: ['All'] }));

    expect(second).toEqual(first);
    expect(Attributes?.VisibilityTimeout).toBe('90');
    expect(JSON.parse(Attributes!.RedrivePolicy!).maxReceiveCount).toBe(9);
  });

  it('keeps dead letters for the longest time SQS allows', async () => {
    const aws = await started();
    const { deadLetterQueueUrl } = await aws.fresh();

    const { Attributes } = await aws.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['MessageRetentionPeriod'] }));

    expect(Attributes?.MessageRetentionPeriod).toBe(String(14 * 24 * 3600));
  });

  it('rejects a maxReceiveCount outside 1..1000, naming it', async () => {
    const aws = await started();

    await expect(provision({ clients: aws.clients, bucket: 'b-x', table: 't-x', queue: 'q-x', visibilityTimeoutSeconds: 30, maxReceiveCount: 0 })).rejects.toThrow(
      'maxReceiveCount must be an integer from 1 to 1000, got 0',
    );
  });
});

describe('createAwsClients', () => {
  it('gives up on a request the server never answers after the request timeout', async () => {
    const hanging: Server = createServer(() => {});
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      hanging.closeAllConnections();
      return new Promise((resolve) => hanging.close(resolve));
    });
    const clients = createAwsClients({
      region: 'us-east-1',
      requestTimeoutMs: 300,
      maxAttempts: 1,
      endpoints: { dynamodb: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}` },
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    cleanups.push(async () => clients.destroy());
    const startedAt = performance.now();

    const call = clients.dynamodb.send(new ListTablesCommand({}));

    await expect(call).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(performance.now() - startedAt).toBeLessThan(3_000);
  });

  it.each([
    [{ region: '', requestTimeoutMs: 1_000 }, 'AWS region is required'],
    [{ region: 'us-east-1', requestTimeoutMs: 0 }, 'requestTimeoutMs must be a positive integer (milliseconds), got 0'],
    [{ region: 'us-east-1', requestTimeoutMs: 1_000, endpoints: { s3: 'localhost:4569' } }, 'endpoints.s3 must use http or https'],
    [{ region: 'us-east-1', requestTimeoutMs: 1_000, endpoints: { sqs: 'not a url' } }, 'endpoints.sqs must be an http(s) URL'],
    [
      { region: 'us-east-1', requestTimeoutMs: 1_000, endpoints: { secretsManager: 'http://localstack.internal:4566' } },
      'endpoints.secretsManager must use https:// for a host other than this machine (http:// only for 127.0.0.1, localhost or [::1]), got "http://localstack.internal:4566"',
    ],
  ])('rejects invalid options with a message naming the input (%j)', (options, message) => {
    expect(() => createAwsClients(options)).toThrow(message);
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
