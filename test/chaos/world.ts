/**
 * Everything the chaos run stands on, started in this process: the AWS emulators behind three
 * fault proxies, the ConveYour simulator in live mode on a clock the run can move forward, the
 * pipeline's real adapters on SDK clients that talk to the proxies, and direct clients for the
 * run's own inspection (never faulted).
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createAwsClients, type AwsClients } from '../../functions/adapters/awsClients.js';
import { DynamoCheckpointStore } from '../../functions/adapters/dynamoCheckpointStore.js';
import { S3ObjectSink } from '../../functions/adapters/s3ObjectSink.js';
import { SqsContinuationQueue } from '../../functions/adapters/sqsContinuationQueue.js';
import { ConveYourClient } from '../../functions/conveyour/client.js';
import { clientTuningFromEnv } from '../../functions/conveyour/tuning.js';
import { loadPipelineConfig } from '../../functions/handlers/config.js';
import type { PipelinePolicy, SourceRuntime } from '../../functions/pipeline/orchestrate.js';
import { startEmulators, type Emulators } from '../../infra/local/emulators.js';
import { provision, type Provisioned } from '../../infra/local/provision.js';
import { startSimulator, type Simulator } from '../../infra/local/simulator/index.js';
import { RecordingStore } from '../support/faultyPorts.js';
import { startFaultProxy, type FaultProxy, type ProxiedService } from '../support/faultProxy.js';
import { AwsFaultPlan, type AwsFaultRates } from './awsFaults.js';
import type { SimulatorModes } from './simulatorModes.js';

export const SOURCE = 'chaos';

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
}

export interface World {
  clock: WorldClock;
  sim: Simulator;
  emulators: Emulators;
  resources: Provisioned;
  proxies: Record<ProxiedService, FaultProxy>;
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
  sources: SourceRuntime[];
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

    const scale = options.records / DEFAULT_RECORDS;
    const sim = await startSimulator({
      seed: options.seed,
      now: clock.nowMs,
      history: { days: 7, counts: Object.fromEntries(Object.entries(DEFAULT_COUNTS).map(([name, count]) => [name, Math.max(5, Math.round(count * scale))])) },
      pageSize: options.pageSize,
      live: {
        intervalMs: 0,
        createsPerMinute: { events: 300, contacts: 20, message_reports: 40, trigger_logs: 30, campaigns: 1, lessons: 1, tags: 1, triggers: 1 },
        updatesPerMinute: { contacts: 30, message_reports: 30, lessons: 2, campaigns: 1, triggers: 1, tags: 0.5 },
        // Every version stays current for an hour of the run's clock, longer than any stall the
        // run allows, so every version is observable and "every version lands" can be demanded.
        minVersionGapSeconds: 3600,
        ...options.simulator?.live,
      },
      // The server's own clock: the run's clock shifted, so the simulator never stamps with the pipeline's time.
      ...(options.simulator?.clockOffsetSeconds === undefined ? {} : { clockOffsetSeconds: options.simulator.clockOffsetSeconds }),
      ...(options.simulator?.bursts === undefined ? {} : { bursts: options.simulator.bursts }),
    });
    closers.push(() => sim.close());

    const aws = new AwsFaultPlan(options.seed, options.awsRates, options.eager);
    const proxy = async (service: ProxiedService) => {
      const started = await startFaultProxy({ service, target: emulators.endpoints[service], decide: aws.decideFor(service), observe: aws.observeFor(service) });
      closers.push(() => started.close());
      return started;
    };
    const proxies = { s3: await proxy('s3'), dynamodb: await proxy('dynamodb'), sqs: await proxy('sqs') };
    const env = {
      PIPELINE_SOURCES: JSON.stringify([{ name: SOURCE, baseUrl: sim.url, collections: 'all' }]),
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
      endpoints: { s3: proxies.s3.url, dynamodb: proxies.dynamodb.url, sqs: proxies.sqs.url },
      credentials: emulators.credentials,
    });
    closers.push(() => pipelineClients.destroy());

    const client = new ConveYourClient({ baseUrl: sim.url, credentials: sim.credentials, keepAliveTimeoutMs: 1_000, ...clientTuningFromEnv(env) });
    closers.push(() => client.close());

    return {
      clock,
      sim,
      emulators,
      resources,
      proxies,
      aws,
      pipelineClients,
      directClients,
      store: new RecordingStore(new DynamoCheckpointStore(pipelineClients.documents, resources.table)),
      sink: new S3ObjectSink(pipelineClients.s3, resources.bucket),
      queue: new SqsContinuationQueue(pipelineClients.sqs, resources.queueUrl),
      directStore: new DynamoCheckpointStore(directClients.documents, resources.table),
      sources: config.sources.map((source) => ({ name: source.name, collections: source.collections, pages: client })),
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
