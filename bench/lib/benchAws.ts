/**
 * The real AWS adapters on the emulators, with the emulators in their own process: fresh,
 * uniquely named resources per run, so one run never reads another's checkpoints or objects.
 */
import { randomUUID } from 'node:crypto';
import { createAwsClients, type AwsClients } from '../../functions/adapters/awsClients.js';
import { DynamoCheckpointStore } from '../../functions/adapters/dynamoCheckpointStore.js';
import { S3ObjectSink } from '../../functions/adapters/s3ObjectSink.js';
import { SqsContinuationQueue } from '../../functions/adapters/sqsContinuationQueue.js';
import { provision, type Provisioned } from '../../infra/local/provision.js';
import type { EmulatorsReady } from '../hosts/emulatorsHost.js';
import { startChild, type Child } from './child.js';

export interface BenchResources extends Provisioned {
  store: DynamoCheckpointStore;
  sink: S3ObjectSink;
  queue: SqsContinuationQueue;
}

export interface BenchAws {
  emulators: EmulatorsReady;
  clients: AwsClients;
  fresh(): Promise<BenchResources>;
  close(): Promise<void>;
}

/** Connects to emulators already running (e.g. started by the parent of a memory case). */
export function connectAws(emulators: EmulatorsReady, onClose: () => Promise<void> = async () => {}): BenchAws {
  const clients = createAwsClients({ region: emulators.region, requestTimeoutMs: 30_000, endpoints: emulators.endpoints, credentials: emulators.credentials });
  return {
    emulators,
    clients,
    async fresh() {
      const id = randomUUID().replaceAll('-', '').slice(0, 12);
      const resources = await provision({ clients, bucket: `bench-${id}`, table: `bench-${id}`, queue: `bench-${id}`, visibilityTimeoutSeconds: 1800 });
      return {
        ...resources,
        store: new DynamoCheckpointStore(clients.documents, resources.table),
        sink: new S3ObjectSink(clients.s3, resources.bucket),
        queue: new SqsContinuationQueue(clients.sqs, resources.queueUrl),
      };
    },
    async close() {
      clients.destroy();
      await onClose();
    },
  };
}

/** Starts the emulators in a child process and connects the real adapters to them. */
export async function startBenchAws(): Promise<BenchAws & { child: Child<EmulatorsReady> }> {
  const child = await startChild<EmulatorsReady>('bench/hosts/emulatorsHost.ts');
  return { ...connectAws(child.ready, () => child.close()), child };
}
