/**
 * The local runtime: the real Lambda handlers hosted in this process on real-protocol
 * emulators (s3rver, dynalite, local-aws-sqs), fed by the ConveYour simulator or by a real
 * ConveYour account. `npm start`, the end-to-end tests and the benchmarks all use it.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createAwsClients, type AwsClients } from '../../functions/adapters/awsClients.js';
import { DynamoCheckpointStore } from '../../functions/adapters/dynamoCheckpointStore.js';
import type { Checkpoint } from '../../functions/pipeline/checkpoint.js';
import { parseSources } from '../../functions/handlers/config.js';
import { OUTPUT, ROOT_PREFIX_OUTPUT, secretOutputId } from '../cdk/outputs.js';
import { lockDataDir, type DataDirLock } from './dataDirLock.js';
import { startEmulators, type Emulators } from './emulators.js';
import { startEventSourceMapping, type EventSourceMapping } from './eventSourceMapping.js';
import { createRequestPacer, type RequestPacer } from '../../functions/conveyour/pacer.js';
import { createRuntime, type RequestCounters } from '../../functions/handlers/runtime.js';
import { createContinueHandler } from '../../functions/handlers/continueHandler.js';
import { createTickHandler } from '../../functions/handlers/tickHandler.js';
import { createLambdaHost, type FunctionSettings, type LambdaHost } from './lambdaHost.js';
import { provision, type Provisioned } from './provision.js';
import { startSimulator, type Simulator } from './simulator/index.js';
import type { SimulatorOptions } from './simulator/options.js';

export const LOCAL_NAMES = {
  bucket: 'conveyour-landing',
  table: 'conveyour-checkpoints',
  queue: 'conveyour-continuations',
  deadLetterQueue: 'conveyour-continuations-dlq',
  scheduleDeadLetterQueue: 'conveyour-schedule-dlq',
  schedule: 'conveyour-tick',
  source: 'local',
  /** As the stack names it: `{stack}/conveyour/{source}`. */
  secret: 'conveyour-local/conveyour/local',
} as const;

/** The local account id in ARNs (the emulators check no accounts). */
const LOCAL_ACCOUNT = '000000000000';

export interface TickRun {
  source: string;
  collection: string;
  status: string;
}

export interface TickOutcome {
  collections: number;
  continuations: number;
  failures: number;
  runs: TickRun[];
}

export interface LocalRuntimeOptions {
  /** Emulator state and simulator anchor persist here, locked to this process; undefined = in memory (tests). */
  dataDir?: string;
  /** Named in the data dir's lock, for a second process's message (default "npm start"). */
  command?: string;
  /** Tail this ConveYour instead of starting the simulator. */
  conveyour?: { baseUrl: string; appkey: string; token: string };
  simulator?: SimulatorOptions;
  /** Settings of the hosted functions, as deployed. */
  functionTimeoutMs?: number;
  /** Extra environment for the handlers (tuning: QUERY_CAP, OVERLAP_SECONDS, ...). */
  env?: Record<string, string>;
  prefix?: string;
  maxReceiveCount?: number;
  /** Defaults to six times the function timeout, as deployed; tests shorten it. */
  visibilityTimeoutSeconds?: number;
}

export interface LocalRuntime {
  simulator: Simulator | undefined;
  emulators: Emulators;
  resources: Provisioned;
  clients: AwsClients;
  checkpoints(): Promise<Checkpoint[]>;
  /** ConveYour requests retried (and throttled) by the hosted functions since the start: the status table's counter. */
  requestCounters(): RequestCounters;
  tick(): Promise<TickOutcome>;
  /** Continuation messages waiting in the queue, not yet received. */
  queuedContinuations(): Promise<number>;
  deliver(event: SQSEvent): Promise<SQSBatchResponse>;
  /**
   * Starts delivering continuation messages to the continue handler, as Lambda's SQS trigger does,
   * with `concurrency` pollers (the function's concurrency: a backfill runs that many windows at once).
   */
  startContinuations(onError: (error: unknown) => void, concurrency?: number): EventSourceMapping;
  settings: FunctionSettings;
  /**
   * What `npx cdk deploy --outputs-file` would write for this runtime: one stack,
   * `conveyour-local`, with the stack's output names. `npm run doctor` reads it.
   */
  outputs(): Record<string, Record<string, string>>;
  /** Whether the local schedule is ENABLED (in the Scheduler emulator): `npm start` ticks only then. */
  scheduleEnabled(): boolean;
  host: LambdaHost;
  /** The data dir's lock, when persisted: `watch` notices the data dir deleted under us. */
  lock: DataDirLock | undefined;
  /**
   * Ends every running invocation at its next step (deadline now: each saves its run and releases
   * its lease) and waits for them, at most `timeoutMs`. False if some were still running then.
   */
  drain(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 120_000;

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : undefined;
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const lock = dataDir ? await lockDataDir(dataDir, options.command ?? 'npm start') : undefined;
  let emulators: Emulators;
  try {
    emulators = await startEmulators(dataDir ? { dataDir: path.join(dataDir, 'aws') } : {});
  } catch (error) {
    await lock?.release();
    throw error;
  }
  let simulator: Simulator | undefined;
  try {
    const clients = createAwsClients({ region: emulators.region, requestTimeoutMs: 10_000, endpoints: emulators.endpoints, credentials: emulators.credentials });
    const timeoutMs = options.functionTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const resources = await provision({
      clients,
      bucket: LOCAL_NAMES.bucket,
      table: LOCAL_NAMES.table,
      queue: LOCAL_NAMES.queue,
      deadLetterQueue: LOCAL_NAMES.deadLetterQueue,
      maxReceiveCount: options.maxReceiveCount ?? 5,
      // As deployed: at least six times the function timeout, so a message is never redelivered while a run is alive.
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? Math.ceil((6 * timeoutMs) / 1000),
    });
    let baseUrl: string;
    let credentials: { appkey: string; token: string };
    let pacer: RequestPacer | undefined;
    if (options.conveyour) {
      baseUrl = options.conveyour.baseUrl;
      credentials = { appkey: options.conveyour.appkey, token: options.conveyour.token };
    } else {
      const simulatorOptions = { ...(await anchoredSimulatorOptions(dataDir, options.simulator?.seed)), ...options.simulator };
      simulator = await startSimulator(simulatorOptions);
      pacer = pacerUnder(simulatorOptions.rateLimit);
      baseUrl = simulator.url;
      credentials = simulator.credentials;
    }
    // The handlers' environment as deployed (credentials from the emulated Secrets Manager), pointing at the emulators; this process's own is left alone.
    const env: Record<string, string | undefined> = {
      ...process.env,
      PIPELINE_SOURCES: JSON.stringify([{ name: LOCAL_NAMES.source, baseUrl, collections: 'all', secretId: LOCAL_NAMES.secret }]),
      LANDING_BUCKET: resources.bucket,
      LANDING_PREFIX: options.prefix ?? '',
      CHECKPOINT_TABLE: resources.table,
      CONTINUATION_QUEUE_URL: resources.queueUrl,
      AWS_REGION: emulators.region,
      ...options.env,
    };
    const settings: FunctionSettings = { functionName: 'conveyour-stream-local', timeoutMs, memoryMb: 512 };
    await putSecret(clients, LOCAL_NAMES.secret, JSON.stringify(credentials));
    await createSchedule(emulators, await createQueueArn(clients, LOCAL_NAMES.scheduleDeadLetterQueue), settings.functionName);
    // Both functions share one pacer, as they share the one simulator and its rate limit.
    const tickRuntime = createRuntime(env, { clients, ...(pacer ? { pacer } : {}) });
    const continueRuntime = createRuntime(env, { clients, ...(pacer ? { pacer } : {}) });
    const tick = createTickHandler(tickRuntime);
    const continueHandler = createContinueHandler(continueRuntime);
    const host = createLambdaHost(settings);
    const store = new DynamoCheckpointStore(clients.documents, resources.table);
    return {
      simulator,
      emulators,
      resources,
      clients,
      settings,
      host,
      lock,
      checkpoints: () => store.list(),
      requestCounters() {
        const [a, b] = [tickRuntime.requestCounters(), continueRuntime.requestCounters()];
        return { retries: a.retries + b.retries, throttled: a.throttled + b.throttled, failures: a.failures + b.failures };
      },
      async queuedContinuations() {
        const answer = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: resources.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
        return Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0);
      },
      tick: () => host.invoke((context) => tick({ source: 'local.scheduler', 'detail-type': 'Scheduled Event' }, context)),
      deliver: (event) => host.invoke((context) => continueHandler(event, context)),
      async drain(timeoutMs) {
        // The margin the handlers keep for their final writes: fetching stops now, the writes still land.
        host.expire(tickRuntime.config.policy.safetyMarginMs);
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
        try {
          return await Promise.race([host.idle().then(() => true), timedOut]);
        } finally {
          clearTimeout(timer);
        }
      },
      startContinuations(onError, concurrency = 1) {
        const pollers = Array.from({ length: concurrency }, () =>
          startEventSourceMapping({
            sqs: clients.sqs,
            queueUrl: resources.queueUrl,
            queueArn: resources.queueArn,
            // As deployed: one continuation per invocation, each with the whole time budget.
            batchSize: 1,
            // local-aws-sqs answers a long poll only with a full batch or at its end: keep it short.
            waitSeconds: 1,
            invoke: (event) => host.invoke((context) => continueHandler(event, context)),
            onError,
          }),
        );
        return {
          stop: async () => {
            await Promise.all(pollers.map((poller) => poller.stop()));
          },
          get batches() {
            return pollers.reduce((sum, poller) => sum + poller.batches, 0);
          },
        };
      },
      outputs() {
        const prefix = env.LANDING_PREFIX ?? '';
        const values: Record<string, string> = {
          [OUTPUT.landingBucket]: resources.bucket,
          [OUTPUT.landingPrefix]: prefix === '' ? ROOT_PREFIX_OUTPUT : prefix,
          [OUTPUT.checkpointTable]: resources.table,
          [OUTPUT.continuationQueue]: resources.queueUrl,
          [OUTPUT.tickFunction]: settings.functionName,
          [OUTPUT.continueFunction]: settings.functionName,
        };
        // The sources the handlers run (a test may have given its own PIPELINE_SOURCES).
        for (const source of parseSources(env.PIPELINE_SOURCES ?? '[]', Date.now())) {
          if (source.secretId !== undefined) values[secretOutputId(source.name)] = source.secretId;
        }
        return { [LOCAL_STACK]: values };
      },
      scheduleEnabled: () => emulators.scheduler.state(LOCAL_NAMES.schedule) === 'ENABLED',
      async close() {
        await simulator?.close();
        clients.destroy();
        await emulators.close();
        await lock?.release();
      },
    };
  } catch (error) {
    await simulator?.close();
    await emulators.close();
    await lock?.release();
    throw error;
  }
}

export const LOCAL_STACK = 'conveyour-local';

async function putSecret(clients: AwsClients, name: string, value: string): Promise<void> {
  try {
    await clients.secretsManager.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceExistsException') throw error;
    await clients.secretsManager.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
  }
}

async function createQueueArn(clients: AwsClients, name: string): Promise<string> {
  const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return Attributes!.QueueArn!;
}

/** The tick's schedule as the stack declares it: every minute, retried delivery, a dead-letter queue. */
async function createSchedule(emulators: Emulators, deadLetterArn: string, functionName: string): Promise<void> {
  const scheduler = new SchedulerClient({ region: emulators.region, endpoint: emulators.endpoints.scheduler, credentials: emulators.credentials });
  try {
    await scheduler.send(
      new CreateScheduleCommand({
        Name: LOCAL_NAMES.schedule,
        ScheduleExpression: 'rate(1 minute)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: {
          Arn: `arn:aws:lambda:${emulators.region}:${LOCAL_ACCOUNT}:function:${functionName}`,
          RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/conveyour-local-schedule`,
          DeadLetterConfig: { Arn: deadLetterArn },
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 120 },
        },
      }),
    );
  } finally {
    scheduler.destroy();
  }
}

/**
 * A pacer at 90% of the simulator's rate limit: a first start's catch-up (about 2,000 requests)
 * would otherwise hit it within a second and print a retry per 429. The simulator still answers
 * 429 if it is ever reached (a user's own client, a --faults plan), and the client still retries.
 */
function pacerUnder(rateLimit: SimulatorOptions['rateLimit']): RequestPacer | undefined {
  if (rateLimit === undefined) return undefined;
  const requestsPerSecond = rateLimit.requestsPerSecond * 0.9;
  return createRequestPacer({ requestsPerSecond, burst: Math.max(1, Math.min(rateLimit.burst, Math.floor(requestsPerSecond / 10))) });
}

/**
 * The simulator's data is a function of (seed, anchor, now). Persisting seed and anchor makes a
 * second `npm start` see the same ConveYour as the first, live changes in between included, so
 * it resumes from its checkpoints against the same data. It has a rate limit, as the real API
 * would; the local functions pace their requests under it (pacerUnder).
 */
async function anchoredSimulatorOptions(dataDir: string | undefined, seed: number | undefined): Promise<SimulatorOptions> {
  const base: SimulatorOptions = { live: true, rateLimit: { requestsPerSecond: 200, burst: 400 } };
  if (!dataDir) return { ...base, seed: seed ?? 1 };
  const file = path.join(dataDir, 'simulator.json');
  let saved: { seed: number; anchorMs: number } | undefined;
  try {
    saved = JSON.parse(await readFile(file, 'utf8')) as { seed: number; anchorMs: number };
  } catch {
    saved = undefined;
  }
  if (saved && seed !== undefined && seed !== saved.seed) {
    throw new Error(`${dataDir} holds data of simulator seed ${saved.seed}; use --reset to start over with seed ${seed}`);
  }
  if (!saved) {
    saved = { seed: seed ?? 1, anchorMs: Date.now() };
    await writeFile(file, `${JSON.stringify(saved, null, 2)}\n`);
  }
  return { ...base, ...saved };
}
