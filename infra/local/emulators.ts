/**
 * Real-protocol emulators of S3 (s3rver), DynamoDB (dynalite) and SQS (local-aws-sqs),
 * started in this process on 127.0.0.1, so the same SDK clients and adapters the Lambda
 * functions use run against them unchanged; with two of our own, Secrets Manager and
 * EventBridge Scheduler (no package emulates them), for the sources' secrets and the schedule.
 *
 * Where data lives:
 * - s3rver always stores objects on disk; "in memory" is a temporary directory removed on close.
 * - dynalite keeps tables in memory, or in LevelDB under `dataDir/dynamodb` when persisted.
 *   LevelDB locks its directory: one process per `dataDir`.
 * - local-aws-sqs keeps queues and messages in memory only; it has no persistence option.
 *   Nothing depends on it: the checkpoint holds the cursor, and a continuation lost with a
 *   restart costs one tick, when the schedule resumes the in-flight run.
 * - Secrets Manager and Scheduler keep memory only: the local runtime writes the source's
 *   secret and the tick's schedule at every start, as `cdk deploy` would.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSchedulerEmulator, type SchedulerEmulator } from './schedulerEmulator.js';
import { wholeBodyFront } from './s3WholeBodyFront.js';
import { createSecretsManagerEmulator } from './secretsManagerEmulator.js';

const require = createRequire(import.meta.url);

/** The slices of the emulators' untyped APIs used here (s3rver 3.7, dynalite 4, local-aws-sqs 2). */
interface S3rverApp {
  callback(): RequestListener;
  logger?: { close(): void };
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverApp;
type Dynalite = (options: { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;
type CreateSqsRequestHandler = (options: Record<string, unknown>) => {
  service: { PORT: number; resetAll(): void };
  requestHandler: RequestListener;
};

const HOST = '127.0.0.1';

/** s3rver accepts only its built-in key pair; dynalite and local-aws-sqs accept anything. */
export const EMULATOR_CREDENTIALS = Object.freeze({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

export interface EmulatorOptions {
  /** Persist S3 objects and DynamoDB tables here (e.g. `.local/`); absent: in memory, gone on close. */
  dataDir?: string;
  /** 0 (default): any free port. */
  ports?: { s3?: number; dynamodb?: number; sqs?: number };
  /** Default us-east-1; local-aws-sqs puts it in queue ARNs. */
  region?: string;
  /** How long dynalite keeps a new table CREATING. Default 0; AWS takes seconds. */
  dynamodbTableDelayMs?: number;
}

export interface Emulators {
  endpoints: { s3: string; dynamodb: string; sqs: string; secretsManager: string; scheduler: string };
  region: string;
  /** The Scheduler emulator's state, which the local timer consults before each tick. */
  scheduler: SchedulerEmulator;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Where persisted data lives; undefined when in memory. */
  dataDir: string | undefined;
  /** Stops every server, drops open connections, and removes in-memory data. Safe to call twice. */
  close(): Promise<void>;
}

/** Starts the three emulators; if one fails to start, the others are stopped before the error is thrown. */
export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const region = options.region ?? 'us-east-1';
  const ports = { s3: 0, dynamodb: 0, sqs: 0, ...options.ports };
  const stops: Array<() => Promise<void>> = [];
  // In reverse start order, one at a time: the temporary S3 directory goes only after s3rver stopped.
  const stopAll = async () => {
    const failures: unknown[] = [];
    for (const stop of stops.splice(0).reverse()) await stop().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw new AggregateError(failures, 'some emulators did not stop cleanly');
  };

  try {
    let s3Directory: string;
    let dynamodbPath: string | undefined;
    if (options.dataDir) {
      s3Directory = join(options.dataDir, 's3');
      dynamodbPath = join(options.dataDir, 'dynamodb');
      await mkdir(s3Directory, { recursive: true });
    } else {
      s3Directory = await mkdtemp(join(tmpdir(), 'conveyour-s3rver-'));
      stops.push(() => rm(s3Directory, { recursive: true, force: true }));
    }

    const s3 = await startS3(s3Directory, ports.s3);
    stops.push(s3.stop);
    const dynamodb = await startDynamodb(dynamodbPath, ports.dynamodb, options.dynamodbTableDelayMs ?? 0);
    stops.push(dynamodb.stop);
    const sqs = await startSqs(ports.sqs, region);
    stops.push(sqs.stop);
    const secretsManager = await startListener('Secrets Manager emulator', createSecretsManagerEmulator(region).requestListener);
    stops.push(secretsManager.stop);
    const scheduler = createSchedulerEmulator(region);
    const schedulerServer = await startListener('Scheduler emulator', scheduler.requestListener);
    stops.push(schedulerServer.stop);

    let closing: Promise<void> | undefined;
    return {
      endpoints: { s3: s3.url, dynamodb: dynamodb.url, sqs: sqs.url, secretsManager: secretsManager.url, scheduler: schedulerServer.url },
      region,
      scheduler,
      credentials: { ...EMULATOR_CREDENTIALS },
      dataDir: options.dataDir,
      close: () => (closing ??= stopAll()),
    };
  } catch (error) {
    await stopAll().catch(() => {});
    throw error;
  }
}

async function startS3(directory: string, port: number) {
  const S3rver = require('s3rver') as S3rverConstructor;
  const s3rver = new S3rver({ directory, silent: true, vhostBuckets: false, resetOnClose: false });
  // s3rver.run() leaves a listen error (port taken) unhandled; its Koa handler on our own server does not.
  const inner = createServer(s3rver.callback());
  await named('s3rver', 0, listen(inner, 0));
  // Clients talk to the front: s3rver alone would store the part of a PUT received before an abort.
  const front = wholeBodyFront({ host: HOST, port: (inner.address() as AddressInfo).port });
  const server = createServer(front.listener);
  try {
    await named('s3rver', port, listen(server, port));
  } catch (error) {
    await closeServer(inner, () => closeHttp(inner));
    throw error;
  }
  const stop = async () => {
    await closeServer(server, () => closeHttp(server));
    front.close();
    await closeServer(inner, () => closeHttp(inner));
    s3rver.logger?.close();
  };
  return { url: urlOf(server), stop };
}

async function startDynamodb(path: string | undefined, port: number, tableDelayMs: number) {
  const dynalite = require('dynalite') as Dynalite;
  const server = dynalite({ ...(path ? { path } : {}), createTableMs: tableDelayMs, deleteTableMs: tableDelayMs, updateTableMs: tableDelayMs });
  await named('dynalite', port, listen(server, port));
  // dynalite's close() also closes its LevelDB store, releasing the directory lock.
  return { url: urlOf(server), stop: () => closeServer(server, () => closeHttp(server)) };
}

async function startSqs(port: number, region: string) {
  const { createRequestHandler } = require('local-aws-sqs') as { createRequestHandler: CreateSqsRequestHandler };
  // Queue-creation lifecycle emulation would refuse to re-create a deleted name for 60 s.
  const { service, requestHandler } = createRequestHandler({ port, hostname: HOST, region, emulateQueueCreationLifecycle: false });
  const server = createServer(requestHandler);
  await named('local-aws-sqs', port, listen(server, port));
  // Queue URLs are built from PORT: with port 0 it must be the one the OS picked (as createSqsServer does).
  service.PORT = (server.address() as AddressInfo).port;
  const stop = async () => {
    await closeServer(server, () => closeHttp(server));
    service.resetAll();
  };
  return { url: urlOf(server), stop };
}

async function startListener(name: string, listener: RequestListener) {
  const server = createServer(listener);
  await named(name, 0, listen(server, 0));
  return { url: urlOf(server), stop: () => closeServer(server, () => closeHttp(server)) };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** close() waits for open connections; a client's keep-alive socket or an SQS long poll would hold it. */
async function closeServer(server: Server, close: () => Promise<void>): Promise<void> {
  if (!server.listening) return;
  const closed = close();
  server.closeAllConnections();
  await closed;
}

function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

async function named<T>(emulator: string, port: number, starting: Promise<T>): Promise<T> {
  try {
    return await starting;
  } catch (error) {
    throw new Error(`could not start ${emulator} on ${HOST}:${port}: ${(error as Error).message}`, { cause: error });
  }
}

function urlOf(server: Server): string {
  return `http://${HOST}:${(server.address() as AddressInfo).port}`;
}
