/**
 * The deployment's settings, read from CDK context (cdk.json "context", or `-c key=value`)
 * and validated before any construct exists: a typo fails `cdk synth` with a message that
 * names the context key and what would be valid, instead of deploying a broken pipeline.
 *
 * The sources come from the committed infra/cdk/sources.json (context `sources` overrides it,
 * for tests). A clone's file holds an example source: it synthesizes, and the stack refuses
 * to deploy it (settings.exampleSources).
 */
import { ConfigError } from '../../functions/config/env.js';
import { COLLECTIONS, isCollectionName, type CollectionName } from '../../functions/conveyour/collections.js';
import { baseUrlFromDomain } from '../../functions/conveyour/endpoint.js';
import { normalisePrefix } from '../../functions/pipeline/landing.js';
import { resolveTime } from '../../functions/time/timeExpression.js';
import { DEFAULT_HISTORY_START, parseHistoryStart } from '../../functions/time/historyStart.js';
import { UNDATED_PARTITION_DATE } from '../../functions/pipeline/landing.js';
import { EXAMPLE_DOMAIN, readSourcesFile, type SourcesFile } from './sourcesFile.js';
import { parseTimeZone } from '../../functions/time/timeZone.js';

/** One ConveYour account the pipeline tails. */
export interface SourceSettings {
  /** Names the secret, the checkpoints, the metrics' `source` dimension and the landing files. */
  name: string;
  /** Bare host name, e.g. `acme.conveyour.com`. */
  domain: string;
  collections: CollectionName[];
  /** Where a collection without a checkpoint starts (unix seconds, ISO date or a phrase); absent: all history. */
  initialStartTime?: string;
  /** The IANA zone an initialStartTime phrase means (PHP's date.timezone); absent: UTC. */
  timezone?: string;
}

export interface StackSettings {
  stackName: string;
  sources: SourceSettings[];
  /** EventBridge Scheduler expression, e.g. `rate(1 minute)`. */
  scheduleRate: string;
  scheduleIntervalSeconds: number;
  /** True while the sources are the shipped example: synth works, deploy is refused. */
  exampleSources: boolean;
  /** '' (the bucket root) or 'path/'. */
  landingPrefix: string;
  logRetentionDays: number;
  noncurrentVersionDays: number;
  lagThresholdSeconds: number;
  alarmEmail?: string;
  snowpipeQueueArn?: string;
  /** Snowflake's IAM user and external id (from DESC INTEGRATION): creates the role Snowflake assumes. */
  snowflakePrincipal?: { iamUserArn: string; externalId: string };
  /** yyyy-MM-dd: first day of Athena's `dt` projection; backfills refuse to start before it. */
  historyStart: string;
  /** Off by default: a new account's quota (often 10) leaves nothing to reserve. */
  reserveConcurrency: boolean;
  /** The account's Lambda concurrency quota, as the operator states it; required to reserve. */
  accountConcurrencyQuota?: number;
  /** The continuation function's reserved concurrency and its SQS event source's maximum concurrency. */
  continueConcurrency: number;
}

/**
 * Lambda keeps this much of an account's quota unreserved (all of it on accounts whose quota
 * is this or less, such as a new account's 10): reservations must fit in the rest.
 */
export const MIN_UNRESERVED_CONCURRENCY = 100;
/** Reserved for the tick when reserveConcurrency is on: one running, one late or duplicate delivery. */
export const TICK_RESERVED_CONCURRENCY = 2;

const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const SOURCE_KEYS = ['name', 'domain', 'collections', 'initialStartTime', 'timezone'];
const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** 40 characters leaves room in the 64 of the IAM role named after it ({stack}-snowflake-reader). */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,39}$/;
const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const EMAIL = /^[^\s@"'<>]+@[^\s@"'<>]+\.[A-Za-z]{2,}$/;
const SQS_ARN = /^arn:aws[a-z-]*:sqs:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,80}$/;
const IAM_USER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:user\/[\w+=,.@/-]{1,512}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
/** Narrower than S3 allows: the prefix ends up in IAM patterns (no '*') and SQL literals (no quotes). */
const PREFIX = /^[A-Za-z0-9_./-]*$/;

const HOW_TO_SET = 'set it in cdk.json "context" (sources: infra/cdk/sources.json) or with `npx cdk deploy -c key=value`';

/** Every context key this app reads. */
export const CONTEXT_KEYS = [
  'stackName',
  'sources',
  'scheduleRate',
  'landingPrefix',
  'logRetentionDays',
  'noncurrentVersionDays',
  'lagThresholdSeconds',
  'alarmEmail',
  'snowpipeQueueArn',
  'snowflakeIamUserArn',
  'snowflakeExternalId',
  'historyStart',
  'reserveConcurrency',
  'accountConcurrencyQuota',
  'continueConcurrency',
  // Read only to say it was renamed.
  'partitionStartDate',
] as const;

export type ContextKey = (typeof CONTEXT_KEYS)[number];
export type RawContext = Partial<Record<ContextKey, unknown>>;

/** Reads every key with `tryGetContext`, e.g. `readContext((key) => app.node.tryGetContext(key))`. */
export function readContext(get: (key: string) => unknown): RawContext {
  return Object.fromEntries(CONTEXT_KEYS.map((key) => [key, get(key)]));
}

/**
 * Validates raw context into settings; throws ConfigError naming the key.
 * @example parseStackSettings({ sources: [{ name: 'acme', domain: 'acme.conveyour.com' }] })
 */
export function parseStackSettings(context: RawContext, nowMs: number = Date.now(), file: SourcesFile = readSourcesFile()): StackSettings {
  const scheduleRate = text(context.scheduleRate, 'scheduleRate') ?? 'rate(1 minute)';
  const scheduleIntervalSeconds = parseRate(scheduleRate);
  const fromContext = context.sources !== undefined && context.sources !== null && context.sources !== '';
  const sources = parseSources(fromContext ? context.sources : file.sources, nowMs);
  const exampleSources = (!fromContext && file.example) || sources.some((source) => source.domain === EXAMPLE_DOMAIN);
  if (context.partitionStartDate !== undefined && context.partitionStartDate !== null) {
    throw new ConfigError('partitionStartDate', 'context "partitionStartDate" is now "historyStart" (the first day Athena shows, default 2000-01-01): rename it');
  }
  const historyStart = parseHistoryStartSetting(context.historyStart, sources, nowMs);
  const reserveConcurrency = boolean(context.reserveConcurrency, 'reserveConcurrency', false);
  const continueConcurrency = integer(context.continueConcurrency, 'continueConcurrency', 5, { min: 2, max: 1000 });
  const accountConcurrencyQuota = context.accountConcurrencyQuota === undefined ? undefined : integer(context.accountConcurrencyQuota, 'accountConcurrencyQuota', 0, { min: 1, max: 1_000_000 });
  if (reserveConcurrency) checkReservation(continueConcurrency, accountConcurrencyQuota);
  const lagThresholdSeconds = integer(context.lagThresholdSeconds, 'lagThresholdSeconds', 1800, { min: 300, max: 30 * 86_400 });
  if (lagThresholdSeconds < 2 * scheduleIntervalSeconds) {
    throw invalid('lagThresholdSeconds', `must be at least twice the schedule interval (${2 * scheduleIntervalSeconds} seconds for ${scheduleRate}), or the lag alarms fire between two healthy ticks`, lagThresholdSeconds);
  }
  const iamUserArn = matching(context.snowflakeIamUserArn, 'snowflakeIamUserArn', IAM_USER_ARN, "Snowflake's STORAGE_AWS_IAM_USER_ARN from DESC INTEGRATION, e.g. arn:aws:iam::123456789012:user/abc1-s-xyz");
  const externalId = matching(context.snowflakeExternalId, 'snowflakeExternalId', EXTERNAL_ID, "Snowflake's STORAGE_AWS_EXTERNAL_ID from DESC INTEGRATION");
  if ((iamUserArn === undefined) !== (externalId === undefined)) {
    const missing = iamUserArn === undefined ? 'snowflakeIamUserArn' : 'snowflakeExternalId';
    throw new ConfigError(missing, `context "${missing}" is required when ${missing === 'snowflakeIamUserArn' ? 'snowflakeExternalId' : 'snowflakeIamUserArn'} is set: both come from Snowflake's DESC INTEGRATION`);
  }
  return {
    stackName: matching(context.stackName, 'stackName', STACK_NAME, 'a CloudFormation stack name of at most 40 characters: a letter, then letters, digits or -') ?? 'ConveYourStream',
    sources,
    scheduleRate,
    scheduleIntervalSeconds,
    exampleSources,
    landingPrefix: parsePrefix(context.landingPrefix),
    logRetentionDays: oneOf(context.logRetentionDays, 'logRetentionDays', 30, LOG_RETENTION_DAYS),
    noncurrentVersionDays: integer(context.noncurrentVersionDays, 'noncurrentVersionDays', 30, { min: 1, max: 3650 }),
    lagThresholdSeconds,
    alarmEmail: matching(context.alarmEmail, 'alarmEmail', EMAIL, 'an e-mail address such as ops@example.com'),
    snowpipeQueueArn: matching(context.snowpipeQueueArn, 'snowpipeQueueArn', SQS_ARN, "the SQS ARN in SHOW PIPES' notification_channel, e.g. arn:aws:sqs:us-east-1:123456789012:sf-snowpipe-AIDAXYZ-abc"),
    snowflakePrincipal: iamUserArn !== undefined && externalId !== undefined ? { iamUserArn, externalId } : undefined,
    historyStart,
    reserveConcurrency,
    ...(accountConcurrencyQuota === undefined ? {} : { accountConcurrencyQuota }),
    continueConcurrency,
  };
}

/**
 * Reserving concurrency is refused at synth unless it fits the quota the operator states:
 * CloudFormation would otherwise fail creating the first function and roll the stack back.
 */
function checkReservation(continueConcurrency: number, quota: number | undefined): void {
  const wanted = TICK_RESERVED_CONCURRENCY + continueConcurrency;
  const ask = 'aws lambda get-account-settings --query AccountLimit.ConcurrentExecutions';
  if (quota === undefined) {
    throw new ConfigError('accountConcurrencyQuota', `context "reserveConcurrency" is true, so "accountConcurrencyQuota" is required: your account's Lambda concurrency quota (\`${ask}\`); ${HOW_TO_SET}`);
  }
  const reservable = quota - Math.min(quota, MIN_UNRESERVED_CONCURRENCY);
  if (wanted > reservable) {
    throw new ConfigError(
      'reserveConcurrency',
      `context "reserveConcurrency" would reserve ${wanted} executions (tick ${TICK_RESERVED_CONCURRENCY} + continueConcurrency ${continueConcurrency}), but an account quota of ${quota} leaves only ${reservable} to reserve (Lambda keeps ${Math.min(quota, MIN_UNRESERVED_CONCURRENCY)} unreserved, less any other function's reservation): set "reserveConcurrency" to false, lower "continueConcurrency", or ask AWS Support to raise the quota (Service Quotas, "Concurrent executions")`,
    );
  }
}

function parseSources(value: unknown, nowMs: number): SourceSettings[] {
  if (value === undefined || value === null || value === '') throw invalid('sources', 'must list at least one ConveYour account, in infra/cdk/sources.json', value);
  const list = typeof value === 'string' ? parseJson(value, 'sources') : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw invalid('sources', 'must be a non-empty JSON array of {"name", "domain", "collections", "initialStartTime"}', value);
  }
  const names = new Set<string>();
  return list.map((entry: unknown, index) => {
    const at = `sources[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(at, 'must be an object {"name", "domain", "collections", "initialStartTime"}', entry);
    const record = entry as Record<string, unknown>;
    const unknown = Object.keys(record).filter((key) => !SOURCE_KEYS.includes(key));
    if (unknown.length > 0) throw new ConfigError(`${at}.${unknown[0]}`, `context "${at}" has unknown key(s) ${unknown.join(', ')}; valid: ${SOURCE_KEYS.join(', ')}`);
    const name = matching(record.name, `${at}.name`, SOURCE_NAME, "1-64 letters, digits, '-' or '_', starting with a letter or digit");
    if (name === undefined) throw new ConfigError(`${at}.name`, `context "${at}.name" is required (e.g. "acme")`);
    if (names.has(name)) throw invalid(`${at}.name`, 'is used twice; source names must be unique', name);
    names.add(name);
    const domain = text(record.domain, `${at}.domain`);
    if (domain === undefined) throw new ConfigError(`${at}.domain`, `context "${at}.domain" is required (e.g. "acme.conveyour.com")`);
    checkDomain(domain, `${at}.domain`);
    const zone = record.timezone === undefined ? undefined : checkTimeZone(record.timezone, `${at}.timezone`);
    const start = record.initialStartTime;
    if (start !== undefined) checkStartTime(start, `${at}.initialStartTime`, nowMs, zone);
    return {
      name,
      domain: domain.toLowerCase(),
      collections: parseCollections(record.collections, `${at}.collections`),
      ...(start === undefined ? {} : { initialStartTime: String(start) }),
      ...(zone === undefined ? {} : { timezone: zone }),
    };
  });
}

/** The same rule the function applies at cold start, so a domain that synthesizes also runs. */
function checkDomain(domain: string, key: string): void {
  try {
    baseUrlFromDomain(domain, key);
  } catch {
    throw invalid(key, 'must be a bare host name such as "acme.conveyour.com" (no https://, no path)', domain);
  }
}

function checkTimeZone(zone: unknown, key: string): string {
  try {
    return parseTimeZone(String(zone), key);
  } catch (error) {
    throw new ConfigError(key, `context "${key}": ${(error as Error).message}; ${HOW_TO_SET}`);
  }
}

function checkStartTime(start: unknown, key: string, nowMs: number, timeZone = 'UTC'): void {
  const hint = 'must be unix seconds, an ISO 8601 date such as "2019-01-01", or a phrase such as "-30 days"';
  if (typeof start !== 'string' && typeof start !== 'number') throw invalid(key, hint, start);
  try {
    resolveTime(String(start), { now: Math.floor(nowMs / 1000), name: key, timeZone });
  } catch (error) {
    // The parser's message names the input and lists the accepted forms already.
    throw new ConfigError(key, `context "${key}": ${(error as Error).message}; ${HOW_TO_SET}`);
  }
}

function parseCollections(value: unknown, key: string): CollectionName[] {
  if (value === undefined || value === 'all') return [...COLLECTIONS];
  const list = typeof value === 'string' ? value.split(',').map((item) => item.trim()) : value;
  if (!Array.isArray(list) || list.length === 0) throw invalid(key, `must be "all" or a list of collections: ${COLLECTIONS.join(', ')}`, value);
  const unknown = list.filter((item) => typeof item !== 'string' || !isCollectionName(item));
  if (unknown.length > 0) throw invalid(key, `has unknown collection(s) ${unknown.map((item) => JSON.stringify(item)).join(', ')}; valid: ${COLLECTIONS.join(', ')}`, value);
  return [...new Set(list as CollectionName[])];
}

/** Seconds between two schedule runs; Scheduler wants a singular unit for 1 and a plural one above. */
function parseRate(rate: string): number {
  const match = RATE.exec(rate);
  const hint = 'an EventBridge Scheduler rate such as "rate(1 minute)", "rate(5 minutes)" or "rate(1 hour)"';
  if (!match) throw invalid('scheduleRate', `must be ${hint}`, rate);
  const count = Number(match[1]);
  const unit = match[2]!;
  if (count < 1) throw invalid('scheduleRate', `must be ${hint} with a value of at least 1`, rate);
  if ((count === 1) !== !unit.endsWith('s')) throw invalid('scheduleRate', `must use a singular unit for 1 and a plural one above (e.g. "rate(1 minute)", "rate(2 minutes)")`, rate);
  const seconds = count * { minute: 60, hour: 3600, day: 86_400 }[unit.replace(/s$/, '') as 'minute' | 'hour' | 'day'];
  // A pipeline meant to land changes within a minute has no use for rarer ticks, and CloudWatch
  // alarms (the tick heartbeat) cannot look back further than a day.
  if (seconds > 86_400) throw invalid('scheduleRate', 'must be at most a day apart, e.g. "rate(1 day)"', rate);
  return seconds;
}

/** Absent: `conveyour/`. An empty string (or '/') puts the landing zone at the bucket root. */
function parsePrefix(value: unknown): string {
  if (value === undefined || value === null) return 'conveyour/';
  if (typeof value !== 'string') throw invalid('landingPrefix', 'must be a string', value);
  const raw = value.trim();
  if (!PREFIX.test(raw) || raw.includes('//') || raw.length > 200 || raw.includes('collection=')) {
    throw invalid('landingPrefix', "must be an S3 key prefix of letters, digits, '_', '.', '-' and '/' (no '//', no 'collection='), at most 200 characters, e.g. \"conveyour/\"", raw);
  }
  return normalisePrefix(raw);
}

function parseHistoryStartSetting(value: unknown, sources: readonly SourceSettings[], nowMs: number): string {
  const given = text(value, 'historyStart');
  const historyStart = given === undefined ? DEFAULT_HISTORY_START : parseHistoryStart(given, 'historyStart');
  // Records without a time land in dt=UNDATED_PARTITION_DATE: a later start would hide them.
  if (historyStart > UNDATED_PARTITION_DATE) {
    throw invalid('historyStart', `must be on or before ${UNDATED_PARTITION_DATE}: records without a numeric updated_at or created_at land in dt=${UNDATED_PARTITION_DATE}, which Athena must see`, historyStart);
  }
  const startSeconds = Date.parse(`${historyStart}T00:00:00Z`) / 1000;
  for (const [index, source] of sources.entries()) {
    if (source.initialStartTime === undefined) continue;
    const at = resolveTime(source.initialStartTime, { now: Math.floor(nowMs / 1000), name: `sources[${index}].initialStartTime` });
    if (at < startSeconds) throw invalid(`sources[${index}].initialStartTime`, `is before "historyStart" (${historyStart}): Athena would not see what it lands; move it or set an earlier historyStart`, source.initialStartTime);
  }
  return historyStart;
}

function parseJson(raw: string, key: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new ConfigError(key, `context "${key}" must be JSON (${(error as Error).message}); ${HOW_TO_SET}`);
  }
}

function text(value: unknown, key: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(key, 'must be a string', value);
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function matching(value: unknown, key: string, pattern: RegExp, hint: string): string | undefined {
  const raw = text(value, key);
  if (raw !== undefined && !pattern.test(raw)) throw invalid(key, `must be ${hint}`, raw);
  return raw;
}

function integer(value: unknown, key: string, fallback: number, { min, max }: { min: number; max: number }): number {
  if (value === undefined || value === null || value === '') return fallback;
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (!Number.isInteger(number) || number < min || number > max) throw invalid(key, `must be an integer from ${min} to ${max}`, value);
  return number;
}

function oneOf(value: unknown, key: string, fallback: number, allowed: readonly number[]): number {
  const number = integer(value, key, fallback, { min: 1, max: Number.MAX_SAFE_INTEGER });
  if (!allowed.includes(number)) throw invalid(key, `must be one of CloudWatch Logs' retention periods: ${allowed.join(', ')}`, value);
  return number;
}

function boolean(value: unknown, key: string, fallback: boolean): boolean {
  if (value === undefined || value === null || value === '') return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw invalid(key, 'must be true or false', value);
}

function invalid(key: string, rule: string, got: unknown): ConfigError {
  return new ConfigError(key, `context "${key}" ${rule}, got ${JSON.stringify(got)}; ${HOW_TO_SET}`);
}
