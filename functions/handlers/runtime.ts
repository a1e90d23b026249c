/**
 * Everything a handler needs, built once per container: validated config, SDK clients with
 * timeouts, the adapters, and one ConveYour client per source (credentials read from
 * Secrets Manager on first use and cached: sourcePages.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { type Env, optionalNumber, optionalString } from '../config/env.js';
import { createAwsClients, type AwsClients } from '../adapters/awsClients.js';
import { DynamoCheckpointStore } from '../adapters/dynamoCheckpointStore.js';
import { S3ObjectSink } from '../adapters/s3ObjectSink.js';
import { ConveYourSecrets } from '../adapters/secrets.js';
import { SqsContinuationQueue } from '../adapters/sqsContinuationQueue.js';
import { DynamoBackfillStore } from '../adapters/dynamoBackfillStore.js';
import type { BackfillDeps } from '../backfill/worker.js';
import { createLogger, createMetrics, logOf, reportInvocation } from '../adapters/telemetry.js';
import { clientTuningFromEnv } from '../conveyour/tuning.js';
import { ConveYourClient, clientOptionsFromEnv } from '../conveyour/client.js';
import type { Credentials } from '../conveyour/types.js';
import type { Catalog } from '../pipeline/messages.js';
import { catalogOf, type InvocationResult, type SourceRuntime } from '../pipeline/orchestrate.js';
import { loadPipelineConfig, type PipelineConfig, type SourceConfig } from './config.js';
import { SourcePages } from './sourcePages.js';

export interface Runtime {
  config: PipelineConfig;
  logger: Logger;
  catalog: Catalog;
  sources(): Promise<SourceRuntime[]>;
  deps(context: Context): BackfillDeps;
  report(result: InvocationResult, kind: 'tick' | 'continue', startedMs: number): void;
}

/** `clients`: the caller's SDK clients (the local runtime's, on its emulators); by default built from `env`. */
export function createRuntime(env: Env, clients?: AwsClients): Runtime {
  const config = loadPipelineConfig(env);
  const logger = createLogger(optionalString(env, 'POWERTOOLS_LOG_LEVEL'));
  const metrics = createMetrics();
  const aws = clients ?? createAwsClients({
    region: optionalString(env, 'AWS_REGION') ?? 'us-east-1',
    requestTimeoutMs: config.awsRequestTimeoutMs,
    endpoints: {
      s3: optionalString(env, 'AWS_ENDPOINT_URL_S3'),
      dynamodb: optionalString(env, 'AWS_ENDPOINT_URL_DYNAMODB'),
      sqs: optionalString(env, 'AWS_ENDPOINT_URL_SQS'),
      secretsManager: optionalString(env, 'AWS_ENDPOINT_URL_SECRETS_MANAGER'),
    },
  });
  const store = new DynamoCheckpointStore(aws.documents, config.table);
  const sink = new S3ObjectSink(aws.s3, config.bucket);
  const queue = new SqsContinuationQueue(aws.sqs, config.queueUrl);
  const plans = new DynamoBackfillStore(aws.documents, config.table);
  // 429s seen since the last invocation began: the signal for every backfill worker to back off.
  let throttledAt = 0;
  const secrets = new ConveYourSecrets(aws.secretsManager);
  const tuning = clientTuningFromEnv(env);
  const retries = new Map<string, number>();
  const log = logOf(logger);

  const credentialsOf = async (source: SourceConfig): Promise<Credentials> =>
    source.secretId ? secrets.credentials(source.secretId) : clientOptionsFromEnv({ ...env, CONVEYOUR_BASE_URL: source.baseUrl }).credentials;

  const pages = new SourcePages(
    credentialsOf,
    (source, credentials) =>
      new ConveYourClient({
        baseUrl: source.baseUrl,
        credentials,
        ...tuning,
        onEvent: (event) => {
          if (event.type === 'retry') retries.set(source.name, (retries.get(source.name) ?? 0) + 1);
          if (event.status === 429) throttledAt = Date.now();
          if (event.type !== 'response') log.warn(`conveyour request ${event.type}`, { source: source.name, attempt: event.attempt, status: event.status, error: event.error });
        },
      }),
    log,
  );

  return {
    config,
    logger,
    catalog: catalogOf(config.sources.map((source) => ({ name: source.name, collections: source.collections, pages: undefined as never }))),
    sources() {
      return pages.sources(config.sources);
    },
    deps(context) {
      // Every log line of the invocation carries its request id (function_request_id), and cold_start.
      logger.addContext(context);
      const startedAt = Date.now();
      return {
        plans,
        stallMs: config.backfill.stallMs,
        throttleHoldMs: config.backfill.throttleHoldMs,
        throttledRecently: () => throttledAt >= startedAt,
        store,
        sink,
        queue,
        clock: { nowMs: Date.now },
        log,
        policy: config.policy,
        remainingMs: () => context.getRemainingTimeInMillis(),
        owner: `${context.awsRequestId}/${randomUUID().slice(0, 8)}`,
        newRunId: randomUUID,
      };
    },
    report(result, kind, startedMs) {
      reportInvocation(logger, metrics, result, { nowMs: Date.now(), lagFloorSeconds: config.lagFloorSeconds, retries, durationMs: Date.now() - startedMs, kind });
      retries.clear();
    },
  };
}
