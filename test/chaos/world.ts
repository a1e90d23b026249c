/**
 * Everything the chaos run stands on, started in this process: the AWS emulators behind three
 * fault proxies, the ConveYour simulator in live mode on a clock the run can move forward, the
 * pipeline's real adapters on SDK clients that talk to the proxies, and direct clients for the
 * run's own inspection (never faulted).
 */
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createAwsClients, type AwsClients } from '../../functions/adapters/awsClients.js';
import { DynamoCheckpointStore } from '../../functions/adapters/dynamoCheckpointStore.js';
import { S3ObjectSink } from '../../functions/adapters/s3ObjectSink.js';
import { SqsContinuationQueue } from '../../functions/adapters/sqsContinuationQueue.js';
import { ConveYourSecrets } from '../../functions/adapters/secrets.js';
import { ConveYourClient } from '../../functions/conveyour/client.js';
import { COLLECTIONS, type CollectionName } from '../../functions/conveyour/collections.js';
import type { PageSource } from '../../functions/conveyour/types.js';
import { clientTuningFromEnv } from '../../functions/conveyour/tuning.js';
import { loadPipelineConfig } from '../../functions/handlers/config.js';
import { SourcePages } from '../../functions/handlers/sourcePages.js';
import type { Log } from '../../functions/pipeline/ports.js';
import type { PipelinePolicy, SourceRuntime } from '../../functions/pipeline/orchestrate.js';
import { startEmulators, type Emulators } from '../../infra/local/emulators.js';
import { provision, type Provisioned } from '../../infra/local/provision.js';
import { startSimulator, type Simulator } from '../../infra/local/simulator/index.js';
import { RecordingStore } from '../support/faultyPorts.js';
import { PASS, secretsAccessDenied, startFaultProxy, type FaultProxy, type ProxiedService } from '../support/faultProxy.js';
import { AwsFaultPlan, SDK_MAX_ATTEMPTS, type AwsFaultRates } from './awsFaults.js';
import { startConveYourProxy, type ConveYourProxy } from './conveyourProxy.js';
import type { SimulatorModes } from './simulatorModes.js';

export const SOURCE = 'chaos';
/** The second source: a smaller account whose secret is missing or denied part of the time. */
export const FLAKY_SOURCE = 'chaos-b';
/** What fraction of the first source's records the second one holds. */
const FLAKY_SOURCE_SCALE = 0.1;

/** The second source's secret: readable, created without a value yet (a source added before its secret is set), or denied by IAM. */
export type SecretState = 'readable' | 'not yet set' | 'denied';

/** One ConveYour account the pipeline reads, behind its own proxy (blackouts), with its truth for the verdict. */
export interface Account {
  name: string;
  sim: Simulator;
  proxy: ConveYourProxy;
  collections: readonly CollectionName[];
  secretId: string;
}

/** A clock that runs with real time and that the run jumps forward (a minute between ticks, a lease's expiry). */
export class WorldClock {
  private offsetMs: number;
  constructor(startMs: number) {
    this.offsetMs = startMs - Date.now();
  }
  nowMs = (): number => Date.now() + this.offsetMs;
  advance(ms: number): void {
    if (ms > 0) this.offsetMs += ms;
  }
}

export interface WorldOptions {
  seed: number;
  /** About this many records in the simulated account before the run starts. */
  records: number;
  pageSize: number;
  awsRates: AwsFaultRates;
  /** Inject every AWS fault kind early (see AwsFaultPlan). */
  eager: boolean;
  /** Continuation queue visibility timeout: short, so redeliveries happen within the run. */
  visibilityTimeoutSeconds: number;
  /** Simulator modes (server clock offset, bursts, late writes, deletions, transcript changes); default none. */
  simulator?: SimulatorModes;
  /** Where the runtime's own warnings go (a source unavailable). */
  log: Log;
}

export interface World {
  clock: WorldClock;
  /** The main source's simulator (accounts[0].sim). */
  sim: Simulator;
  /** Every source: the main one first, then the flaky one. */
  accounts: Account[];
  emulators: Emulators;
  resources: Provisioned;
  proxies: Record<Exclude<ProxiedService, 'secretsmanager'>, FaultProxy>;
  aws: AwsFaultPlan;
  /** Through the proxies: what the pipeline uses. */
  pipelineClients: AwsClients;
  /** Straight to the emulators: what the run inspects with. */
  directClients: AwsClients;
  /** Every checkpoint write the pipeline's store acknowledged, for checkMonotonic. */
  store: RecordingStore;
  sink: S3ObjectSink;
  queue: SqsContinuationQueue;
  directStore: DynamoCheckpointStore;
  /** The sources as a handler reads them at the start of each invocation (secrets through SourcePages). */
  sources(): Promise<SourceRuntime[]>;
  /** A new container: the secrets and clients cache starts empty, so the next invocation reads every secret again. */
  coldStart(): void;
  /** The flaky source's secret from now on. */
  setSecret(state: SecretState): Promise<void>;
  readonly secretState: SecretState;
  /** Sources as configured (for the consumer's message catalog). */
  catalogSources: SourceRuntime[];
  policy: PipelinePolicy;
  queueDepth(): Promise<number>;
  close(): Promise<void>;
}

const START_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
/** The simulator's default account: about 24,000 records plus 2.5 transcripts per contact. */
const DEFAULT_RECORDS = 29_000;
const DEFAULT_COUNTS = { tags: 80, campaigns: 60, contacts: 2_000, lessons: 240, triggers: 200, events: 20_000, message_reports: 800, trigger_logs: 600 };

export async function startWorld(options: WorldOptions): Promise<World> {
  const closers: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await Promise.resolve(closer()).catch(() => undefined);
  };
  try {
    const clock = new WorldClock(START_MS);
    const emulators = await startEmulators();
    closers.push(() => emulators.close());
    const directClients = createAwsClients({ region: emulators.region, requestTimeoutMs: 10_000, endpoints: emulators.endpoints, credentials: emulators.credentials });
    closers.push(() => directClients.destroy());
    const resources = await provision({
      clients: directClients,
      bucket: 'chaos-landing',
      table: 'chaos-checkpoints',
      queue: 'chaos-continuations',
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    });

    const aws = new AwsFaultPlan(options.seed, options.awsRates, options.eager);
    const proxy = async (service: Exclude<ProxiedService, 'secretsmanager'>) => {
      const started = await startFaultProxy({ service, target: emulators.endpoints[service], decide: aws.decideFor(service), observe: aws.observeFor(service) });
      closers.push(() => started.close());
      return started;
    };
    const proxies = { s3: await proxy('s3'), dynamodb: await proxy('dynamodb'), sqs: await proxy('sqs') };

    const account = async (name: string, seed: number, records: number, liveScale: number): Promise<Account> => {
      const sim = await startAccountSimulator(seed, records, options.pageSize, clock, liveScale, modesFor(name, options.simulator));
      closers.push(() => sim.close());
      const conveyour = await startConveYourProxy(sim.url);
      closers.push(() => conveyour.close());
      return { name, sim, proxy: conveyour, collections: COLLECTIONS, secretId: `conveyour/${name}` };
    };
    const accounts = [
      await account(SOURCE, options.seed, options.records, 1),
      await account(FLAKY_SOURCE, options.seed + 1, Math.max(300, Math.round(options.records * FLAKY_SOURCE_SCALE)), FLAKY_SOURCE_SCALE),
    ];
    const [main, flaky] = accounts as [Account, Account];

    // The secrets: the main source's is always readable; the flaky one's starts not yet set.
    let secretState: SecretState = 'not yet set';
    const secretsProxy = await startFaultProxy({
      service: 'secretsmanager',
      target: emulators.endpoints.secretsManager,
      decide: (request) =>
        secretState === 'denied' && request.operation === 'GetSecretValue' && request.body.toString('utf8').includes(flaky.secretId) ? { kind: 'answer', fault: 'secret denied', response: secretsAccessDenied(flaky.secretId) } : PASS,
    });
    closers.push(() => secretsProxy.close());
    await directClients.secretsManager.send(new CreateSecretCommand({ Name: main.secretId, SecretString: JSON.stringify(main.sim.credentials) }));
    await directClients.secretsManager.send(new CreateSecretCommand({ Name: flaky.secretId }));
    let flakyValueSet = false;

    const env = {
      PIPELINE_SOURCES: JSON.stringify(accounts.map((a) => ({ name: a.name, baseUrl: a.proxy.url, secretId: a.secretId, collections: 'all' }))),
      LANDING_BUCKET: resources.bucket,
      CHECKPOINT_TABLE: resources.table,
      CONTINUATION_QUEUE_URL: resources.queueUrl,
      // Small objects and checkpoints after every page or few contacts: many more effects to fault and crash between.
      FLUSH_BYTES: '8192',
      LEASE_SLACK_MS: '1500',
      SAFETY_MARGIN_MS: '600',
      INITIAL_STEP_ESTIMATE_MS: '150',
      AWS_REQUEST_TIMEOUT_MS: '2000',
      // Impatient ConveYour client: a hung response is given up after a second.
      CONVEYOUR_REQUEST_TIMEOUT_MS: '1000',
      CONVEYOUR_RETRY_MAX_ATTEMPTS: '6',
      CONVEYOUR_RETRY_BASE_MS: '10',
      CONVEYOUR_RETRY_MAX_DELAY_MS: '100',
      CONVEYOUR_RETRY_MAX_ELAPSED_MS: '4000',
    };
    // The functions' own config loader gives the policy, as it does at cold start.
    const config = loadPipelineConfig(env, clock.nowMs());
    const pipelineClients = createAwsClients({
      region: emulators.region,
      requestTimeoutMs: config.awsRequestTimeoutMs,
      maxAttempts: SDK_MAX_ATTEMPTS,
      endpoints: { s3: proxies.s3.url, dynamodb: proxies.dynamodb.url, sqs: proxies.sqs.url, secretsManager: secretsProxy.url },
      credentials: emulators.credentials,
    });
    closers.push(() => pipelineClients.destroy());

    // One HTTP client per source for the whole run (a cold start reads the secrets again, the pools are the same).
    const clients = new Map<string, ConveYourClient>();
    const clientFor = (source: { name: string; baseUrl: string }, credentials: { appkey: string; token: string }): PageSource => {
      let client = clients.get(source.name);
      if (!client) {
        client = new ConveYourClient({ baseUrl: source.baseUrl, credentials, keepAliveTimeoutMs: 1_000, ...clientTuningFromEnv(env) });
        clients.set(source.name, client);
      }
      return client;
    };
    closers.push(async () => {
      for (const client of clients.values()) await client.close();
    });
    const container = () => {
      const secrets = new ConveYourSecrets(pipelineClients.secretsManager);
      return new SourcePages((source) => secrets.credentials(source.secretId!), clientFor, options.log);
    };
    let pages = container();

    return {
      clock,
      sim: main.sim,
      accounts,
      emulators,
      resources,
      proxies,
      aws,
      pipelineClients,
      directClients,
      // The invocation's deadline signal reaches the store, as it does deployed.
      store: new RecordingStore(new DynamoCheckpointStore(pipelineClients.documents, resources.table), true),
      sink: new S3ObjectSink(pipelineClients.s3, resources.bucket),
      queue: new SqsContinuationQueue(pipelineClients.sqs, resources.queueUrl),
      directStore: new DynamoCheckpointStore(directClients.documents, resources.table),
      sources: () => pages.sources(config.sources),
      coldStart() {
        pages = container();
      },
      async setSecret(state) {
        if (state === 'not yet set' && flakyValueSet) throw new Error('a secret once set cannot go back to not yet set; deny it instead');
        if (state === 'readable' && !flakyValueSet) {
          await directClients.secretsManager.send(new PutSecretValueCommand({ SecretId: flaky.secretId, SecretString: JSON.stringify(flaky.sim.credentials) }));
          flakyValueSet = true;
        }
        secretState = state;
      },
      get secretState() {
        return secretState;
      },
      catalogSources: config.sources.map((source) => ({ name: source.name, collections: source.collections, pages: undefined as never })),
      policy: config.policy,
      async queueDepth() {
        const { Attributes = {} } = await directClients.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: resources.queueUrl,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
          }),
        );
        return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A simulated account in live mode, about `records` records to start with, on the run's clock. */
/** Every account runs on the server's clock; the main account alone gets the bursts and the modes the tail cannot see. */
function modesFor(name: string, modes: SimulatorModes | undefined): SimulatorModes | undefined {
  if (!modes || name === SOURCE) return modes;
  return modes.clockOffsetSeconds === undefined ? undefined : { clockOffsetSeconds: modes.clockOffsetSeconds, live: {}, argv: [] };
}

function startAccountSimulator(seed: number, records: number, pageSize: number, clock: WorldClock, liveScale: number, modes: SimulatorModes | undefined): Promise<Simulator> {
  const scale = records / DEFAULT_RECORDS;
  const perMinute = (rates: Record<string, number>) => Object.fromEntries(Object.entries(rates).map(([name, rate]) => [name, rate * liveScale]));
  return startSimulator({
    seed,
    now: clock.nowMs,
    credentials: { appkey: `chaos-appkey-${seed}`, token: `chaos-token-${seed}` },
    history: { days: 7, counts: Object.fromEntries(Object.entries(DEFAULT_COUNTS).map(([name, count]) => [name, Math.max(5, Math.round(count * scale))])) },
    pageSize,
    live: {
      intervalMs: 0,
      createsPerMinute: perMinute({ events: 300, contacts: 20, message_reports: 40, trigger_logs: 30, campaigns: 1, lessons: 1, tags: 1, triggers: 1 }),
      updatesPerMinute: perMinute({ contacts: 30, message_reports: 30, lessons: 2, campaigns: 1, triggers: 1, tags: 0.5 }),
      // Every version stays current for an hour of the run's clock, longer than any stall the
      // run allows, so every version is observable and "every version lands" can be demanded.
      minVersionGapSeconds: 3600,
      ...modes?.live,
    },
    // The server's own clock: the run's clock shifted, so the simulator never stamps with the pipeline's time.
    ...(modes?.clockOffsetSeconds === undefined ? {} : { clockOffsetSeconds: modes.clockOffsetSeconds }),
    ...(modes?.bursts === undefined ? {} : { bursts: modes.bursts }),
  });
}
