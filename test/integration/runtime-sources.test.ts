/**
 * One source whose secret cannot be read (added before its secret was set, or denied) must not
 * stop the others: the runtime's sources come through Secrets Manager's real client against a
 * tiny fake of its JSON protocol, and the failing source's collections fail on their own.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConveYourClient } from '../../functions/conveyour/client.js';
import { createRuntime } from '../../functions/handlers/runtime.js';
import { runTick, type PipelineDeps } from '../../functions/pipeline/orchestrate.js';
import { silentLog } from '../../functions/pipeline/ports.js';
import { MemoryCheckpointStore } from '../support/memoryCheckpointStore.js';
import { MemorySink } from '../support/memorySink.js';
import { basePolicy } from '../support/pipelineFixture.js';
import { makeRecords, ScriptedPageSource } from '../support/scriptedPageSource.js';

let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      if (SecretId !== 'conveyour/good') {
        response.statusCode = 400;
        response.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." }));
        return;
      }
      response.end(JSON.stringify({ Name: SecretId, SecretString: JSON.stringify({ appkey: 'k', token: 't' }), VersionId: 'v1' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
});
afterAll(async () => {
  vi.unstubAllEnvs();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('a source whose secret cannot be read', () => {
  it('leaves the other sources running; its own collections fail with the reason, recorded on their checkpoints', async () => {
    // Prepare
    const runtime = createRuntime({
      PIPELINE_SOURCES: JSON.stringify([
        { name: 'good', baseUrl: 'http://127.0.0.1:9', secretId: 'conveyour/good', collections: ['events'] },
        { name: 'new', baseUrl: 'http://127.0.0.1:9', secretId: 'conveyour/not-set-yet', collections: ['events', 'contacts'] },
      ]),
      LANDING_BUCKET: 'bucket',
      CHECKPOINT_TABLE: 'table',
      CONTINUATION_QUEUE_URL: 'http://127.0.0.1:9/queue',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
    });

    // Act
    const sources = await runtime.sources();

    // Assess: both sources are there; the good one has its client.
    expect(sources.map((source) => source.name)).toEqual(['good', 'new']);
    expect(sources[0]!.pages).toBeInstanceOf(ConveYourClient);
    await (sources[0]!.pages as ConveYourClient).close();

    // Act: a tick where the good source is served by a fake ConveYour.
    const nowMs = Date.UTC(2026, 0, 15, 12);
    const store = new MemoryCheckpointStore();
    const sink = new MemorySink();
    const good = new ScriptedPageSource(() => makeRecords(25, { from: nowMs / 1000 - 3_600, step: 10 }), { pageSize: 10 });
    let runs = 0;
    const deps: PipelineDeps = {
      store,
      sink,
      queue: { send: async () => {} },
      clock: { nowMs: () => nowMs },
      log: silentLog,
      policy: { ...basePolicy, collectionConcurrency: 4, maxHops: 10, safetyMarginMs: 1_000, initialStepEstimateMs: 10 },
      remainingMs: () => 600_000,
      owner: 'invocation-1',
      newRunId: () => `run-${++runs}`,
    };
    const result = await runTick([{ ...sources[0]!, pages: good }, sources[1]!], deps);

    // Assess
    expect(result.runs.map((run) => [run.key.source, run.key.collection, run.status, run.error?.code])).toEqual([
      ['good', 'events', 'caught-up', undefined],
      ['new', 'events', 'failed', 'SECRET_READ_FAILED'],
      ['new', 'contacts', 'failed', 'SECRET_READ_FAILED'],
    ]);
    expect(sink.records()).toHaveLength(25);
    for (const collection of ['events', 'contacts']) {
      const checkpoint = await store.load({ source: 'new', collection });
      expect(checkpoint?.counters.lastError).toMatchObject({ code: 'SECRET_READ_FAILED', message: expect.stringContaining('conveyour/not-set-yet') });
    }
  });
});

describe('the runtime logger', () => {
  it('carries the Lambda request id on every line of the invocation', () => {
    const runtime = createRuntime({
      PIPELINE_SOURCES: JSON.stringify([{ name: 'good', baseUrl: 'http://127.0.0.1:9', secretId: 'conveyour/good', collections: ['events'] }]),
      LANDING_BUCKET: 'bucket',
      CHECKPOINT_TABLE: 'table',
      CONTINUATION_QUEUE_URL: 'http://127.0.0.1:9/queue',
      AWS_REGION: 'us-east-1',
    });
    const context = { awsRequestId: 'req-1234', functionName: 'tick', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:tick', memoryLimitInMB: '1024', getRemainingTimeInMillis: () => 60_000 };
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    try {
      runtime.deps(context as never).log.info('hello');
    } finally {
      write.mockRestore();
    }
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([expect.objectContaining({ message: 'hello', function_request_id: 'req-1234' })]);
  });
});

describe('the runtime’s environment', () => {
  const ENV = {
    PIPELINE_SOURCES: JSON.stringify([{ name: 'dev', baseUrl: 'http://127.0.0.1:9', collections: ['events'] }]),
    LANDING_BUCKET: 'bucket',
    CHECKPOINT_TABLE: 'table',
    CONTINUATION_QUEUE_URL: 'http://127.0.0.1:9/queue',
    AWS_REGION: 'us-east-1',
    CONVEYOUR_APPKEY: 'key',
    CONVEYOUR_TOKEN: 'token',
    CONVEYOUR_RETRY_MAX_ATTEMPTS: '3',
  };
  const CONTEXT = { awsRequestId: 'req-1', functionName: 'tick', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:tick', memoryLimitInMB: '1024', getRemainingTimeInMillis: () => 60_000 };

  it('is read while the runtime is built (cold start) and never again by an invocation', async () => {
    // Prepare: an environment that records every read after the build.
    let building = true;
    const lateReads: string[] = [];
    const env = new Proxy(ENV as Record<string, string | undefined>, {
      get: (target, name) => {
        if (!building && typeof name === 'string') lateReads.push(name);
        return target[name as string];
      },
      ownKeys: (target) => {
        if (!building) lateReads.push('(every variable)');
        return Reflect.ownKeys(target);
      },
    });
    const runtime = createRuntime(env);
    building = false;

    // Act: what an invocation does with the runtime.
    const sources = await runtime.sources();
    runtime.deps(CONTEXT as never);
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      runtime.report({ runs: [], continuations: 0, failures: [] }, 'tick', Date.now());
    } finally {
      write.mockRestore();
    }

    // Assess
    expect(sources.map((source) => source.pages)).toEqual([expect.any(ConveYourClient)]);
    expect(lateReads).toEqual([]);
  });

  it.each(['CONVEYOUR_APPKEY', 'CONVEYOUR_TOKEN'])('without %s, a source that has no secretId fails the cold start, naming the variable', (name) => {
    expect(() => createRuntime({ ...ENV, [name]: '' })).toThrow(`${name} is required`);
  });

  it('a bad POWERTOOLS_LOG_LEVEL fails the cold start, naming it and the valid levels', () => {
    expect(() => createRuntime({ ...ENV, POWERTOOLS_LOG_LEVEL: 'loud' })).toThrow("POWERTOOLS_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT, got 'loud'");
  });
});
