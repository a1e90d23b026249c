/**
 * List prices the cost model multiplies the measured counts by: US East (N. Virginia),
 * Lambda on arm64, on-demand everything, no free tier (the always-free allowances are
 * listed apart, since other workloads in the account may already use them).
 * Checked against the AWS pricing pages for each service.
 */
export const REGION = 'us-east-1';

export const PRICE = {
  /** Lambda arm64, per GB-second of billed duration. */
  lambdaGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  /** S3 Standard PUT, COPY, POST, LIST. */
  s3Put: 0.005 / 1000,
  /** S3 Standard GET, SELECT and all other requests (the rescan's index reads, docs/rescan.md). */
  s3Get: 0.0004 / 1000,
  s3StorageGbMonth: 0.023,
  /** DynamoDB on-demand: per write request unit (1 KB) and read request unit (4 KB strongly consistent). */
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  /** DynamoDB Standard table storage, per GB-month (the alternative index in docs/rescan.md). */
  dynamoStorageGbMonth: 0.25,
  /** SQS standard queue, per request (64 KB chunk). */
  sqsRequest: 0.4 / 1e6,
  /** CloudWatch Logs standard ingestion, per GB. */
  logsIngestGb: 0.5,
  /** CloudWatch custom metric, per series and month (billed per hour it receives data). */
  metricSeriesMonth: 0.3,
  /** Standard-resolution alarm, per month. */
  alarmMonth: 0.1,
  dashboardMonth: 3,
  secretMonth: 0.4,
  /** EventBridge Scheduler invocation. */
  schedulerInvocation: 1 / 1e6,
} as const;

/** Always-free monthly allowances, for the "with free tier" column. */
export const FREE = {
  lambdaRequests: 1e6,
  lambdaGbSeconds: 400_000,
  sqsRequests: 1e6,
  logsIngestGb: 5,
  metricSeries: 10,
  alarms: 10,
  dashboards: 3,
  schedulerInvocations: 14e6,
} as const;

/** Modelled, not measured: stated in the report with the reason. */
export const ASSUMPTION = {
  /** START, END and REPORT lines Lambda writes per invocation, with CloudWatch's 26 bytes per event. */
  platformLogBytesPerInvocation: 3 * 26 + 75 + 55 + 150,
  /** CloudWatch bills 26 bytes per log event on top of its text. */
  logEventOverheadBytes: 26,
  /**
   * Lambda's SQS event source keeps about five long polls (20 s) open on an empty queue:
   * 5 × 3 ReceiveMessage per minute, billed as SQS requests.
   */
  sqsEventSourceRequestsPerMinute: 15,
  /** Minutes in a 30-day month. */
  minutesPerMonth: 30 * 24 * 60,
  hoursPerMonth: 730,
  /** A ConveYour page takes this long to answer in the cost scenarios (the API's real latency is unknown). */
  apiLatencyMs: 100,
} as const;
