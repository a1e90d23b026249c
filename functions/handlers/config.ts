/**
 * The Lambda functions' configuration, read from the environment once per container and
 * validated at cold start: a bad value fails the first invocation with a message that names
 * the variable, instead of half-running.
 *
 * PIPELINE_SOURCES is JSON: [{ "name": "acme", "domain": "acme.conveyour.com",
 *   "secretId": "conveyour/acme", "collections": ["contacts", "events"] | "all",
 *   "initialStartTime": "2019-01-01" }]. The secret holds {"appkey": "...", "token": "..."}.
 */
import type { ClientOptions } from '../conveyour/client.js';
import { COLLECTIONS, isCollectionName, type CollectionName } from '../conveyour/collections.js';
import { clientOptionsFromEnv } from '../conveyour/endpoint.js';
import { clientTuningFromEnv } from '../conveyour/tuning.js';
import type { Credentials } from '../conveyour/types.js';
import { baseUrlFromDomain, normalizeBaseUrl } from '../conveyour/endpoint.js';
import type { UnixSeconds } from '../conveyour/types.js';
import { ConfigError, optionalNumber, optionalString, requireString, type Env } from '../config/env.js';
import {
  DEFAULT_MAX_HOPS,
  DEFAULT_OVERLAP_SECONDS,
  DEFAULT_SETTLE_SECONDS,
  MAX_HOPS_LIMIT,
  MAX_OVERLAP_SECONDS,
  MAX_SETTLE_SECONDS,
  MIN_OVERLAP_SECONDS,
} from '../config/limits.js';
import { normalisePrefix } from '../pipeline/landing.js';
import type { PipelinePolicy } from '../pipeline/orchestrate.js';
import { resolveTime } from '../time/timeExpression.js';
import { parseTimeZone } from '../time/timeZone.js';

export interface SourceConfig {
  name: string;
  baseUrl: string;
  /** Secrets Manager id (name or ARN) of {"appkey","token"}; absent when credentials come from the environment (local). */
  secretId: string | undefined;
  collections: CollectionName[];
  initialStart: UnixSeconds;
}

export interface PipelineConfig {
  sources: SourceConfig[];
  bucket: string;
  table: string;
  queueUrl: string;
  policy: PipelinePolicy;
  /** Per attempt, for every AWS SDK request (the SDK's default is no timeout at all). */
  awsRequestTimeoutMs: number;
  /** Below this lag an idle collection publishes no LagSeconds. */
  lagFloorSeconds: number;
  backfill: {
    /** A window whose progress has not moved for this long is re-sent on a new chain. */
    stallMs: number;
    /** How long a backfill worker holds back after ConveYour throttled. */
    throttleHoldMs: number;
  };
}

/** What the handlers' runtime reads besides the pipeline: its logger, its AWS clients, its ConveYour clients. */
export interface RuntimeSettings {
  /** POWERTOOLS_LOG_LEVEL, upper-cased; undefined = Powertools' default (INFO). */
  logLevel: string | undefined;
  aws: {
    region: string;
    endpoints: { s3: string | undefined; dynamodb: string | undefined; sqs: string | undefined; secretsManager: string | undefined };
  };
  client: Pick<ClientOptions, 'requestTimeoutMs' | 'retry'>;
  /** CONVEYOUR_APPKEY and CONVEYOUR_TOKEN, read only when a source has no secretId, and then required. */
  envCredentials: Credentials | undefined;
}

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'];

/**
 * The rest of the handlers' environment, read at cold start with the pipeline's config, so no
 * invocation reads the environment again: a missing credential fails the cold start, naming
 * the variable, not the first run of the source that needs it.
 */
export function loadRuntimeSettings(env: Env, config: Pick<PipelineConfig, 'sources'>): RuntimeSettings {
  const logLevel = optionalString(env, 'POWERTOOLS_LOG_LEVEL')?.toUpperCase();
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('POWERTOOLS_LOG_LEVEL', `POWERTOOLS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${optionalString(env, 'POWERTOOLS_LOG_LEVEL')}'`);
  }
  const fromEnv = config.sources.filter((source) => source.secretId === undefined);
  return {
    logLevel,
    aws: {
      region: optionalString(env, 'AWS_REGION') ?? 'us-east-1',
      endpoints: {
        s3: optionalString(env, 'AWS_ENDPOINT_URL_S3'),
        dynamodb: optionalString(env, 'AWS_ENDPOINT_URL_DYNAMODB'),
        sqs: optionalString(env, 'AWS_ENDPOINT_URL_SQS'),
        secretsManager: optionalString(env, 'AWS_ENDPOINT_URL_SECRETS_MANAGER'),
      },
    },
    client: clientTuningFromEnv(env),
    // The base URL is the source's own; only the credentials come from the environment.
    envCredentials: fromEnv.length === 0 ? undefined : clientOptionsFromEnv({ ...env, CONVEYOUR_BASE_URL: fromEnv[0]!.baseUrl }).credentials,
  };
}

const MiB = 1024 * 1024;

export function loadPipelineConfig(env: Env, nowMs: number = Date.now()): PipelineConfig {
  const policy: PipelinePolicy = {
    prefix: normalisePrefix(optionalString(env, 'LANDING_PREFIX') ?? ''),
    overlapSeconds: parseOverlapSeconds(env),
    settleSeconds: optionalNumber(env, 'SETTLE_SECONDS', DEFAULT_SETTLE_SECONDS, { min: 0, max: MAX_SETTLE_SECONDS, integer: true }),
    initialStart: 0,
    queryCap: optionalNumber(env, 'QUERY_CAP', 100_000, { min: 1, integer: true }),
    flushBytes: optionalNumber(env, 'FLUSH_BYTES', 16 * MiB, { min: 1, integer: true }),
    idleCheckpointMs: optionalNumber(env, 'IDLE_CHECKPOINT_SECONDS', 900, { min: 0, integer: true }) * 1000,
    leaseSlackMs: optionalNumber(env, 'LEASE_SLACK_MS', 30_000, { min: 0, integer: true }),
    // Latency-bound: the speed-up over one contact at a time is at most this (BENCHMARKS.md, section 2).
    transcriptConcurrency: optionalNumber(env, 'TRANSCRIPT_CONCURRENCY', 16, { min: 1, max: 64, integer: true }),
    collectionConcurrency: optionalNumber(env, 'COLLECTION_CONCURRENCY', 4, { min: 1, max: 32, integer: true }),
    maxHops: optionalNumber(env, 'MAX_HOPS', DEFAULT_MAX_HOPS, { min: 0, max: MAX_HOPS_LIMIT, integer: true }),
    safetyMarginMs: optionalNumber(env, 'SAFETY_MARGIN_MS', 10_000, { min: 0, integer: true }),
    initialStepEstimateMs: optionalNumber(env, 'INITIAL_STEP_ESTIMATE_MS', 5_000, { min: 0, integer: true }),
  };
  return {
    sources: parseSources(requireString(env, 'PIPELINE_SOURCES', 'a JSON array of sources'), nowMs),
    bucket: requireString(env, 'LANDING_BUCKET'),
    table: requireString(env, 'CHECKPOINT_TABLE'),
    queueUrl: requireString(env, 'CONTINUATION_QUEUE_URL'),
    policy,
    awsRequestTimeoutMs: optionalNumber(env, 'AWS_REQUEST_TIMEOUT_MS', 10_000, { min: 100, integer: true }),
    lagFloorSeconds: optionalNumber(env, 'LAG_METRIC_FLOOR_SECONDS', 180, { min: 0, integer: true }),
    backfill: {
      stallMs: optionalNumber(env, 'BACKFILL_STALL_SECONDS', 120, { min: 30, integer: true }) * 1000,
      throttleHoldMs: optionalNumber(env, 'BACKFILL_THROTTLE_HOLD_SECONDS', 30, { min: 1, integer: true }) * 1000,
    },
  };
}

/** The range says why it is one: an overlap thinner than the floor leaves late writes and clock steps unguarded (limits.ts). */
function parseOverlapSeconds(env: Env): number {
  const value = optionalNumber(env, 'OVERLAP_SECONDS', DEFAULT_OVERLAP_SECONDS, { integer: true });
  if (value < MIN_OVERLAP_SECONDS || value > MAX_OVERLAP_SECONDS) {
    throw new ConfigError(
      'OVERLAP_SECONDS',
      `OVERLAP_SECONDS must be an integer from ${MIN_OVERLAP_SECONDS} to ${MAX_OVERLAP_SECONDS} (at least twice the largest settle margin, ${MAX_SETTLE_SECONDS} s), got '${env.OVERLAP_SECONDS?.trim()}'`,
    );
  }
  return value;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function parseSources(raw: string, nowMs: number): SourceConfig[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError('PIPELINE_SOURCES', `PIPELINE_SOURCES must be JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new ConfigError('PIPELINE_SOURCES', 'PIPELINE_SOURCES must be a non-empty JSON array of {name, domain, secretId, collections}');
  }
  const names = new Set<string>();
  return parsed.map((entry: unknown, index) => {
    const at = `PIPELINE_SOURCES[${index}]`;
    if (typeof entry !== 'object' || entry === null) throw new ConfigError(at, `${at} must be an object {name, domain, secretId, collections}`);
    const { name, domain, baseUrl, secretId, collections, initialStartTime, timezone } = entry as Record<string, unknown>;
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new ConfigError(`${at}.name`, `${at}.name must be 1-64 letters, digits, '-' or '_', starting with a letter or digit, got ${JSON.stringify(name)}`);
    }
    if (names.has(name)) throw new ConfigError(`${at}.name`, `${at}.name '${name}' is used twice; source names must be unique`);
    names.add(name);
    let url: string;
    if (typeof baseUrl === 'string' && baseUrl !== '') url = normalizeBaseUrl(baseUrl, `${at}.baseUrl`);
    else if (typeof domain === 'string' && domain !== '') url = baseUrlFromDomain(domain, `${at}.domain`);
    else throw new ConfigError(`${at}.domain`, `${at}.domain is required (e.g. "acme.conveyour.com")`);
    if (secretId !== undefined && (typeof secretId !== 'string' || secretId === '')) {
      throw new ConfigError(`${at}.secretId`, `${at}.secretId must be a Secrets Manager secret name or ARN, got ${JSON.stringify(secretId)}`);
    }
    // `timezone` (IANA, default UTC): the zone an initialStartTime phrase means, as PHP's date.timezone.
    const timeZone = timezone === undefined ? 'UTC' : parseTimeZone(String(timezone), `${at}.timezone`);
    return {
      name,
      baseUrl: url,
      secretId: secretId as string | undefined,
      collections: parseCollections(collections, `${at}.collections`),
      initialStart:
        initialStartTime === undefined
          ? 0
          : resolveTime(String(initialStartTime), { now: Math.floor(nowMs / 1000), name: `${at}.initialStartTime`, timeZone }),
    };
  });
}

function parseCollections(value: unknown, at: string): CollectionName[] {
  if (value === undefined || value === 'all') return [...COLLECTIONS];
  const list = typeof value === 'string' ? value.split(',').map((item) => item.trim()) : value;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError(at, `${at} must be "all" or a list of collections: ${COLLECTIONS.join(', ')}`);
  const unknown = list.filter((item) => typeof item !== 'string' || !isCollectionName(item));
  if (unknown.length > 0) {
    throw new ConfigError(at, `${at} has unknown collection(s) ${unknown.map((item) => JSON.stringify(item)).join(', ')}; valid: ${COLLECTIONS.join(', ')}`);
  }
  return [...new Set(list as CollectionName[])];
}
