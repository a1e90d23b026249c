/**
 * What the doctor looks at: one stack's outputs (from `npx cdk deploy --outputs-file`, or
 * the local runtime's equivalent), its region, and, locally, the emulators' endpoints. The
 * stack outputs name neither the schedule nor the dead-letter queues: the doctor finds them
 * from what they do name (the schedule targets the tick function; the continuation queue's
 * redrive policy names its DLQ; the schedule's target names its own).
 */
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { ConfigError } from '../../functions/config/env.js';
import { createAwsClients, type AwsClients, type StaticCredentials } from '../../functions/adapters/awsClients.js';
import { OUTPUT } from '../cdk/outputs.js';

export interface LocalEndpoints {
  s3: string;
  dynamodb: string;
  sqs: string;
  secretsManager: string;
  scheduler: string;
}

export interface DoctorTarget {
  stack: string;
  region: string;
  /** The stack's outputs, by output name. */
  outputs: Record<string, string>;
  /** Emulators (local runtime); absent: AWS through the default credential chain. */
  endpoints?: LocalEndpoints;
  credentials?: StaticCredentials;
}

export interface DoctorClients extends AwsClients {
  scheduler: SchedulerClient;
}

/** One stack of a cdk-outputs.json; `--stack` picks one when the file holds several. */
export function targetFromOutputs(json: unknown, stackName: string | undefined, region: string | undefined): DoctorTarget {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError('--outputs', '--outputs must be the JSON file written by npx cdk deploy --outputs-file cdk-outputs.json');
  const stacks = Object.keys(json);
  const stack = stackName ?? (stacks.length === 1 ? stacks[0] : undefined);
  if (stack === undefined) throw new ConfigError('--stack', `--stack is required: the outputs file holds ${stacks.length === 0 ? 'no stacks' : `stacks ${stacks.join(', ')}`}`);
  const values = (json as Record<string, unknown>)[stack];
  if (typeof values !== 'object' || values === null) throw new ConfigError('--stack', `--stack '${stack}' is not in the outputs file; it holds: ${stacks.join(', ')}`);
  const outputs = Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  for (const key of [OUTPUT.checkpointTable, OUTPUT.continuationQueue, OUTPUT.landingBucket, OUTPUT.tickFunction]) {
    if (!outputs[key]) throw new ConfigError('--outputs', `the outputs of stack '${stack}' have no ${key}; deploy the current stack with --outputs-file cdk-outputs.json again`);
  }
  const resolved = region ?? regionOfQueueUrl(outputs[OUTPUT.continuationQueue]!) ?? process.env.AWS_REGION;
  if (!resolved) throw new ConfigError('--region', '--region (or AWS_REGION) is required: the continuation queue URL names no region');
  return { stack, region: resolved, outputs };
}

/** `https://sqs.eu-west-1.amazonaws.com/123/name` -> eu-west-1. */
function regionOfQueueUrl(url: string): string | undefined {
  return /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\//.exec(url)?.[1];
}

export function createDoctorClients(target: DoctorTarget): DoctorClients {
  const common = { region: target.region, requestTimeoutMs: 10_000, maxAttempts: 2, ...(target.credentials ? { credentials: target.credentials } : {}) };
  const aws = createAwsClients({ ...common, ...(target.endpoints ? { endpoints: target.endpoints } : {}) });
  const scheduler = new SchedulerClient({
    region: target.region,
    maxAttempts: 2,
    requestHandler: { requestTimeout: 10_000, connectionTimeout: 3_000 },
    ...(target.endpoints ? { endpoint: target.endpoints.scheduler } : {}),
    ...(target.credentials ? { credentials: target.credentials } : {}),
  });
  return {
    ...aws,
    scheduler,
    destroy() {
      aws.destroy();
      scheduler.destroy();
    },
  };
}

/** An AWS CLI command against the target: locally with the emulator's --endpoint-url. */
export function awsCommand(target: DoctorTarget, service: keyof LocalEndpoints | 'logs' | 'sts', args: string): string {
  const endpoint = target.endpoints && service !== 'logs' && service !== 'sts' ? ` --endpoint-url ${target.endpoints[service]}` : '';
  const cli = { s3: 's3api', dynamodb: 'dynamodb', sqs: 'sqs', secretsManager: 'secretsmanager', scheduler: 'scheduler', logs: 'logs', sts: 'sts' }[service];
  return `aws ${cli} ${args}${endpoint}`;
}

/** Quotes one shell word (single quotes), for commands the operator pastes. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
