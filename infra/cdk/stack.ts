/**
 * The whole deployment: landing zone, checkpoints, credentials, the scheduled pipeline,
 * Athena tables, Snowflake access, and the alarms and dashboard that watch it.
 */
import { App, CfnOutput, Stack, Validations, type AppProps, type StackProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import type { CollectionName } from '../../functions/conveyour/collections.js';
import { parseStackSettings, readContext, type StackSettings } from './config.js';
import { Checkpoints } from './constructs/checkpoints.js';
import { LandingZone } from './constructs/landingZone.js';
import { Monitoring } from './constructs/monitoring.js';
import { Pipeline } from './constructs/pipeline.js';
import { SnowflakeAccess } from './constructs/snowflakeAccess.js';
import { SourceCredentials } from './constructs/sourceCredentials.js';
import { Warehouse } from './constructs/warehouse.js';
import { EXAMPLE_GUARD_ENV, guardExampleSources } from './exampleGuard.js';
import { NONE_OUTPUT, OUTPUT, ROOT_PREFIX_OUTPUT, secretOutputId } from './outputs.js';
import { DEFAULT_OVERLAP_SECONDS } from '../../functions/config/limits.js';

export interface ConveYourStreamStackProps extends StackProps {
  settings: StackSettings;
}

/**
 * The app as `cdk synth` builds it (app.ts) and as the tests build it: settings from context,
 * one stack, and cdk-nag's AwsSolutions and Serverless packs registered as validation
 * plugins, so synthesis fails on any finding that is neither fixed nor acknowledged.
 */
export function buildApp(props: AppProps = {}): { app: App; stack: ConveYourStreamStack } {
  const app = new App(props);
  const settings = parseStackSettings(readContext((key) => app.node.tryGetContext(key)));
  const stack = new ConveYourStreamStack(app, settings.stackName, {
    settings,
    description: 'conveyour-collection-stream: ConveYour collections to an S3 landing zone every minute',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack };
}

export class ConveYourStreamStack extends Stack {
  readonly landing: LandingZone;
  readonly checkpoints: Checkpoints;
  readonly credentials: SourceCredentials;
  readonly pipeline: Pipeline;
  readonly warehouse: Warehouse;
  readonly snowflake: SnowflakeAccess;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: ConveYourStreamStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const exampleGuard = settings.exampleSources ? guardExampleSources(this) : undefined;

    this.landing = new LandingZone(this, 'LandingZone', { prefix: settings.landingPrefix, noncurrentVersionDays: settings.noncurrentVersionDays });
    this.checkpoints = new Checkpoints(this, 'Checkpoints');
    this.credentials = new SourceCredentials(this, 'Credentials', { sourceNames: settings.sources.map((source) => source.name) });
    this.pipeline = new Pipeline(this, 'Pipeline', { settings, landing: this.landing, table: this.checkpoints.table, credentials: this.credentials });
    if (exampleGuard) for (const fn of [this.pipeline.tick, this.pipeline.continuation]) fn.function.addEnvironment(EXAMPLE_GUARD_ENV, exampleGuard.valueAsString);

    const collections = [...new Set(settings.sources.flatMap((source) => source.collections))] as CollectionName[];
    const name = catalogName(this.stackName);
    this.warehouse = new Warehouse(this, 'Warehouse', { landing: this.landing, collections, name, historyStart: settings.historyStart });
    this.snowflake = new SnowflakeAccess(this, 'Snowflake', {
      landing: this.landing,
      principal: settings.snowflakePrincipal,
      snowpipeQueueArn: settings.snowpipeQueueArn,
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: { tick: this.pipeline.tick.function, continuation: this.pipeline.continuation.function },
      logGroups: [this.pipeline.tick.logGroup, this.pipeline.continuation.logGroup],
      deadLetterQueues: { continuations: this.pipeline.deadLetterQueue, schedule: this.pipeline.scheduleDeadLetterQueue },
      collections: settings.sources.flatMap((source) => source.collections.map((collection) => ({ source: source.name, collection }))),
      lagThresholdSeconds: settings.lagThresholdSeconds,
      clockOffsetThresholdSeconds: DEFAULT_OVERLAP_SECONDS / 2,
      scheduleIntervalSeconds: settings.scheduleIntervalSeconds,
      alarmEmail: settings.alarmEmail,
      dashboardName: this.stackName,
    });

    this.addOutputs(settings);
  }

  private addOutputs(settings: StackSettings): void {
    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    const { tick, continuation } = this.pipeline;
    output(OUTPUT.landingBucket, this.landing.bucket.bucketName, 'S3 bucket of the landing zone');
    output(OUTPUT.landingPrefix, this.landing.prefix === '' ? ROOT_PREFIX_OUTPUT : this.landing.prefix, `Key prefix of the landing zone ('${ROOT_PREFIX_OUTPUT}' for the bucket root)`);
    output(OUTPUT.checkpointTable, this.checkpoints.table.tableName, 'DynamoDB checkpoint table (npm run status -- --table=<this>)');
    output(OUTPUT.continuationQueue, this.pipeline.queue.queueUrl, 'SQS continuation queue');
    output(OUTPUT.tickFunction, tick.function.functionName, 'Tick function (scheduled every minute)');
    output(OUTPUT.continueFunction, continuation.function.functionName, 'Continue function (SQS continuations)');
    output(OUTPUT.tickLogGroup, tick.logGroup.logGroupName, 'Log group of the tick function (aws logs tail <name> --follow)');
    output(OUTPUT.continueLogGroup, continuation.logGroup.logGroupName, 'Log group of the continue function');
    output(OUTPUT.glueDatabase, this.warehouse.databaseName, 'Glue database with one table per collection');
    output(OUTPUT.athenaWorkGroup, this.warehouse.workGroup.name, 'Athena workgroup to query with');
    output(OUTPUT.snowflakeRoleArn, this.snowflake.roleArn, 'STORAGE_AWS_ROLE_ARN for the Snowflake storage integration (the role exists once snowflakeIamUserArn is set)');
    output(OUTPUT.dashboard, this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard');
    output(OUTPUT.scheduleName, this.pipeline.schedule.scheduleName, 'EventBridge Scheduler schedule (default group) that invokes the tick');
    output(OUTPUT.continuationDeadLetterQueue, this.pipeline.deadLetterQueue.queueUrl, 'Dead-letter queue of the continuation queue (should stay empty)');
    output(OUTPUT.scheduleDeadLetterQueue, this.pipeline.scheduleDeadLetterQueue.queueUrl, 'Dead-letter queue of the schedule (should stay empty)');
    output(OUTPUT.snowpipeQueueArn, settings.snowpipeQueueArn ?? NONE_OUTPUT, `Snowpipe SQS queue the landing bucket notifies of new files ('${NONE_OUTPUT}': no notification)`);
    output(OUTPUT.historyStart, settings.historyStart, 'First day the Athena tables show (dt projection); backfills refuse to start before it');
    const seen = new Map<string, string>();
    for (const source of settings.sources) {
      const id = secretOutputId(source.name);
      const clash = seen.get(id);
      if (clash !== undefined) throw new Error(`sources '${clash}' and '${source.name}' differ only in punctuation or case; give one a distinct name (stack outputs are alphanumeric)`);
      seen.set(id, source.name);
      output(id, this.credentials.secretName(source.name), `Secrets Manager secret of source '${source.name}'`);
    }
  }
}

/** Glue database and Athena workgroup name: lower case, `_` for anything else (Glue's rule). */
export function catalogName(stackName: string): string {
  return stackName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}
