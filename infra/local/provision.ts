/**
 * Creates what the CDK stack creates in the cloud, on the local emulators: the landing
 * bucket, the checkpoint table, and the continuation queue with its dead-letter queue.
 * Idempotent: running it against resources that exist (a persisted `.local/`) is a no-op,
 * and queue attributes are brought to the given values.
 */
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { checkpointTableSchema } from '../../functions/adapters/dynamoCheckpointStore.js';

export interface ProvisionOptions {
  clients: { s3: S3Client; dynamodb: DynamoDBClient; sqs: SQSClient };
  bucket: string;
  table: string;
  queue: string;
  /** Default `${queue}-dlq`. */
  deadLetterQueue?: string;
  /** Receives before SQS moves a message to the dead-letter queue. Default 5 (1..1000). */
  maxReceiveCount?: number;
  /** The continuation queue's visibility timeout (0..43200); in the cloud, ≥ 6× the function timeout. */
  visibilityTimeoutSeconds: number;
  /** How long to wait for the table to become ACTIVE. Default 30 s. */
  tableTimeoutMs?: number;
}

export interface Provisioned {
  bucket: string;
  table: string;
  queueName: string;
  queueUrl: string;
  queueArn: string;
  deadLetterQueueName: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
}

/** SQS's limit for a message kept in a queue: the dead-letter queue keeps them as long as it can. */
const MAX_RETENTION_SECONDS = 14 * 24 * 3600;

export async function provision(options: ProvisionOptions): Promise<Provisioned> {
  const maxReceiveCount = options.maxReceiveCount ?? 5;
  checkInteger('maxReceiveCount', maxReceiveCount, 1, 1000);
  checkInteger('visibilityTimeoutSeconds', options.visibilityTimeoutSeconds, 0, 43_200);
  const deadLetterQueueName = options.deadLetterQueue ?? `${options.queue}-dlq`;
  const { s3, dynamodb, sqs } = options.clients;

  await Promise.all([createBucket(s3, options.bucket), createTable(dynamodb, options.table, options.tableTimeoutMs ?? 30_000)]);

  const deadLetter = await createQueue(sqs, deadLetterQueueName, { MessageRetentionPeriod: String(MAX_RETENTION_SECONDS) });
  const queue = await createQueue(sqs, options.queue, {
    VisibilityTimeout: String(options.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetter.arn, maxReceiveCount }),
  });
  return {
    bucket: options.bucket,
    table: options.table,
    queueName: options.queue,
    queueUrl: queue.url,
    queueArn: queue.arn,
    deadLetterQueueName,
    deadLetterQueueUrl: deadLetter.url,
    deadLetterQueueArn: deadLetter.arn,
  };
}

async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    // s3rver answers BucketAlreadyExists for its own buckets; S3 answers BucketAlreadyOwnedByYou.
    if (!['BucketAlreadyExists', 'BucketAlreadyOwnedByYou'].includes((error as Error).name)) throw failed(`create bucket ${bucket}`, error);
  }
}

async function createTable(dynamodb: DynamoDBClient, table: string, timeoutMs: number): Promise<void> {
  try {
    await dynamodb.send(new CreateTableCommand({ ...checkpointTableSchema, TableName: table }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw failed(`create table ${table}`, error);
  }
  const deadline = Date.now() + timeoutMs;
  for (let delayMs = 20; ; delayMs = Math.min(delayMs * 2, 1_000)) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() + delayMs > deadline) throw new Error(`table ${table} is still ${Table?.TableStatus} after ${timeoutMs} ms; expected ACTIVE`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<{ url: string; arn: string }> {
  let url: string | undefined;
  try {
    ({ QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })));
  } catch (error) {
    // The queue exists with other attributes (an earlier run with other settings): it is brought to these below.
    if ((error as Error).name !== 'QueueNameExists') throw failed(`create queue ${name}`, error);
    ({ QueueUrl: url } = await sqs.send(new GetQueueUrlCommand({ QueueName: name })));
  }
  if (!url) throw new Error(`SQS returned no URL for queue ${name}`);
  // Also after a fresh create: local-aws-sqs 2.0.2 ignores a VisibilityTimeout of 0 in CreateQueue (keeps 30).
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`SQS returned no ARN for queue ${name}`);
  return { url, arn };
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
}

function failed(what: string, error: unknown): Error {
  const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
  return new Error(`could not ${what}: ${name}: ${message}`, { cause: error });
}
