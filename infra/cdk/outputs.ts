/**
 * Names of the stack's CloudFormation outputs: the stack writes them, and scripts read them
 * back from `npx cdk deploy --outputs-file cdk-outputs.json` (e.g. `npm run snowflake-ddl`).
 * Kept free of aws-cdk-lib so those scripts start fast.
 */
export const OUTPUT = {
  landingBucket: 'LandingBucketName',
  landingPrefix: 'LandingPrefix',
  checkpointTable: 'CheckpointTableName',
  continuationQueue: 'ContinuationQueueUrl',
  tickFunction: 'TickFunctionName',
  continueFunction: 'ContinueFunctionName',
  tickLogGroup: 'TickLogGroupName',
  continueLogGroup: 'ContinueLogGroupName',
  glueDatabase: 'GlueDatabaseName',
  athenaWorkGroup: 'AthenaWorkGroupName',
  snowflakeRoleArn: 'SnowflakeRoleArn',
  dashboard: 'DashboardName',
  /** EventBridge Scheduler schedule (default group) that invokes the tick: `aws scheduler get-schedule --name`. */
  scheduleName: 'ScheduleName',
  continuationDeadLetterQueue: 'ContinuationDeadLetterQueueUrl',
  scheduleDeadLetterQueue: 'ScheduleDeadLetterQueueUrl',
  /** Snowpipe's SQS ARN the bucket notifies, or {@link NONE_OUTPUT} when snowpipeQueueArn is not set. */
  snowpipeQueueArn: 'SnowpipeQueueArn',
  /** historyStart (yyyy-MM-dd): backfills refuse to start before it. */
  historyStart: 'HistoryStart',
} as const;

/** The value of an output whose setting is absent (an output cannot be empty). */
export const NONE_OUTPUT = 'none';

/** The value of LandingPrefix for a landing zone at the bucket root (an output cannot be empty). */
export const ROOT_PREFIX_OUTPUT = '/';

/** Output id of a source's secret name: `acme-eu_1` -> `SecretNameAcmeEu1` (output ids are alphanumeric). */
export function secretOutputId(sourceName: string): string {
  const suffix = sourceName
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
  return `SecretName${suffix}`;
}
