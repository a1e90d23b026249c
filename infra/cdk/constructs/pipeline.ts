/**
 * The moving parts: an EventBridge Scheduler schedule invokes the tick function every
 * minute; a tick that runs out of time hands each unfinished collection to the
 * continuation queue, whose messages the continue function works through. Every queue has a
 * dead-letter queue; every permission is a grant.
 */
import { Aws, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as eventsources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { parseSources } from '../../../functions/handlers/config.js';
import { COLLECTIONS } from '../../../functions/conveyour/collections.js';
import { TICK_RESERVED_CONCURRENCY, type SourceSettings, type StackSettings } from '../config.js';
import { METRIC_NAMESPACE, SERVICE_NAME } from '../../../functions/adapters/metricNames.js';
import { acknowledge, arnInFinding } from './acknowledge.js';
import type { LandingZone } from './landingZone.js';
import { PipelineFunction } from './pipelineFunction.js';
import type { SourceCredentials } from './sourceCredentials.js';
import { DEFAULT_MAX_HOPS, DEFAULT_OVERLAP_SECONDS } from '../../../functions/config/limits.js';

/**
 * The tick pages each collection only while the minute lasts and hands longer work to the
 * continue function, so one tick ends before the next begins: ticks do not pile up, and a
 * tick is never the reason a fresh change waits more than a minute.
 */
export const TICK_TIMEOUT = Duration.seconds(60);
/**
 * Five minutes per continuation: long enough that a backfill spends its time paging rather
 * than starting up (each hop re-reads the checkpoint and re-opens connections), short enough
 * that a crashed invocation's lease (its remaining time plus slack) frees the collection
 * within minutes. It also sets the queue's visibility timeout (6×: 30 minutes).
 */
export const CONTINUE_TIMEOUT = Duration.minutes(5);
/**
 * 1 GiB for both: up to COLLECTION_CONCURRENCY (4) collections each buffer up to FLUSH_BYTES
 * (16 MiB) of NDJSON before gzip, plus the parsed pages behind it, which leaves ample
 * headroom; and Lambda's CPU share grows with memory, which keeps JSON parsing and gzip off
 * the critical path (below 1 GiB a vCPU fraction makes a page's encode visibly slower).
 */
export const FUNCTION_MEMORY_MB = 1024;
/** Lambda's own guidance for SQS event sources: visibility timeout at least 6× the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** Continuations per chain; the next tick resumes after that (Lambda's loop detection stops at 16). The functions' default, from one place. */
export const MAX_HOPS = DEFAULT_MAX_HOPS;
/** Lambda's guidance for SQS event sources: at least 5 receives before a message is dead-lettered. */
export const MAX_RECEIVE_COUNT = 5;
/** Lambda's limit on all environment variables of a function together. */
const ENVIRONMENT_LIMIT_BYTES = 4096;

export interface PipelineProps {
  settings: StackSettings;
  landing: LandingZone;
  table: dynamodb.Table;
  credentials: SourceCredentials;
}

export class Pipeline extends Construct {
  readonly tick: PipelineFunction;
  readonly continuation: PipelineFunction;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly scheduleDeadLetterQueue: sqs.Queue;
  readonly schedule: scheduler.Schedule;
  readonly scheduleRole: iam.Role;

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id);
    const { settings, landing, table, credentials } = props;

    this.deadLetterQueue = new sqs.Queue(this, 'ContinuationDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // SQS's maximum: two weeks to notice the alarm and look at what failed.
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Continuations', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * CONTINUE_TIMEOUT.toSeconds()),
      // A continuation older than this is long superseded: every tick resumes in-flight cursors.
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    const environment = {
      PIPELINE_SOURCES: pipelineSourcesJson(settings.sources, (source) => credentials.secretName(source), Date.now()),
      LANDING_BUCKET: landing.bucket.bucketName,
      LANDING_PREFIX: landing.prefix,
      CHECKPOINT_TABLE: table.tableName,
      CONTINUATION_QUEUE_URL: this.queue.queueUrl,
      MAX_HOPS: String(MAX_HOPS),
      // Stated, not defaulted: the clock-offset alarm (monitoring.ts) fires at half of it.
      OVERLAP_SECONDS: String(DEFAULT_OVERLAP_SECONDS),
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
    };

    this.tick = new PipelineFunction(this, 'Tick', {
      handler: 'tick',
      description: 'On schedule: runs every enabled collection of every ConveYour source, hands unfinished ones to the continuation queue',
      timeout: TICK_TIMEOUT,
      memorySize: FUNCTION_MEMORY_MB,
      reservedConcurrentExecutions: settings.reserveConcurrency ? TICK_RESERVED_CONCURRENCY : undefined,
      environment,
      logRetentionDays: settings.logRetentionDays,
    });
    // A failed or late tick is superseded by the next one within a minute: retrying it, or
    // keeping it queued behind a throttle, would only stack ticks up.
    this.tick.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });

    this.continuation = new PipelineFunction(this, 'Continue', {
      handler: 'continue',
      description: 'Carries on one collection whose run ran out of time (SQS continuation messages)',
      timeout: CONTINUE_TIMEOUT,
      memorySize: FUNCTION_MEMORY_MB,
      reservedConcurrentExecutions: settings.reserveConcurrency ? settings.continueConcurrency : undefined,
      environment,
      logRetentionDays: settings.logRetentionDays,
    });
    this.continuation.function.addEventSource(
      new eventsources.SqsEventSource(this.queue, {
        // One continuation per invocation: each run spends the invocation's whole time budget,
        // so a second message in the batch would only wait; Lambda scales out across messages instead.
        batchSize: 1,
        reportBatchItemFailures: true,
        // Equal to the reserved concurrency, so the poller never invokes into a throttle
        // (a throttled batch counts as a receive and pushes messages toward the DLQ).
        maxConcurrency: settings.continueConcurrency,
      }),
    );

    for (const fn of [this.tick, this.continuation]) {
      credentials.grantRead(fn.function);
      // Write-only, and only under the landing prefix: the pipeline never reads back what it landed.
      landing.bucket.grantPut(fn.function, `${landing.prefix}*`);
      table.grantReadWriteData(fn.function);
      this.queue.grantSendMessages(fn.function);
    }

    this.scheduleDeadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // Our own role rather than the target's shared singleton, so its one finding is acknowledged here.
    this.scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
      description: 'Lets EventBridge Scheduler invoke the ConveYour pipeline tick',
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Invokes the ConveYour pipeline tick',
      schedule: scheduler.ScheduleExpression.expression(settings.scheduleRate),
      target: new targets.LambdaInvoke(this.tick.function, {
        // Only delivery failures (Lambda's Invoke API refusing) are retried here; a tick older
        // than two minutes has been overtaken by newer ones and goes to the dead-letter queue.
        retryAttempts: 3,
        maxEventAge: Duration.minutes(2),
        deadLetterQueue: this.scheduleDeadLetterQueue,
        role: this.scheduleRole,
      }),
    });

    this.acknowledgeFindings(landing);
  }

  private acknowledgeFindings(landing: LandingZone): void {
    for (const fn of [this.tick, this.continuation]) {
      acknowledge(
        fn.role,
        `AwsSolutions-IAM5[Resource::${arnInFinding(landing.bucket)}/${landing.prefix}*]`,
        'The function writes new landing files with keys it derives at run time, so the grantPut covers every object under the landing prefix and nothing else.',
      );
      acknowledge(fn.role, 'AwsSolutions-IAM5[Action::s3:Abort*]', 'The s3:Abort* action wildcard comes from bucket.grantPut, which lets an interrupted multipart upload be cleaned up.');
    }
    acknowledge(
      this.scheduleRole,
      `AwsSolutions-IAM5[Resource::${arnInFinding(this.tick.function)}:*]`,
      "The function's versions and aliases (ARN suffix :*) come from the Scheduler target's grantInvoke on the tick function, nothing wider.",
    );
    acknowledge(
      this.tick.function,
      'Serverless-LambdaDLQ',
      'A failed tick has nothing worth replaying: the next scheduled tick, a minute later, runs the same work from the checkpoints.',
    );
    acknowledge(
      this.tick.function.node.findChild('EventInvokeConfig'),
      'Serverless-LambdaAsyncFailureDestination',
      'A failed tick has nothing worth replaying: the next scheduled tick, a minute later, runs the same work from the checkpoints, and the errors alarm reports failures.',
    );
    acknowledge(
      this.continuation.function,
      'Serverless-LambdaDLQ',
      'This function is invoked by an SQS event source, never asynchronously: failed messages reach the continuation queue redrive dead-letter queue instead.',
    );
    acknowledge(
      this.continuation.function,
      'Serverless-LambdaEventSourceMappingDestination',
      "Lambda offers on-failure destinations only for stream and Kafka sources, not SQS; the continuation queue's redrive policy moves a message to its dead-letter queue after five receives.",
    );
    acknowledge(
      this.scheduleDeadLetterQueue,
      'AwsSolutions-SQS3',
      "This queue is the EventBridge Scheduler schedule's dead-letter queue; a dead-letter queue needs no dead-letter queue of its own.",
    );
    for (const dlq of [this.deadLetterQueue, this.scheduleDeadLetterQueue]) {
      acknowledge(dlq, 'Serverless-SQSRedrivePolicy', 'This queue is itself a dead-letter queue, so redriving its messages to yet another queue would add nothing but a second place to look.');
    }
  }
}

/**
 * PIPELINE_SOURCES for the functions, checked at synth with the parser the functions run at
 * cold start, so a value that deploys is a value that runs.
 */
export function pipelineSourcesJson(sources: readonly SourceSettings[], secretIdOf: (source: string) => string, nowMs: number): string {
  const json = JSON.stringify(
    sources.map((source) => ({
      name: source.name,
      domain: source.domain,
      secretId: secretIdOf(source.name),
      // "all" keeps the variable short: Lambda allows 4 KiB for all variables together.
      collections: source.collections.length === COLLECTIONS.length ? 'all' : source.collections,
      ...(source.initialStartTime === undefined ? {} : { initialStartTime: source.initialStartTime }),
      ...(source.timezone === undefined ? {} : { timezone: source.timezone }),
    })),
  );
  parseSources(json, nowMs);
  // Leave room for the other variables (bucket, table, queue URL: about 400 bytes resolved).
  if (Buffer.byteLength(json) > ENVIRONMENT_LIMIT_BYTES - 1024) {
    throw new Error(
      `context "sources" makes PIPELINE_SOURCES ${Buffer.byteLength(json)} bytes, over the ${ENVIRONMENT_LIMIT_BYTES - 1024} that fit in Lambda's 4 KiB of environment: use "all" for collections or fewer sources per stack`,
    );
  }
  return json;
}
