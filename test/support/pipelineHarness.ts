/**
 * The pipeline core wired to real adapters on the in-process emulators and to the simulator
 * over real HTTP, with a controllable clock and per-invocation budgets: for integration tests
 * that need to stop the world between two effects.
 */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ConveYourClient } from '../../functions/conveyour/client.js';
import type { ConveYourRecord } from '../../functions/conveyour/types.js';
import { basePolicy } from './pipelineFixture.js';
import type { PipelineDeps, PipelinePolicy, SourceRuntime } from '../../functions/pipeline/orchestrate.js';
import { silentLog, type Log } from '../../functions/pipeline/ports.js';
import { startSimulator, type Simulator } from '../../infra/local/simulator/index.js';
import type { SimulatorOptions } from '../../infra/local/simulator/options.js';
import type { AwsTestEnv, AwsTestResources } from './awsEmulators.js';
import { listKeys } from './listKeys.js';

export const SOURCE = 'sim';

export interface LandedObject {
  key: string;
  records: ConveYourRecord[];
  metadata: Record<string, string>;
}

export interface Harness {
  sim: Simulator;
  res: AwsTestResources;
  client: ConveYourClient;
  sources: SourceRuntime[];
  clock: { ms: number };
  deps(overrides?: Omit<Partial<PipelineDeps>, 'policy'> & { policy?: Partial<PipelinePolicy> }): PipelineDeps;
  landed(): Promise<LandedObject[]>;
  /** The landed keys only, without reading the objects. */
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

export const testPolicy: PipelinePolicy = {
  ...basePolicy,
  prefix: 'raw/',
  flushBytes: 16 * 1024 * 1024,
  collectionConcurrency: 4,
  maxHops: 10,
  safetyMarginMs: 1_000,
  initialStepEstimateMs: 100,
};

export async function startHarness(
  aws: AwsTestEnv,
  options: { simulator?: SimulatorOptions; collections?: string[]; startMs?: number } = {},
): Promise<Harness> {
  const clock = { ms: options.startMs ?? Date.UTC(2026, 0, 15, 12, 0, 0) };
  const sim = await startSimulator({
    seed: 7,
    now: () => clock.ms,
    history: { days: 3, counts: { contacts: 120, events: 900, campaigns: 12, lessons: 15, message_reports: 60, tags: 8, triggers: 10, trigger_logs: 40 } },
    pageSize: 100,
    ...options.simulator,
  });
  const res = await aws.fresh({ visibilityTimeoutSeconds: 1 });
  const client = new ConveYourClient({
    baseUrl: sim.url,
    credentials: sim.credentials,
    keepAliveTimeoutMs: 100,
    requestTimeoutMs: 2_000,
    retry: { baseDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 5_000 },
  });
  const sources: SourceRuntime[] = [{ name: SOURCE, collections: options.collections ?? ['events'], pages: client }];
  let invocation = 0;
  let runs = 0;
  return {
    sim,
    res,
    client,
    sources,
    clock,
    deps(overrides = {}) {
      const { policy, ...rest } = overrides;
      return {
        store: res.checkpoints,
        sink: res.sink,
        queue: res.queue,
        clock: { nowMs: () => clock.ms },
        log: silentLog as Log,
        policy: { ...testPolicy, ...policy },
        remainingMs: () => 600_000,
        owner: `invocation-${++invocation}`,
        newRunId: () => `run-${++runs}`,
        ...rest,
      };
    },
    async landed() {
      const objects: LandedObject[] = [];
      for (const key of await listKeys(aws.clients.s3, res.bucket)) {
        const object = await aws.clients.s3.send(new GetObjectCommand({ Bucket: res.bucket, Key: key }));
        const text = gunzipSync(Buffer.from(await object.Body!.transformToByteArray())).toString('utf8');
        objects.push({
          key,
          metadata: object.Metadata ?? {},
          records: text
            .split('\n')
            .filter((line) => line !== '')
            .map((line) => JSON.parse(line) as ConveYourRecord),
        });
      }
      return objects;
    },
    keys: () => listKeys(aws.clients.s3, res.bucket),
    async close() {
      await client.close();
      await sim.close();
    },
  };
}

/** `(_id, updated_at)` identities of landed records: what downstream dedupes on. */
export function versionsOf(objects: readonly LandedObject[], collection?: string): string[] {
  return objects
    .filter((object) => collection === undefined || object.key.includes(`collection=${collection}/`))
    .flatMap((object) => object.records.map((record) => `${record._id}@${record.updated_at}`));
}
