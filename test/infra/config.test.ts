/**
 * CDK context -> settings: defaults with no context, the CLI's string forms, and an error
 * naming the context key and what would be valid for each bad value.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLLECTIONS } from '../../functions/conveyour/collections.js';
import { parseStackSettings, type RawContext } from '../../infra/cdk/config.js';
import { parseSourcesFile, readSourcesFile } from '../../infra/cdk/sourcesFile.js';
import { DEFAULT_HISTORY_START } from '../../functions/time/historyStart.js';
import { UNDATED_PARTITION_DATE } from '../../functions/pipeline/landing.js';
import { acknowledge } from '../../infra/cdk/constructs/acknowledge.js';
import { pipelineSourcesJson } from '../../infra/cdk/constructs/pipeline.js';

const NOW_MS = Date.parse('2026-01-15T00:00:00Z');
const parse = (context: RawContext) => parseStackSettings(context, NOW_MS);
const source = (fields: Record<string, unknown>) => ({ sources: [{ name: 'acme', domain: 'acme.conveyour.com', ...fields }] });

describe('settings from context', () => {
  it('fall back to the documented defaults and the committed example sources when there is no context at all', () => {
    const settings = parse({});
    expect(settings.sources).toEqual([{ name: 'default', domain: 'example.conveyour.com', collections: [...COLLECTIONS] }]);
    expect(settings.exampleSources).toBe(true);
    expect([settings.stackName, settings.scheduleRate, settings.scheduleIntervalSeconds, settings.landingPrefix]).toEqual(['ConveYourStream', 'rate(1 minute)', 60, 'conveyour/']);
    expect([settings.alarmEmail, settings.snowpipeQueueArn, settings.snowflakePrincipal, settings.historyStart, settings.reserveConcurrency]).toEqual([undefined, undefined, undefined, DEFAULT_HISTORY_START, false]);
  });

  it('read the sources from the file, context overriding it; only the example is marked', () => {
    const file = parseSourcesFile({ sources: [{ name: 'acme', domain: 'acme.conveyour.com' }] }, 'sources.json');
    expect(parseStackSettings({}, NOW_MS, file)).toMatchObject({ sources: [{ name: 'acme' }], exampleSources: false });
    expect(parseStackSettings({ sources: [{ name: 'beta', domain: 'beta.conveyour.com' }] }, NOW_MS, readSourcesFile())).toMatchObject({ sources: [{ name: 'beta' }], exampleSources: false });
    expect(() => parseSourcesFile({ sources: [], extra: 1 }, 'sources.json')).toThrow(/sources.json has unknown key\(s\) extra; valid: \$comment, example, sources/);
    expect(() => parseSourcesFile({}, 'sources.json')).toThrow(/sources.json has no "sources"/);
  });

  it('keep the undated partition inside the default history', () => {
    expect(UNDATED_PARTITION_DATE >= DEFAULT_HISTORY_START).toBe(true);
  });

  it('keep a source\'s timezone, canonical, and hand it to the functions in PIPELINE_SOURCES', () => {
    const settings = parse(source({ initialStartTime: 'first day of last month', timezone: 'america/new_york' }));
    expect(settings.sources[0]).toMatchObject({ initialStartTime: 'first day of last month', timezone: 'America/New_York' });
    expect(JSON.parse(pipelineSourcesJson(settings.sources, (name) => `secret-${name}`, Date.now()))[0]).toMatchObject({ timezone: 'America/New_York' });
  });

  it('read sources and numbers given as strings on the command line (-c key=value)', () => {
    const settings = parse({
      sources: JSON.stringify([{ name: 'acme', domain: 'Acme.ConveYour.com', collections: 'contacts, events', initialStartTime: 1_600_000_000 }]),
      lagThresholdSeconds: '600',
      reserveConcurrency: 'false',
    });
    expect(settings.sources).toEqual([{ name: 'acme', domain: 'acme.conveyour.com', collections: ['contacts', 'events'], initialStartTime: '1600000000' }]);
    expect([settings.lagThresholdSeconds, settings.reserveConcurrency]).toEqual([600, false]);
  });

  it('start the history at historyStart, not at the sources\' start times', () => {
    expect(parse({ ...source({ initialStartTime: '2021-05-04T10:00:00Z' }) }).historyStart).toBe('2000-01-01');
    expect(parse({ ...source({}), historyStart: '1995-03-01' }).historyStart).toBe('1995-03-01');
  });

  it('put the landing zone at the bucket root for an empty prefix or "/"', () => {
    expect(parse({ landingPrefix: '' }).landingPrefix).toBe('');
    expect(parse({ landingPrefix: '/' }).landingPrefix).toBe('');
  });

  it('normalise the landing prefix to end with one slash', () => {
    expect(parse({ landingPrefix: '/raw/conveyour' }).landingPrefix).toBe('raw/conveyour/');
  });

  it('accept plural units above 1 in the schedule rate', () => {
    expect(parse({ scheduleRate: 'rate(5 minutes)', lagThresholdSeconds: 900 }).scheduleIntervalSeconds).toBe(300);
    expect(parse({ scheduleRate: 'rate(1 day)', lagThresholdSeconds: 2 * 86_400 }).scheduleIntervalSeconds).toBe(86_400);
  });
});

describe('a bad context value fails with the key and what would be valid', () => {
  const cases: Array<[string, RawContext, RegExp]> = [
    ['a source name with a space', source({ name: 'acme corp' }), /"sources\[0\]\.name" must be 1-64 letters, digits, '-' or '_'/],
    ['a source name used twice', { sources: [{ name: 'a', domain: 'a.conveyour.com' }, { name: 'a', domain: 'b.conveyour.com' }] }, /"sources\[1\]\.name" is used twice/],
    ['a source without a domain', { sources: [{ name: 'a' }] }, /"sources\[0\]\.domain" is required \(e\.g\. "acme\.conveyour\.com"\)/],
    ['a domain with a scheme', source({ domain: 'https://acme.conveyour.com' }), /"sources\[0\]\.domain" must be a bare host name such as "acme\.conveyour\.com"/],
    ['an unknown key in a source', source({ collection: 'events' }), /"sources\[0\]" has unknown key\(s\) collection; valid: name, domain, collections, initialStartTime, timezone/],
    ['an unknown time zone', source({ timezone: 'Mars/Olympus', initialStartTime: 'yesterday' }), /"sources\[0\]\.timezone": sources\[0\]\.timezone 'Mars\/Olympus' is not an IANA time zone/],
    ['an unknown collection', source({ collections: ['events', 'emails'] }), /"sources\[0\]\.collections" has unknown collection\(s\) "emails"; valid: campaigns, contacts/],
    ['an unparseable start time', source({ initialStartTime: 'last tuesdayish' }), /"sources\[0\]\.initialStartTime": .*'last tuesdayish' is not a time; use unix seconds/],
    ['sources that are not JSON', { sources: '[{name:' }, /"sources" must be JSON/],
    ['an empty source list', { sources: [] }, /"sources" must be a non-empty JSON array/],
    ['an e-mail without a domain', { alarmEmail: 'ops@localhost' }, /"alarmEmail" must be an e-mail address such as ops@example\.com/],
    ['a Snowpipe ARN of another service', { snowpipeQueueArn: 'arn:aws:sns:us-east-1:123456789012:sf-snowpipe' }, /"snowpipeQueueArn" must be the SQS ARN in SHOW PIPES' notification_channel/],
    ['a Snowflake principal that is a role', { snowflakeIamUserArn: 'arn:aws:iam::123456789012:role/x', snowflakeExternalId: 'abc' }, /"snowflakeIamUserArn" must be Snowflake's STORAGE_AWS_IAM_USER_ARN/],
    ['a Snowflake user without its external id', { snowflakeIamUserArn: 'arn:aws:iam::123456789012:user/x' }, /"snowflakeExternalId" is required when snowflakeIamUserArn is set/],
    ['a cron expression as the rate', { scheduleRate: 'cron(* * * * ? *)' }, /"scheduleRate" must be an EventBridge Scheduler rate such as "rate\(1 minute\)"/],
    ['a plural unit for 1', { scheduleRate: 'rate(1 minutes)' }, /"scheduleRate" must use a singular unit for 1 and a plural one above/],
    ['a rate of 0', { scheduleRate: 'rate(0 minutes)' }, /"scheduleRate" must be .* with a value of at least 1/],
    ['a lag threshold under two schedule intervals', { scheduleRate: 'rate(10 minutes)', lagThresholdSeconds: 900 }, /"lagThresholdSeconds" must be at least twice the schedule interval \(1200 seconds/],
    ['a lag threshold that is not a number', { lagThresholdSeconds: 'soon' }, /"lagThresholdSeconds" must be an integer from 300 to 2592000, got "soon"/],
    ['a log retention CloudWatch does not offer', { logRetentionDays: 10 }, /"logRetentionDays" must be one of CloudWatch Logs' retention periods: 1, 3, 5, 7, 14, 30/],
    ['a prefix with a double slash', { landingPrefix: 'a//b' }, /"landingPrefix" must be an S3 key prefix/],
    ['a prefix with a wildcard, which would widen the IAM grants', { landingPrefix: 'raw/*' }, /"landingPrefix" must be an S3 key prefix of letters, digits/],
    ['a history start that is not a date', { historyStart: '2020/01/01' }, /historyStart must be a date yyyy-MM-dd/],
    ['a history start after the undated partition', { historyStart: '2015-01-01' }, /"historyStart" must be on or before 2000-01-01: records without a numeric updated_at/],
    ['a source starting before historyStart', { ...source({ initialStartTime: '1990-01-01' }), historyStart: '1995-01-01' }, /"sources\[0\].initialStartTime" is before "historyStart" \(1995-01-01\)/],
    ['the old partitionStartDate', { partitionStartDate: '2020-01-01' }, /"partitionStartDate" is now "historyStart"/],
    ['a reservation with no quota stated', { reserveConcurrency: 'true' }, /"accountConcurrencyQuota" is required/],
    ['a reservation a new account cannot hold', { reserveConcurrency: 'true', accountConcurrencyQuota: '10' }, /quota of 10 leaves only 0 to reserve/],
    ['a quota that is not a number', { reserveConcurrency: 'true', accountConcurrencyQuota: 'lots' }, /"accountConcurrencyQuota" must be an integer/],
    ['a concurrency switch that is not boolean', { reserveConcurrency: 'maybe' }, /"reserveConcurrency" must be true or false, got "maybe"/],
    ['a continuation concurrency below the SQS minimum', { continueConcurrency: 1 }, /"continueConcurrency" must be an integer from 2 to 1000/],
    ['a stack name with a space', { stackName: 'my stack' }, /"stackName" must be a CloudFormation stack name/],
    ['a stack name too long for the roles named after it', { stackName: 'A'.repeat(41) }, /"stackName" must be a CloudFormation stack name of at most 40 characters/],
    ['ticks more than a day apart', { scheduleRate: 'rate(2 days)', lagThresholdSeconds: 86_400 * 5 }, /"scheduleRate" must be at most a day apart/],
    ['sources given as an object', { sources: { name: 'acme' } }, /"sources" must be a non-empty JSON array of \{"name", "domain", "collections", "initialStartTime"\}, got \{"name":"acme"\}/],
    ['a source that is not an object', { sources: [42] }, /"sources\[0\]" must be an object \{"name", "domain", "collections", "initialStartTime"\}, got 42/],
    ['a source without a name', { sources: [{ domain: 'acme.conveyour.com' }] }, /"sources\[0\]\.name" is required \(e\.g\. "acme"\)/],
    ['an empty collection list', source({ collections: [] }), /"sources\[0\]\.collections" must be "all" or a list of collections: campaigns, .*, got \[\]/],
    ['a start time of the wrong type', source({ initialStartTime: true }), /"sources\[0\]\.initialStartTime" must be unix seconds, an ISO 8601 date .*, got true/],
    ['a schedule rate that is not a string', { scheduleRate: 5 }, /"scheduleRate" must be a string, got 5/],
    ['a prefix holding the partition key', { landingPrefix: 'raw/collection=x/' }, /"landingPrefix" must be an S3 key prefix .*no 'collection='.*, got "raw\/collection=x\/"/],
    ['a Snowflake external id without its IAM user', { snowflakeExternalId: 'abc' }, /"snowflakeIamUserArn" is required when snowflakeExternalId is set/],
    ['noncurrent versions kept 0 days', { noncurrentVersionDays: 0 }, /"noncurrentVersionDays" must be an integer from 1 to 3650, got 0/],
    ['a continuation concurrency in words', { continueConcurrency: 'five' }, /"continueConcurrency" must be an integer from 2 to 1000, got "five"/],
  ];

  it.each(cases)('%s', (_name, context, message) => {
    expect(() => parse(context)).toThrow(message);
  });

  it('says how to set the value', () => {
    expect(() => parse({ alarmEmail: 'nope' })).toThrow(/set it in cdk\.json "context" \(sources: infra\/cdk\/sources\.json\) or with `npx cdk deploy -c key=value`/);
  });
});

describe('PIPELINE_SOURCES', () => {
  it('writes "all" for a source with every collection, and the function parser accepts it', () => {
    const json = pipelineSourcesJson(parse({}).sources, (name) => `stack/conveyour/${name}`, NOW_MS);
    expect(JSON.parse(json)).toEqual([{ name: 'default', domain: 'example.conveyour.com', secretId: 'stack/conveyour/default', collections: 'all' }]);
  });

  it("fails at synth when the sources would not fit in Lambda's 4 KiB of environment", () => {
    const sources = Array.from({ length: 30 }, (_, i) => ({ name: `source-${i}`, domain: `s${i}.conveyour.com`, collections: ['contacts', 'events', 'tags'] }));
    expect(() => pipelineSourcesJson(parse({ sources }).sources, (name) => `stack/conveyour/${name}`, NOW_MS)).toThrow(/PIPELINE_SOURCES .* bytes, over the 3072 that fit/);
  });
});

describe('cdk-nag acknowledgements', () => {
  // An App without an outdir makes a temporary directory of its own and leaves it behind.
  let outdir: string;
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'cdk-nag-'));
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('refuse a reason shorter than 10 words', () => {
    const stack = new Stack(new App({ outdir }), 'S');
    expect(() => acknowledge(stack, 'AwsSolutions-S1', 'not needed here')).toThrow(/needs a reason of at least 10 words, got 3/);
  });

  it('leave a finding reported when nothing acknowledges it (the check is live)', () => {
    const app = new App({ outdir });
    new s3.Bucket(new Stack(app, 'S'), 'Plain');
    const rules = new AwsSolutionsChecks().validateScope(app).violations.map((violation) => violation.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });
});
