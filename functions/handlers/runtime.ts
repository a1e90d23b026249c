/**
 * Everything a handler needs, built once per container: validated config, SDK clients with
 * timeouts, the adapters, and one ConveYour client per source (credentials read from
 * Secrets Manager on first use and cached).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { Env } from '../config/env.js';
import { createAwsClients, type AwsClients } from '../adapters/awsClients.js';
import { DynamoCheckpointStore } from '../adapters/dynamoCheckpointStore.js';
import { S3ObjectSink } from '../adapters/s3ObjectSink.js';
import { ConveYourSecrets } from '../adapters/secrets.js';
import { SqsContinuationQueue } from '../adapters/sqsContinuationQueue.js';
import { DynamoBackfillStore } from '../adapters/dynamoBackfillStore.js';
import type { BackfillDeps } from '../backfill/worker.js';
import { describeError } from '../pipeline/errors.js';
import { createLogger, createMetrics, logOf, reportInvocation } from '../adapters/telemetry.js';
import { ConveYourClient } from '../conveyour/client.js';
import type { RequestPacer } from '../conveyour/pacer.js';
import type { Credentials } from '../conveyour/types.js';
import type { Catalog } from '../pipeline/messages.js';
import { catalogOf, type InvocationResult, type SourceRuntime } from '../pipeline/orchestrate.js';
import type { PageSource } from '../conveyour/types.js';
import { unavailableSource } from '../pipeline/unavailableSource.js';
import { loadPipelineConfig, loadRuntimeSettings, type PipelineConfig, type SourceConfig } from './config.js';

export interface Runtime {
  config: PipelineConfig;
  logger: Logger;
  catalog: Catalog;
  sources(): Promise<SourceRuntime[]>;
  deps(context: Context): BackfillDeps;
  report(result: InvocationResult, kind: 'tick' | 'continue', startedMs: number): void;
  /** ConveYour requests retried since the runtime was built (all sources): the local status table's counter. */
  requestCounters(): RequestCounters;
}

export interface RequestCounters {
  /** Attempts that failed and were tried again. */
  retries: number;
  /** Of those, answered 429. */
  throttled: number;
  /** Requests that failed for good (retries ran out, or an error no retry fixes): each is also a warning. */
  failures: number;
}

export interface RuntimeOptions {
  /** The caller's SDK clients (the local runtime's, on its emulators); by default built from `env`. */
  clients?: AwsClients;
  /** Paces every ConveYour request (the local runtime's, under its simulator's rate limit); shared by the runtimes given it. */
  pacer?: RequestPacer;
}

export function createRuntime(env: Env, { clients, pacer }: RuntimeOptions = {}): Runtime {
  // Every read of the environment happens here, at cold start; `env` is not touched again.
  const config = loadPipelineConfig(env);
  const settings = loadRuntimeSettings(env, config);
  const logger = createLogger(settings.logLevel);
  const metrics = createMetrics();
  const aws = clients ?? createAwsClients({ region: settings.aws.region, requestTimeoutMs: config.awsRequestTimeoutMs, endpoints: settings.aws.endpoints });
  const store = new DynamoCheckpointStore(aws.documents, config.table);
  const sink = new S3ObjectSink(aws.s3, config.bucket);
  const queue = new SqsContinuationQueue(aws.sqs, config.queueUrl);
  const plans = new DynamoBackfillStore(aws.documents, config.table);
  // 429s seen since the last invocation began: the signal for every backfill worker to back off.
  let throttledAt = 0;
  const secrets = new ConveYourSecrets(aws.secretsManager);
  const tuning = settings.client;
  const retries = new Map<string, number>();
  const counters: RequestCounters = { retries: 0, throttled: 0, failures: 0 };
  const log = logOf(logger);

  const credentialsOf = async (source: SourceConfig): Promise<Credentials> =>
    source.secretId ? secrets.credentials(source.secretId) : settings.envCredentials!;

  // One client per source, built on first use. A source whose credentials cannot be read is not
  // cached: it runs as unavailable (each of its collections fails with the reason) and the next
  // invocation reads its secret again; it never stops the other sources.
  const pageSources = new Map<string, Promise<PageSource>>();
  const clientOf = (source: SourceConfig): Promise<PageSource> => {
    let client = pageSources.get(source.name);
    if (!client) {
      client = credentialsOf(source).then(
        (credentials) =>
          new ConveYourClient({
            baseUrl: source.baseUrl,
            credentials,
            ...tuning,
            ...(pacer ? { pacer } : {}),
            onEvent: (event) => {
              if (event.type === 'response') return;
              if (event.status === 429) throttledAt = Date.now();
              const fields = { source: source.name, attempt: event.attempt, status: event.status, code: event.code, error: event.error };
              // A retry is routine (counted in the Retries metric and the local status table); a request that failed for good is a warning.
              if (event.type === 'retry') {
                retries.set(source.name, (retries.get(source.name) ?? 0) + 1);
                counters.retries += 1;
                if (event.status === 429) counters.throttled += 1;
                log.debug('conveyour request retry', fields);
              } else {
                counters.failures += 1;
                log.warn('conveyour request failure', fields);
              }
            },
          }),
      );
      pageSources.set(source.name, client);
      client.catch(() => pageSources.delete(source.name));
    }
    return client.catch((error: unknown) => {
      log.error('source unavailable: its credentials could not be read; its collections fail until they can', { source: source.name, error: describeError(error) });
      return unavailableSource(error);
    });
  };

  return {
    config,
    logger,
    catalog: catalogOf(config.sources.map((source) => ({ name: source.name, collections: source.collections, pages: undefined as never }))),
    sources() {
      return Promise.all(config.sources.map(async (source) => ({ name: source.name, collections: source.collections, pages: await clientOf(source) })));
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
    requestCounters: () => ({ ...counters }),
  };
}
