/**
 * Alarms on everything that means records are not landing, and one dashboard to look at
 * when one fires. Alarms notify an SNS topic with an e-mail subscription when `alarmEmail`
 * is set; without it they still show their state in the console.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { collectionDimensions, METRIC_NAMESPACE, MetricName, sourceDimensions, type MetricNameValue } from '../../../functions/adapters/metricNames.js';
import { acknowledge } from './acknowledge.js';

export interface MonitoredCollection {
  source: string;
  collection: string;
}

export interface MonitoringProps {
  functions: { tick: lambda.IFunction; continuation: lambda.IFunction };
  /** Where the functions' one-line-per-invocation summaries are: the per-collection detail. */
  logGroups: readonly logs.ILogGroup[];
  deadLetterQueues: { continuations: sqs.IQueue; schedule: sqs.IQueue };
  collections: readonly MonitoredCollection[];
  lagThresholdSeconds: number;
  /** |ConveYour's clock − the function's| above which a source alarms: half of OVERLAP_SECONDS. */
  clockOffsetThresholdSeconds: number;
  /** Seconds between two ticks: the tick heartbeat alarm waits for a few missed ones. */
  scheduleIntervalSeconds: number;
  alarmEmail?: string;
  dashboardName: string;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Per collection: a lag alarm and a failed-runs alarm, 2 × $0.10 a month (standard alarms,
 * us-east-1 prices), i.e. $1.80 a month for a source with all nine collections; per source a
 * clock-offset alarm on two statistics of one metric, $0.20, and the coverage-gap alarm, $0.10.
 * Their metrics cost only in the hours they are published, which is only while a collection (or
 * a source's clock) needs attention.
 */
export class Monitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly topic: sns.Topic | undefined;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { tick, continuation } = props.functions;

    if (props.alarmEmail !== undefined) {
      this.topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'ConveYour pipeline alarms', enforceSSL: true });
      const subscription = this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
      acknowledge(
        subscription,
        'Serverless-SNSRedrivePolicy',
        'An alarm e-mail that cannot be delivered leaves the alarm itself in ALARM state in CloudWatch, so a dead-letter queue would hold nothing anyone acts on.',
      );
      acknowledge(
        this.topic,
        'AwsSolutions-SNS2',
        'Alarm notifications carry only alarm names and states, and CloudWatch cannot publish to a topic encrypted with the AWS managed key, so encryption would need a paid customer key for no data worth protecting.',
      );
    }

    for (const [name, queue] of [
      ['ContinuationDeadLetters', props.deadLetterQueues.continuations],
      ['ScheduleDeadLetters', props.deadLetterQueues.schedule],
    ] as const) {
      this.add(name, {
        alarmDescription: `${name}: a message reached the dead-letter queue. Continuations: a collection failed 5 times in a row (the tick still resumes it; read the continue logs). Schedule: a tick could not be delivered.`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    for (const [name, fn] of [
      ['Tick', tick],
      ['Continue', continuation],
    ] as const) {
      // Two bad 5-minute periods out of three: a single crash heals itself on the next tick,
      // a repeating one does not.
      this.add(`${name}Errors`, {
        alarmDescription: `The ${name.toLowerCase()} function failed (threw or timed out) in at least 2 of the last 3 five-minute periods.`,
        metric: fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.add(`${name}Throttles`, {
        alarmDescription: `The ${name.toLowerCase()} function was throttled in at least 2 of the last 3 five-minute periods: its reserved concurrency is too small for the work.`,
        metric: fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    // Only the continue function is ever invoked by its own chain (Lambda -> SQS -> Lambda).
    this.add('RecursiveInvocationsDropped', {
      alarmDescription:
        'Lambda stopped a continuation chain at 16 hops. The pipeline caps chains at 10, so this means a bug ignores the cap; nothing is lost (the tick resumes the cursor) but the chain was looping.',
      metric: continuation.metric('RecursiveInvocationsDropped', { period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // Missing data is breaching here: no invocations at all means the schedule is not running.
    // Periods at least as long as the schedule interval, so a healthy period always holds a tick;
    // CloudWatch caps the evaluated window at one day.
    const heartbeat = Duration.seconds(Math.min(86_400, Math.max(300, props.scheduleIntervalSeconds)));
    const heartbeatPeriods = Math.max(1, Math.min(3, Math.floor(86_400 / heartbeat.toSeconds())));
    this.add('TickNotRunning', {
      alarmDescription: `The tick function was not invoked for ${(heartbeatPeriods * heartbeat.toSeconds()) / 60} minutes: the schedule is disabled or failing to deliver.`,
      metric: tick.metricInvocations({ period: heartbeat, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: heartbeatPeriods,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    for (const { source, collection } of props.collections) {
      this.add(`Lag-${source}-${collection}`, {
        alarmDescription: `${source}/${collection} is more than ${props.lagThresholdSeconds} s behind for 15 minutes (a backfill shows this until it catches up).`,
        metric: collectionMetric(MetricName.LagSeconds, source, collection, 'Maximum', { labelled: false }),
        threshold: props.lagThresholdSeconds,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        // An idle, fresh collection publishes no lag at all (see functions/adapters/metricNames.ts);
        // one that fails before its first success publishes its lag from the window it could
        // not read (telemetry.ts), so a wrong token reaches this alarm too.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      // RunFailures is published only by a failed run (never a zero): no data is no failure.
      this.add(`RunFailures-${source}-${collection}`, {
        alarmDescription: `${source}/${collection}: runs failed in at least 2 of the last 3 five-minute periods (wrong credentials, a bad response, a failing write). The error is in the "runs" of the function's log lines.`,
        metric: collectionMetric(MetricName.RunFailures, source, collection, 'Sum', { labelled: false }),
        threshold: 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    const sourceNames = [...new Set(props.collections.map(({ source }) => source))];
    for (const source of sourceNames) {
      // Windows follow the server's clock, so an offset loses nothing by itself; one past half the
      // overlap means a clock that the overlap's guard against clock steps no longer covers twice.
      this.add(`ClockOffset-${source}`, {
        alarmDescription: `${source}: ConveYour's clock (the HTTP Date of its responses) is more than ${props.clockOffsetThresholdSeconds} s (half of OVERLAP_SECONDS) from the function's in 2 of the last 3 five-minute periods. Windows follow the server's clock, so nothing is lost by the offset itself; a clock that far off may step back, which only the overlap covers. npm run status shows the offset.`,
        metric: clockOffsetMagnitude(source),
        threshold: props.clockOffsetThresholdSeconds,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        // Published only from 3 s either way (telemetry.ts): no data is clocks in step.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      // One per source, not per collection: a gap wants a person whichever collection it is in,
      // and the status and npm run gaps name it. Published only while a gap is open.
      this.add(`CoverageGaps-${source}`, {
        alarmDescription: `${source}: a second returned the API's cap of records, so records of it may be missing from the landing zone. It stays open until acknowledged: npm run gaps -- list names it (README: Coverage gaps).`,
        metric: sourceMetric(MetricName.CoverageGapsOpen, source, 'Maximum', { labelled: false }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // Published by every tick while a gap is open, never as a zero: no data is no open gap.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    const perCollection = (metric: MetricNameValue, statistic: string) =>
      props.collections.map(({ source, collection }) => collectionMetric(metric, source, collection, statistic));
    const sources = [...new Set(props.collections.map(({ source }) => source))];
    const perSource = (metric: MetricNameValue, statistic: string) => sources.map((source) => sourceMetric(metric, source, statistic));
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Records landed per source', left: perSource(MetricName.RecordsLanded, 'Sum'), right: perSource(MetricName.PagesFetched, 'Sum'), width: 12, stacked: true }),
      new cloudwatch.GraphWidget({
        title: 'Lag per collection, when 3 minutes or more (seconds)',
        left: perCollection(MetricName.LagSeconds, 'Maximum'),
        leftAnnotations: [{ value: props.lagThresholdSeconds, label: 'alarm threshold' }],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Run failures, cursor restarts and window splits per collection',
        left: perCollection(MetricName.RunFailures, 'Sum'),
        right: [...perCollection(MetricName.CursorRestarts, 'Sum'), ...perCollection(MetricName.WindowSplits, 'Sum')],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'ConveYour retries and open coverage gaps per source',
        left: perSource(MetricName.Retries, 'Sum'),
        right: perSource(MetricName.CoverageGapsOpen, 'Maximum'),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "ConveYour's clock minus the function's, per source, when 3 s or more either way (seconds)",
        left: perSource(MetricName.ClockOffsetSeconds, 'Average'),
        leftAnnotations: [
          { value: props.clockOffsetThresholdSeconds, label: 'alarm threshold' },
          { value: -props.clockOffsetThresholdSeconds, label: 'alarm threshold' },
        ],
        width: 24,
      }),
    );
    // Per-collection records, files and bytes are in each invocation's summary line rather than
    // in metrics: nine collections times four series would be most of an idle month's bill.
    this.dashboard.addWidgets(
      new cloudwatch.LogQueryWidget({
        title: 'Latest invocations that landed something or failed (per-collection detail in runs)',
        logGroupNames: props.logGroups.map((group) => group.logGroupName),
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        queryLines: ['fields @timestamp, message, collections, idle, failures, durationMs, @message', 'filter ispresent(`runs.0.status`) or failures > 0', 'sort @timestamp desc', 'limit 50'],
        width: 24,
        height: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function errors and throttles',
        left: [tick.metricErrors({ label: 'tick errors' }), continuation.metricErrors({ label: 'continue errors' })],
        right: [tick.metricThrottles({ label: 'tick throttles' }), continuation.metricThrottles({ label: 'continue throttles' })],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queues and continuation chains',
        left: [
          props.deadLetterQueues.continuations.metricApproximateNumberOfMessagesVisible({ label: 'continuation DLQ', statistic: 'Maximum' }),
          props.deadLetterQueues.schedule.metricApproximateNumberOfMessagesVisible({ label: 'schedule DLQ', statistic: 'Maximum' }),
        ],
        right: [continuation.metric('RecursiveInvocationsDropped', { label: 'recursive invocations dropped', statistic: 'Sum' })],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: Math.min(12, 2 + Math.ceil(this.alarms.length / 4)) }),
    );
  }

  private add(id: string, props: cloudwatch.AlarmProps): void {
    const alarm = new cloudwatch.Alarm(this, id, props);
    if (this.topic) alarm.addAlarmAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}

/** A per-collection pipeline metric, with the exact dimensions it is published with. */
export function collectionMetric(
  metricName: MetricNameValue,
  source: string,
  collection: string,
  statistic: string,
  { labelled = true }: { labelled?: boolean } = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensionsMap: collectionDimensions(source, collection),
    statistic,
    period: FIVE_MINUTES,
    // A label turns an alarm's metric into a metric-math query; only graphs need one.
    ...(labelled ? { label: `${source}/${collection}` } : {}),
  });
}

/** |ClockOffsetSeconds| of a source: the offset is signed, the alarm is on its size either way. */
function clockOffsetMagnitude(source: string): cloudwatch.MathExpression {
  const metric = (statistic: string) =>
    new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName: MetricName.ClockOffsetSeconds, dimensionsMap: sourceDimensions(source), statistic, period: FIVE_MINUTES });
  return new cloudwatch.MathExpression({
    expression: 'MAX([ABS(ahead), ABS(behind)])',
    usingMetrics: { ahead: metric('Maximum'), behind: metric('Minimum') },
    period: FIVE_MINUTES,
  });
}

/** A per-source pipeline metric (records, pages, retries), with the exact dimensions it is published with. */
export function sourceMetric(metricName: MetricNameValue, source: string, statistic: string, { labelled = true }: { labelled?: boolean } = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensionsMap: sourceDimensions(source),
    statistic,
    period: FIVE_MINUTES,
    ...(labelled ? { label: `${source} ${metricName}` } : {}),
  });
}
