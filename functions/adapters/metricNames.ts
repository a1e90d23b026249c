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

/** Names of the EMF metrics, each emitted per (source, collection). */
export const MetricName = {
  /** Count: records written to S3. */
  RecordsLanded: 'RecordsLanded',
  /** Count: ConveYour pages fetched. */
  PagesFetched: 'PagesFetched',
  /** Count: landing objects written. */
  FilesWritten: 'FilesWritten',
  /** Bytes: gzip bytes written. */
  BytesLanded: 'BytesLanded',
  /**
   * Seconds: now minus the collection's watermark. An idle, fresh collection may publish nothing
   * (custom metrics cost per hour published), so alarms treat a missing value as fresh.
   */
  LagSeconds: 'LagSeconds',
  /** Count: retried ConveYour or AWS requests. */
  Retries: 'Retries',
  /** Count: collection runs that ended in failure. */
  RunFailures: 'RunFailures',
  /** Count: queries restarted because their cursor expired. */
  CursorRestarts: 'CursorRestarts',
  /** Count: windows split because they held more than one query may return. */
  WindowSplits: 'WindowSplits',
} as const;

export type MetricNameValue = (typeof MetricName)[keyof typeof MetricName];

/** The per-collection dimension names, in the order the code sets them. */
export const METRIC_DIMENSIONS = ['source', 'collection'] as const;

/**
 * The exact dimension set a per-collection metric carries in CloudWatch (a metric is only
 * found with its full dimension set): Powertools' default `service` plus source and collection.
 */
export function collectionDimensions(source: string, collection: string): Record<'service' | 'source' | 'collection', string> {
  return { service: SERVICE_NAME, source, collection };
}
