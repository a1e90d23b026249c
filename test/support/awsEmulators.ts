/**
 * The in-process AWS emulators for integration tests: start once per file, then take fresh,
 * uniquely named resources per test so tests never see each other's objects, items or messages.
 *
 *   const aws = await startAwsEmulators();          // beforeAll
 *   const { sink, checkpoints, queue } = await aws.fresh();
 *   await aws.close();                              // afterAll
 */
import { randomUUID } from 'node:crypto';
import { createAwsClients, type AwsClients } from '../../functions/adapters/awsClients.js';
import { DynamoCheckpointStore } from '../../functions/adapters/dynamoCheckpointStore.js';
import { S3ObjectSink } from '../../functions/adapters/s3ObjectSink.js';
import { SqsContinuationQueue } from '../../functions/adapters/sqsContinuationQueue.js';
import { startEmulators, type EmulatorOptions, type Emulators } from '../../infra/local/emulators.js';
import { provision, type Provisioned } from '../../infra/local/provision.js';

export interface AwsTestResources extends Provisioned {
  checkpoints: DynamoCheckpointStore;
  sink: S3ObjectSink;
  queue: SqsContinuationQueue;
}

export interface AwsTestEnv {
  emulators: Emulators;
  clients: AwsClients;
  /** Provisions a new bucket, table and queue pair with unique names, and adapters on them. */
  fresh(options?: { maxReceiveCount?: number; visibilityTimeoutSeconds?: number }): Promise<AwsTestResources>;
  close(): Promise<void>;
}

export async function startAwsEmulators(options: EmulatorOptions & { requestTimeoutMs?: number } = {}): Promise<AwsTestEnv> {
  const { requestTimeoutMs = 5_000, ...emulatorOptions } = options;
  const emulators = await startEmulators(emulatorOptions);
  const clients = createAwsClients({
    region: emulators.region,
    requestTimeoutMs,
    endpoints: emulators.endpoints,
    credentials: emulators.credentials,
  });
  return {
    emulators,
    clients,
    async fresh({ maxReceiveCount = 5, visibilityTimeoutSeconds = 30 } = {}) {
      const id = uniqueName();
      const resources = await provision({
        clients,
        bucket: `landing-${id}`,
        table: `checkpoints-${id}`,
        queue: `continuations-${id}`,
        maxReceiveCount,
        visibilityTimeoutSeconds,
      });
      return {
        ...resources,
        checkpoints: new DynamoCheckpointStore(clients.documents, resources.table),
        sink: new S3ObjectSink(clients.s3, resources.bucket),
        queue: new SqsContinuationQueue(clients.sqs, resources.queueUrl),
      };
    },
    async close() {
      clients.destroy();
      await emulators.close();
    },
  };
}

/** Lowercase, short, unique: valid as a bucket, table and queue name. */
export function uniqueName(): string {
  return randomUUID().replaceAll('-', '').slice(0, 12);
}
