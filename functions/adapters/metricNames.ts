/**
 * The pipeline's CloudWatch metrics: one list that the Lambda code (which emits them as EMF
 * through Powertools Metrics) and the CDK stack (which alarms on and graphs them) both import,
 * so a renamed metric cannot silently orphan an alarm.
 *
 * Free of any import: the functions bundle it, and the CDK stack (infra/cdk) reads it.
 */

/** `POWERTOOLS_METRICS_NAMESPACE`. */
export const METRIC_NAMESPACE = 'ConveYourStream';

/**
 * `POWERTOOLS_SERVICE_NAME`. Powertools Metrics adds it to every metric as the `service`
 * dimension unless the code calls `clearDefaultDimensions()`, so the alarms include it too.
 */
export const SERVICE_NAME = 'conveyour-collection-stream';

/**
 * Names of the EMF metrics. Each (metric, dimensions) series costs for every hour it receives
 * a value, so healthy activity is published per source, and per collection only what needs
 * attention; per-collection detail (files, bytes, windows) is in the one log line per invocation.
 */
export const MetricName = {
  /** Count, per source: records written to S3. */
  RecordsLanded: 'RecordsLanded',
  /** Count, per source: ConveYour pages fetched. */
  PagesFetched: 'PagesFetched',
  /** Count, per source: retried ConveYour requests. */
  Retries: 'Retries',
  /**
   * Seconds, per collection: now minus the collection's watermark, published only at or above
   * LAG_METRIC_FLOOR_SECONDS, so alarms treat a missing value as fresh.
   */
  LagSeconds: 'LagSeconds',
  /** Count, per collection: runs that ended in failure. */
  RunFailures: 'RunFailures',
  /** Count, per collection: queries restarted because their cursor expired. */
  CursorRestarts: 'CursorRestarts',
  /** Count, per collection: windows split because they held more than one query may return. */
  WindowSplits: 'WindowSplits',
  /**
   * Seconds, per source: ConveYour's clock (the HTTP Date of its responses) minus the function's,
   * signed; published only when at least CLOCK_OFFSET_METRIC_FLOOR_SECONDS either way, so alarms
   * treat a missing value as clocks in step.
   */
  ClockOffsetSeconds: 'ClockOffsetSeconds',
  /**
   * Count, per source: coverage gaps open on the checkpoints an invocation's runs ended with
   * (seconds that returned the cap, until acknowledged), published only while above zero.
   */
  CoverageGapsOpen: 'CoverageGapsOpen',
} as const;

/**
 * Below this |offset| no ClockOffsetSeconds is published: a Date has whole seconds, so a couple
 * of seconds is the measurement's own noise, and a server in step costs no metric series.
 */
export const CLOCK_OFFSET_METRIC_FLOOR_SECONDS = 3;

export type MetricNameValue = (typeof MetricName)[keyof typeof MetricName];

/**
 * The exact dimension set a per-collection metric carries in CloudWatch (a metric is only
 * found with its full dimension set): Powertools' default `service` plus source and collection.
 */
export function collectionDimensions(source: string, collection: string): Record<'service' | 'source' | 'collection', string> {
  return { service: SERVICE_NAME, source, collection };
}

/** The exact dimension set a per-source metric carries in CloudWatch. */
export function sourceDimensions(source: string): Record<'service' | 'source', string> {
  return { service: SERVICE_NAME, source };
}
