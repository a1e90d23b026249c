/**
 * The stack with every option set (two sources, a prefix, alarm e-mail, Snowflake), synthesized
 * once the way `cdk synth` builds it, and checked property by property.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { CfnElement, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointTableSchema } from '../../functions/adapters/dynamoCheckpointStore.js';
import { COLLECTIONS } from '../../functions/conveyour/collections.js';
import { loadPipelineConfig } from '../../functions/handlers/config.js';
import { MIN_REASON_WORDS } from '../../infra/cdk/constructs/acknowledge.js';
import { LAZY_CREDENTIAL_PROVIDERS } from '../../infra/cdk/constructs/pipelineFunction.js';
import { MetricName, METRIC_NAMESPACE, SERVICE_NAME } from '../../functions/adapters/metricNames.js';
import { referencedId, resourcesOf, synthesize, type Synthesized } from './synth.js';

const SNOWPIPE_QUEUE = 'arn:aws:sqs:us-east-1:123456789012:sf-snowpipe-AIDAEXAMPLE-abc';
const SNOWFLAKE_USER = 'arn:aws:iam::210987654321:user/abc1-s-xyz';
const CONTEXT = {
  sources: [
    { name: 'acme', domain: 'acme.conveyour.com', collections: 'all', initialStartTime: '2021-03-01' },
    { name: 'beta-eu', domain: 'beta.conveyour.com', collections: ['contacts', 'events'], initialStartTime: '2019-06-01' },
  ],
  landingPrefix: 'landing/conveyour',
  alarmEmail: 'ops@example.com',
  lagThresholdSeconds: '900',
  snowpipeQueueArn: SNOWPIPE_QUEUE,
  snowflakeIamUserArn: SNOWFLAKE_USER,
  snowflakeExternalId: 'AB12345_SFCRole=2_abcdefg=',
  historyStart: '1999-01-01',
  reserveConcurrency: 'true',
  accountConcurrencyQuota: '1000',
};
const PREFIX = 'landing/conveyour/';
const PAIRS = [...COLLECTIONS.map((collection) => ['acme', collection]), ['beta-eu', 'contacts'], ['beta-eu', 'events']] as const;

let synth: Synthesized;
let R: Record<string, any>;
const idOf = (construct: IConstruct): string => {
  const element = construct instanceof CfnElement ? construct : (construct.node.defaultChild as CfnElement);
  return synth.stack.resolve(element.logicalId) as string;
};
const props = (construct: IConstruct) => R[idOf(construct)].Properties;

// Synthesis bundles both functions with esbuild: seconds alone, much longer on a loaded machine.
beforeAll(() => {
  synth = synthesize(CONTEXT);
  R = synth.json.Resources;
}, 180_000);
afterAll(() => synth?.dispose());

describe('landing zone', () => {
  it('blocks public access, encrypts, versions and logs the landing bucket, and keeps it on delete', () => {
    const bucket = R[idOf(synth.stack.landing.bucket)];
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: idOf(synth.stack.landing.accessLogs) });
    expect([bucket.DeletionPolicy, bucket.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
  });

  it('expires noncurrent versions after the configured days', () => {
    const rules = props(synth.stack.landing.bucket).LifecycleConfiguration.Rules;
    expect(rules).toContainEqual(expect.objectContaining({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 30 } }));
  });

  it('denies every request without TLS on every bucket', () => {
    for (const [id] of resourcesOf(synth.json, 'AWS::S3::Bucket')) {
      const policy = resourcesOf(synth.json, 'AWS::S3::BucketPolicy').find(([, p]) => referencedId(p.Properties.Bucket) === id);
      expect(policy?.[1].Properties.PolicyDocument.Statement, id).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });
});

describe('checkpoint table', () => {
  it('has the key the adapter declares and no sort key', () => {
    const table = props(synth.stack.checkpoints.table);
    expect(table.KeySchema).toEqual(checkpointTableSchema.KeySchema);
    expect(table.AttributeDefinitions).toEqual(checkpointTableSchema.AttributeDefinitions);
  });

  it('is on-demand, encrypted, point-in-time recoverable and kept on delete', () => {
    const table = R[idOf(synth.stack.checkpoints.table)];
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect([table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
  });
});

describe('continuation queue', () => {
  const mapping = () => resourcesOf(synth.json, 'AWS::Lambda::EventSourceMapping')[0]![1].Properties;

  it('hides a message for at least 6 times the timeout of the function that consumes it', () => {
    const queue = R[referencedId(mapping().EventSourceArn)!].Properties;
    const fn = R[referencedId(mapping().FunctionName)!].Properties;
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Timeout);
  });

  it('dead-letters a message after at least 5 receives, into a queue that keeps it longer', () => {
    const queue = R[referencedId(mapping().EventSourceArn)!].Properties;
    const dlq = R[referencedId(queue.RedrivePolicy.deadLetterTargetArn)!].Properties;
    expect(queue.RedrivePolicy.maxReceiveCount).toBeGreaterThanOrEqual(5);
    expect(dlq.MessageRetentionPeriod).toBeGreaterThan(queue.MessageRetentionPeriod);
  });

  it('reports batch item failures, one message per invocation, within the reserved concurrency', () => {
    const fn = R[referencedId(mapping().FunctionName)!].Properties;
    expect(mapping().FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(mapping().BatchSize).toBe(1);
    expect(mapping().ScalingConfig.MaximumConcurrency).toBeLessThanOrEqual(fn.ReservedConcurrentExecutions);
  });

  it('encrypts every queue and denies every request without TLS', () => {
    const queues = resourcesOf(synth.json, 'AWS::SQS::Queue');
    expect(queues).toHaveLength(3);
    for (const [id, queue] of queues) {
      expect(queue.Properties.SqsManagedSseEnabled === true || queue.Properties.KmsMasterKeyId !== undefined, id).toBe(true);
      const policy = resourcesOf(synth.json, 'AWS::SQS::QueuePolicy').find(([, p]) => p.Properties.Queues.some((q: any) => referencedId(q) === id));
      expect(policy?.[1].Properties.PolicyDocument.Statement, id).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });
});

describe('functions', () => {
  const functions = () => [synth.stack.pipeline.tick, synth.stack.pipeline.continuation];

  it('run Node.js 22 on arm64 with reserved concurrency, Terminate on recursive loops, and source maps', () => {
    for (const fn of functions()) {
      const p = props(fn.function);
      expect([p.Runtime, p.Architectures, p.RecursiveLoop]).toEqual(['nodejs22.x', ['arm64'], 'Terminate']);
      expect(p.ReservedConcurrentExecutions).toBeGreaterThan(0);
      expect(p.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    }
  });

  it('log to their own log group with a retention', () => {
    for (const fn of functions()) {
      expect(props(fn.function).LoggingConfig.LogGroup).toEqual({ Ref: idOf(fn.logGroup) });
      expect(props(fn.logGroup).RetentionInDays).toBe(30);
    }
  });

  it('were bundled locally by esbuild into an ES module with its source map', () => {
    for (const fn of functions()) {
      const asset = props(fn.function).Code.S3Key.replace(/\.zip$/, '');
      const files = readdirSync(join(synth.outdir, `asset.${asset}`));
      expect(files.sort()).toEqual(['index.mjs', 'index.mjs.map']);
    }
  });

  it('bundle everything they load at start-up, leaving out only credential providers reached by dynamic import', () => {
    const lazy = LAZY_CREDENTIAL_PROVIDERS.map((name) => name.replace('/', '\\/')).join('|');
    for (const fn of functions()) {
      const code = readFileSync(join(synth.outdir, `asset.${props(fn.function).Code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs'), 'utf8');
      // A static import or require of a left-out package would load the runtime's copy at start-up, or fail.
      expect(code).not.toMatch(new RegExp(`(?:from|import|require\\()\\s*["'](?:${lazy})`));
      expect(code).toMatch(new RegExp(`import\\(\\s*["'](?:${lazy})`));
      // Statement-level static imports are Node's own modules only.
      expect(code).not.toMatch(/(?:^|[;\n])import(?:[^;"'(]*?from)?\s*["'](?!node:)/m);
    }
  });

  it("carry undici's Pool and request API, the ConveYour HTTP client, without undici's whole index", () => {
    const manifest = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toContain('undici');
    for (const fn of functions()) {
      const map = JSON.parse(readFileSync(join(synth.outdir, `asset.${props(fn.function).Code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs.map'), 'utf8')) as { sources: string[] };
      const undici = map.sources.filter((source) => source.includes('node_modules/undici/'));
      expect(undici).toEqual(expect.arrayContaining([expect.stringMatching(/undici\/lib\/dispatcher\/pool\.js$/), expect.stringMatching(/undici\/lib\/api\/api-request\.js$/)]));
      expect(undici.filter((source) => /undici\/(index\.js|lib\/web\/fetch\/index\.js|lib\/mock\/)/.test(source))).toEqual([]);
    }
  });

  it('load as ES modules exporting handler, given the environment the template sets', () => {
    for (const fn of functions()) {
      const p = props(fn.function);
      const variables = Object.fromEntries(Object.entries(p.Environment.Variables as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : `resolved-${k}`]));
      const entry = join(synth.outdir, `asset.${p.Code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs');
      // A child process: a cold start in a clean module graph, outside the test runner's loader.
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(entry).href)}); process.stdout.write(typeof m.handler);`], {
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...variables },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(result.stdout, result.stderr).toBe('function');
    }
  });

  it('get an environment the functions accept at cold start, naming each source secret', () => {
    for (const fn of functions()) {
      const variables = props(fn.function).Environment.Variables as Record<string, unknown>;
      const env = Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, typeof value === 'string' ? value : `resolved-${key}`]));
      const config = loadPipelineConfig(env);
      expect(config.sources.map((source) => [source.name, source.baseUrl, source.secretId, source.collections.length])).toEqual([
        ['acme', 'https://acme.conveyour.com', 'ConveYourStream/conveyour/acme', COLLECTIONS.length],
        ['beta-eu', 'https://beta.conveyour.com', 'ConveYourStream/conveyour/beta-eu', 2],
      ]);
      expect([config.policy.prefix, config.policy.maxHops, variables.POWERTOOLS_METRICS_NAMESPACE, variables.POWERTOOLS_SERVICE_NAME]).toEqual([PREFIX, 10, METRIC_NAMESPACE, SERVICE_NAME]);
    }
  });
});

describe('schedule', () => {
  it('invokes the tick every minute, with retries and a dead-letter queue', () => {
    const [, schedule] = resourcesOf(synth.json, 'AWS::Scheduler::Schedule')[0]!;
    const target = schedule.Properties.Target;
    expect(schedule.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(referencedId(target.Arn)).toBe(idOf(synth.stack.pipeline.tick.function));
    expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
    expect(target.RetryPolicy.MaximumEventAgeInSeconds).toBeGreaterThanOrEqual(60);
    expect(referencedId(target.DeadLetterConfig.Arn)).toBe(idOf(synth.stack.pipeline.scheduleDeadLetterQueue));
  });
});

describe('credentials', () => {
  it('creates one secret per source, with a generated placeholder and no value', () => {
    const secrets = resourcesOf(synth.json, 'AWS::SecretsManager::Secret').map(([, s]) => s.Properties);
    expect(secrets.map((s) => s.Name).sort()).toEqual(['ConveYourStream/conveyour/acme', 'ConveYourStream/conveyour/beta-eu']);
    for (const secret of secrets) {
      expect(secret.SecretString).toBeUndefined();
      expect(secret.GenerateSecretString).toBeDefined();
    }
  });

  it('puts no credential field or value anywhere in the template', () => {
    expect(JSON.stringify(synth.json)).not.toMatch(/appkey|token/i);
  });

  it('lets both functions read every source secret', () => {
    for (const fn of [synth.stack.pipeline.tick, synth.stack.pipeline.continuation]) {
      const statements = props(fn.role.node.findChild('DefaultPolicy')).PolicyDocument.Statement as any[];
      const readable = statements
        .filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))
        .flatMap((s) => [s.Resource].flat().map(referencedId));
      expect(readable.sort()).toEqual(resourcesOf(synth.json, 'AWS::SecretsManager::Secret').map(([id]) => id).sort());
    }
  });
});

describe('IAM', () => {
  const render = (value: any): string => {
    if (typeof value === 'string') return value;
    if (value?.['Fn::Join']) return (value['Fn::Join'][1] as any[]).map(render).join(value['Fn::Join'][0]);
    if (value?.['Fn::GetAtt']) return `<${value['Fn::GetAtt'][0]}.${value['Fn::GetAtt'][1]}>`;
    if (value?.Ref) return `<${value.Ref}>`;
    return JSON.stringify(value);
  };
  const statements = () => resourcesOf(synth.json, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as any[]);
  const list = (value: unknown) => (Array.isArray(value) ? value : [value]);

  it('grants on no resource "*"', () => {
    expect(statements().flatMap((s) => list(s.Resource).map(render))).not.toContain('*');
  });

  it('has wildcards only where a grant made them: objects under the prefix, function versions, grant action groups', () => {
    const bucket = idOf(synth.stack.landing.bucket);
    const tick = idOf(synth.stack.pipeline.tick.function);
    const resources = new Set(statements().flatMap((s) => list(s.Resource).map(render)).filter((r) => r.includes('*')));
    const actions = new Set(statements().flatMap((s) => list(s.Action) as string[]).filter((a) => a.includes('*')));
    // bucket.grantPut / grantRead (prefix), Scheduler target's grantInvoke (versions and aliases).
    expect([...resources].sort()).toEqual([`<${bucket}.Arn>/${PREFIX}*`, `<${tick}.Arn>:*`].sort());
    // grantPut: s3:Abort*; grantRead: s3:GetObject*, s3:GetBucket*, s3:List*.
    expect([...actions].sort()).toEqual(['s3:Abort*', 's3:GetBucket*', 's3:GetObject*', 's3:List*']);
  });

  it('attaches no managed policy to any role', () => {
    for (const [id, role] of resourcesOf(synth.json, 'AWS::IAM::Role')) expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
  });
});

describe('alarms', () => {
  const alarms = () => resourcesOf(synth.json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const dims = (alarm: any) => Object.fromEntries((alarm.Dimensions ?? []).map((d: any) => [d.Name, typeof d.Value === 'string' ? d.Value : referencedId(d.Value)]));
  const same = (a: Record<string, unknown>, b: Record<string, unknown>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
  const find = (metric: string, dimensions: Record<string, string>) => alarms().filter((a) => a.MetricName === metric && same(dims(a), dimensions));

  it('fire when either dead-letter queue holds a message', () => {
    for (const queue of [synth.stack.pipeline.deadLetterQueue, synth.stack.pipeline.scheduleDeadLetterQueue]) {
      const [alarm] = find('ApproximateNumberOfMessagesVisible', { QueueName: idOf(queue) });
      expect([alarm?.Threshold, alarm?.ComparisonOperator]).toEqual([1, 'GreaterThanOrEqualToThreshold']);
    }
  });

  it('fire on errors and on throttles of each function', () => {
    for (const fn of [synth.stack.pipeline.tick.function, synth.stack.pipeline.continuation.function]) {
      for (const metric of ['Errors', 'Throttles']) expect(find(metric, { FunctionName: idOf(fn) }), metric).toHaveLength(1);
    }
  });

  it('fire when Lambda drops recursive invocations of the continue function', () => {
    expect(find('RecursiveInvocationsDropped', { FunctionName: idOf(synth.stack.pipeline.continuation.function) })).toHaveLength(1);
  });

  it('fire when the tick has not run for 15 minutes, counting no data as not running', () => {
    const [alarm] = find('Invocations', { FunctionName: idOf(synth.stack.pipeline.tick.function) });
    expect([alarm?.ComparisonOperator, alarm?.Threshold, alarm?.TreatMissingData]).toEqual(['LessThanThreshold', 1, 'breaching']);
    expect(alarm.Period * alarm.EvaluationPeriods).toBe(15 * 60);
  });

  it('fire per collection when LagSeconds exceeds the configured threshold', () => {
    for (const [source, collection] of PAIRS) {
      const [alarm] = find(MetricName.LagSeconds, { service: SERVICE_NAME, source, collection });
      expect([alarm?.Namespace, alarm?.Threshold, alarm?.ComparisonOperator], `${source}/${collection}`).toEqual([METRIC_NAMESPACE, 900, 'GreaterThanThreshold']);
    }
  });

  it('fire per collection when runs fail in 2 of 3 five-minute periods, a missing RunFailures counting as none', () => {
    for (const [source, collection] of PAIRS) {
      const [alarm] = find(MetricName.RunFailures, { service: SERVICE_NAME, source, collection });
      expect(
        [alarm?.Namespace, alarm?.Statistic, alarm?.Period, alarm?.Threshold, alarm?.ComparisonOperator, alarm?.EvaluationPeriods, alarm?.DatapointsToAlarm, alarm?.TreatMissingData],
        `${source}/${collection}`,
      ).toEqual([METRIC_NAMESPACE, 'Sum', 300, 1, 'GreaterThanOrEqualToThreshold', 3, 2, 'notBreaching']);
    }
  });

  it('fire per source when the ConveYour clock is more than half of OVERLAP_SECONDS off either way, a missing offset counting as in step', () => {
    const overlap = loadPipelineConfig(Object.fromEntries(Object.entries(props(synth.stack.pipeline.tick.function).Environment.Variables as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : `resolved-${k}`]))).policy.overlapSeconds;
    const clockAlarms = alarms().filter((a) => (a.Metrics ?? []).some((m: any) => m.MetricStat?.Metric?.MetricName === MetricName.ClockOffsetSeconds));
    expect(clockAlarms.map((a) => a.Metrics.find((m: any) => m.MetricStat).MetricStat.Metric.Dimensions.find((d: any) => d.Name === 'source').Value).sort()).toEqual(['acme', 'beta-eu']);
    for (const alarm of clockAlarms) {
      expect([alarm.Threshold, alarm.ComparisonOperator, alarm.EvaluationPeriods, alarm.DatapointsToAlarm, alarm.TreatMissingData]).toEqual([overlap / 2, 'GreaterThanThreshold', 3, 2, 'notBreaching']);
      const expression = alarm.Metrics.find((m: any) => m.ReturnData !== false && m.Expression);
      expect(expression.Expression).toBe('MAX([ABS(ahead), ABS(behind)])');
      const stats = Object.fromEntries(alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [m.Id, [m.MetricStat.Stat, m.MetricStat.Period, m.MetricStat.Metric.Namespace]]));
      expect(stats).toEqual({ ahead: ['Maximum', 300, METRIC_NAMESPACE], behind: ['Minimum', 300, METRIC_NAMESPACE] });
      expect(Object.fromEntries(alarm.Metrics.find((m: any) => m.MetricStat).MetricStat.Metric.Dimensions.map((d: any) => [d.Name, d.Value]))).toMatchObject({ service: SERVICE_NAME });
    }
    expect(overlap).toBe(60);
  });

  it('fire per source while a coverage gap is open, a missing CoverageGapsOpen counting as none', () => {
    for (const source of new Set(PAIRS.map(([name]) => name))) {
      const [alarm] = find(MetricName.CoverageGapsOpen, { service: SERVICE_NAME, source });
      expect(
        [alarm?.Namespace, alarm?.Statistic, alarm?.Period, alarm?.Threshold, alarm?.ComparisonOperator, alarm?.EvaluationPeriods, alarm?.TreatMissingData],
        source,
      ).toEqual([METRIC_NAMESPACE, 'Maximum', 300, 1, 'GreaterThanOrEqualToThreshold', 1, 'notBreaching']);
      expect(alarm?.AlarmDescription).toContain('npm run gaps -- list');
    }
  });

  it('all notify the topic, which e-mails the configured address over TLS only', () => {
    const topic = idOf(synth.stack.monitoring.topic!);
    for (const alarm of alarms()) expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
    synth.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topic } });
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
});

describe('dashboard', () => {
  it('graphs each metric with the exact dimensions the functions publish it with, the run summaries, and function errors', () => {
    const [, dashboard] = resourcesOf(synth.json, 'AWS::CloudWatch::Dashboard')[0]!;
    const body = JSON.parse((dashboard.Properties.DashboardBody['Fn::Join'][1] as any[]).map((part) => (typeof part === 'string' ? part : 'x')).join(''));
    // A graph line is [namespace, metric, dimension name, value, ...]; dimensions come sorted by name.
    const series = body.widgets.flatMap((w: any) => w.properties.metrics ?? []).map((m: any[]) => m.filter((x) => typeof x === 'string').join(' '));
    for (const [source, collection] of PAIRS) {
      for (const metric of [MetricName.LagSeconds, MetricName.RunFailures, MetricName.CursorRestarts, MetricName.WindowSplits]) {
        expect(series).toContain(`${METRIC_NAMESPACE} ${metric} collection ${collection} service ${SERVICE_NAME} source ${source}`);
      }
      for (const metric of [MetricName.RecordsLanded, MetricName.PagesFetched, MetricName.Retries, MetricName.CoverageGapsOpen]) {
        expect(series).toContain(`${METRIC_NAMESPACE} ${metric} service ${SERVICE_NAME} source ${source}`);
      }
    }
    expect(series.filter((s: string) => s.startsWith('AWS/Lambda Errors'))).toHaveLength(2);
    const logTable = body.widgets.find((w: any) => w.type === 'log');
    expect(logTable.properties.query).toMatch(/filter ispresent\(`runs\.0\.status`\) or failures > 0/);
  });
});

describe('Athena', () => {
  const allTables = () => resourcesOf(synth.json, 'AWS::Glue::Table').map(([, t]) => t.Properties.TableInput);
  const tables = () => allTables().filter((t) => t.Name !== 'deletions');
  const deletions = () => allTables().find((t) => t.Name === 'deletions');

  it('has one table per enabled collection and a deletions table, read with the OpenX JSON SerDe that skips malformed lines', () => {
    expect(allTables().map((t) => t.Name).sort()).toEqual([...COLLECTIONS, 'deletions'].sort());
    for (const table of allTables()) {
      expect(table.StorageDescriptor.SerdeInfo).toEqual({ SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', Parameters: { 'ignore.malformed.json': 'true' } });
    }
  });

  it('projects the dt partitions from historyStart to NOW over the landing keys', () => {
    for (const table of tables()) {
      expect(table.PartitionKeys).toEqual([expect.objectContaining({ Name: 'dt', Type: 'string' })]);
      expect(table.Parameters).toMatchObject({
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': '1999-01-01,NOW',
      });
      const template = (table.Parameters['storage.location.template']['Fn::Join'][1] as any[]).map((part) => referencedId(part) ?? part).join('');
      expect(template).toBe(`s3://${idOf(synth.stack.landing.bucket)}/${PREFIX}collection=${table.Name}/dt=\${dt}/`);
    }
  });

  it('declares the top-level fields of each collection, with d as JSON text', () => {
    const columns = (name: string) => tables().find((t) => t.Name === name).StorageDescriptor.Columns.map((c: any) => `${c.Name}:${c.Type}`);
    expect(columns('contacts')).toEqual(['_id:string', 'created_at:bigint', 'updated_at:bigint', 'd:string']);
    expect(columns('lesson_transcripts')).toEqual(expect.arrayContaining(['con_id:string', 'lesson_id:string', 'trigger:string', 'contact:string']));
    expect(columns('message_reports')).toEqual(expect.arrayContaining(['con_id:string', 'message_id:string', 'status:string']));
  });

  it('projects the deletions table on collection (the enabled ones) and dt, over the deletions keys, tombstone fields as columns', () => {
    const table = deletions();
    expect(table.PartitionKeys).toEqual([expect.objectContaining({ Name: 'collection', Type: 'string' }), expect.objectContaining({ Name: 'dt', Type: 'string' })]);
    expect(table.StorageDescriptor.Columns.map((c: any) => `${c.Name}:${c.Type}`)).toEqual(['_id:string', 'deleted_at:bigint', 'last_updated_at:bigint']);
    expect(table.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.collection.type': 'enum',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '1999-01-01,NOW',
    });
    expect(table.Parameters['projection.collection.values'].split(',').sort()).toEqual([...COLLECTIONS].sort());
    const template = (table.Parameters['storage.location.template']['Fn::Join'][1] as any[]).map((part) => referencedId(part) ?? part).join('');
    expect(template).toBe(`s3://${idOf(synth.stack.landing.bucket)}/${PREFIX}deletions/collection=\${collection}/dt=\${dt}/`);
  });

  it('saves a latest-version and a current-state query per collection in a workgroup that encrypts its results', () => {
    const queries = resourcesOf(synth.json, 'AWS::Athena::NamedQuery').map(([, q]) => q.Properties);
    expect(queries).toHaveLength(2 * COLLECTIONS.length);
    for (const query of queries) expect(query.QueryString).toMatch(/row_number\(\) OVER \(PARTITION BY source, "_id" ORDER BY updated_at DESC/);
    const current = queries.filter((query) => query.Name.endsWith(': current state (deleted ids left out)'));
    expect(current.map((query) => query.Name.split(':')[0]).sort()).toEqual([...COLLECTIONS].sort());
    for (const query of current) expect(query.QueryString).toMatch(/LEFT JOIN deleted ON deleted.source = latest.source AND deleted."_id" = latest."_id"/);
    synth.template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({ EnforceWorkGroupConfiguration: true, ResultConfiguration: Match.objectLike({ EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } }) }),
    });
  });
});

describe('Snowflake', () => {
  it("notifies Snowpipe's queue of new .ndjson.gz files under the prefix, without a custom resource", () => {
    expect(props(synth.stack.landing.bucket).NotificationConfiguration).toEqual({
      QueueConfigurations: [
        { Event: 's3:ObjectCreated:*', Queue: SNOWPIPE_QUEUE, Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: PREFIX }, { Name: 'suffix', Value: '.ndjson.gz' }] } } },
      ],
    });
    // Only the two pipeline functions: no notification-handler Lambda with s3:PutBucketNotification on '*'.
    expect(resourcesOf(synth.json, 'Custom::S3BucketNotifications')).toEqual([]);
    expect(resourcesOf(synth.json, 'AWS::Lambda::Function')).toHaveLength(2);
  });

  it('creates the reader role only Snowflake, with the external id, may assume', () => {
    const role = props(synth.stack.snowflake.role!);
    expect(role.RoleName).toBe('ConveYourStream-snowflake-reader');
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Principal: { AWS: SNOWFLAKE_USER }, Condition: { StringEquals: { 'sts:ExternalId': 'AB12345_SFCRole=2_abcdefg=' } } }),
    ]);
  });
});

describe('outputs', () => {
  it('name what a health check needs: the schedule, both dead-letter queues, each source secret, Snowpipe and historyStart', () => {
    const outputs = synth.json.Outputs as Record<string, { Value: unknown }>;
    expect(referencedId(outputs.ScheduleName?.Value)).toBe(idOf(synth.stack.pipeline.schedule));
    expect(referencedId(outputs.ContinuationDeadLetterQueueUrl?.Value)).toBe(idOf(synth.stack.pipeline.deadLetterQueue));
    expect(referencedId(outputs.ScheduleDeadLetterQueueUrl?.Value)).toBe(idOf(synth.stack.pipeline.scheduleDeadLetterQueue));
    expect([outputs.SecretNameAcme?.Value, outputs.SecretNameBetaEu?.Value]).toEqual(['ConveYourStream/conveyour/acme', 'ConveYourStream/conveyour/beta-eu']);
    expect([outputs.SnowpipeQueueArn?.Value, outputs.HistoryStart?.Value]).toEqual([SNOWPIPE_QUEUE, '1999-01-01']);
  });
});

describe('checks', () => {
  it('leaves no cdk-nag AwsSolutions or Serverless finding unfixed or unacknowledged', () => {
    for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
      const report = pack.validateScope(synth.app);
      expect(report.violations.map((v) => `${v.severity} ${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    }
  });

  it('reports no CDK warning or error on the stack', () => {
    expect(Annotations.fromStack(synth.stack).findWarning('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(synth.stack).findError('*', Match.anyValue())).toEqual([]);
  });

  it('acknowledges findings on the resources concerned, each with a reason of 10 words or more', () => {
    const acknowledged = synth.stack.node.findAll().flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ path: construct.node.path, id, reason }))),
    );
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { path, id, reason } of acknowledged) {
      expect(path, id).not.toBe(synth.stack.node.path);
      expect(reason.trim().split(/\s+/).length, `${path} ${id}`).toBeGreaterThanOrEqual(MIN_REASON_WORDS);
    }
  });
});

