/**
 * Every way the pipeline's entries can be fed wrong, the exact error each answers with, and
 * what happens to the data. test/unit/bad-input.test.ts runs each case and keeps RELIABILITY.md's
 * table generated from this list; test/unit/bad-input-pipeline.test.ts runs the API cases that
 * matter end to end through the client and the pipeline core.
 *
 * The CLI's cases live in test/unit/cli-usage-cases.ts and the CDK context's in
 * test/infra/config.test.ts; the table refers to them rather than repeating them.
 */
import { ConveYourClient } from '../../functions/conveyour/client.js';
import { clientOptionsFromEnv } from '../../functions/conveyour/endpoint.js';
import { classifyResponse } from '../../functions/conveyour/response.js';
import { clientTuningFromEnv } from '../../functions/conveyour/tuning.js';
import type { ConveYourRecord } from '../../functions/conveyour/types.js';
import { loadPipelineConfig } from '../../functions/handlers/config.js';
import { parseContinuationMessage } from '../../functions/pipeline/messages.js';
import { emptyCheckpoint } from '../../functions/pipeline/checkpoint.js';
import { withCoverageGap } from '../../functions/pipeline/coverageGaps.js';
import { parseGapsArgs } from '../../infra/gaps/args.js';
import { ackTargets } from '../../infra/gaps/select.js';

export type Entry = 'function environment' | 'ConveYour client environment' | 'ConveYour response' | 'continuation message' | 'npm run gaps';

export interface BadInputCase {
  entry: Entry;
  /** What is wrong, as the table shows it. */
  input: string;
  act: () => unknown;
  /** The error's exact message. */
  error: string;
  /** What the running system does about it. */
  outcome: string;
}

const NOW_MS = Date.parse('2026-01-15T12:00:00Z');
const SOURCES = JSON.stringify([{ name: 'acme', domain: 'acme.conveyour.com', secretId: 'conveyour/acme' }]);
const VALID_ENV = {
  PIPELINE_SOURCES: SOURCES,
  LANDING_BUCKET: 'landing',
  CHECKPOINT_TABLE: 'checkpoints',
  CONTINUATION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/continuations',
};
const COLLECTIONS = 'campaigns, contacts, events, lessons, message_reports, tags, triggers, trigger_logs, lesson_transcripts';
const COLD_START = 'the function fails at cold start, before any read or write; the schedule retries, the alarm on errors fires';

/** A case of the functions' environment: `change` is applied to a valid one (undefined deletes). */
function env(input: string, change: Record<string, string | undefined>, error: string): BadInputCase {
  const values: Record<string, string | undefined> = { ...VALID_ENV, ...change };
  return { entry: 'function environment', input, act: () => loadPipelineConfig(values, NOW_MS), error, outcome: COLD_START };
}

function sources(input: string, entries: unknown, error: string): BadInputCase {
  return env(input, { PIPELINE_SOURCES: typeof entries === 'string' ? entries : JSON.stringify(entries) }, error);
}

const acme = (fields: Record<string, unknown>) => [{ name: 'acme', domain: 'acme.conveyour.com', ...fields }];

const CLIENT_ENV_OUTCOME = 'the CLI exits 2 and the functions fail at cold start, before any request';

function clientEnv(input: string, values: Record<string, string>, error: string, act: (values: Record<string, string>) => unknown = clientOptionsFromEnv): BadInputCase {
  return { entry: 'ConveYour client environment', input, act: () => act(values), error, outcome: CLIENT_ENV_OUTCOME };
}

const CREDENTIALS = { CONVEYOUR_APPKEY: 'appkey-SECRET-1234', CONVEYOUR_TOKEN: 'token-SECRET-5678' };
const withCredentials = (values: Record<string, string>) => ({ ...CREDENTIALS, ...values });
const tuning = (values: Record<string, string>) => clientTuningFromEnv(values);
const clientWith = (values: Record<string, string>) =>
  new ConveYourClient({ baseUrl: 'https://acme.conveyour.com', credentials: { appkey: values.CONVEYOUR_APPKEY ?? '', token: values.CONVEYOUR_TOKEN ?? '' } });

const RETRIED =
  'retried with backoff; when retries run out the run fails, the checkpoint keeps its cursor (the page is not skipped) and the next tick or continuation asks again';
/** A 200 answer with this body, judged by the one function that judges responses. */
function response(input: string, body: string, error: string, outcome = RETRIED): BadInputCase {
  return {
    entry: 'ConveYour response',
    input,
    act: () => classifyResponse({ status: 200, headers: { 'content-type': 'application/json' }, body }, { nowMs: NOW_MS, secrets: [] }),
    error,
    outcome,
  };
}
const page = (inner: unknown) => JSON.stringify({ data: { data: inner } });

const CATALOG = new Map([['acme', ['events', 'contacts']]]);
const DEAD_LETTER =
  'reported as a failed batch item; SQS redelivers it and after 5 receives moves it to the dead-letter queue (alarm); no checkpoint is touched, and the next tick resumes any run in flight';
function message(input: string, body: string, error: string): BadInputCase {
  return { entry: 'continuation message', input, act: () => parseContinuationMessage(body, CATALOG), error, outcome: DEAD_LETTER };
}

const GAPS_OUTCOME = 'npm run gaps exits 2 before any write: the checkpoints are unchanged';
function gapsFlags(input: string, argv: string[], error: string): BadInputCase {
  return { entry: 'npm run gaps', input, act: () => parseGapsArgs(argv), error, outcome: GAPS_OUTCOME };
}
/** Two sources with checkpoints of events: acme with a gap at second 1700000000, beta with one at 1700000100. */
const GAP_CHECKPOINTS = [
  withCoverageGap({ ...emptyCheckpoint({ source: 'acme', collection: 'events' }), version: 1 }, { collection: 'events', second: 1_700_000_000, returned: 100_000, foundAtMs: NOW_MS }),
  withCoverageGap({ ...emptyCheckpoint({ source: 'beta', collection: 'events' }), version: 1 }, { collection: 'events', second: 1_700_000_100, returned: 100_000, foundAtMs: NOW_MS }),
];
function gapsAck(input: string, target: { second: number | 'all'; source?: string }, error: string): BadInputCase {
  const selector = target.second === 'all' ? ('all' as const) : { second: target.second };
  return { entry: 'npm run gaps', input, act: () => ackTargets(GAP_CHECKPOINTS, { collection: 'events', selector, source: target.source }), error, outcome: GAPS_OUTCOME };
}

export const BAD_INPUT_CASES: BadInputCase[] = [
  env('PIPELINE_SOURCES missing', { PIPELINE_SOURCES: undefined }, 'PIPELINE_SOURCES is required (a JSON array of sources)'),
  sources('PIPELINE_SOURCES not JSON', "[{name:'acme'}]", `PIPELINE_SOURCES must be JSON (Expected property name or '}' in JSON at position 2)`),
  sources('PIPELINE_SOURCES an object, not an array', { name: 'acme' }, 'PIPELINE_SOURCES must be a non-empty JSON array of {name, domain, secretId, collections}'),
  sources('PIPELINE_SOURCES empty', [], 'PIPELINE_SOURCES must be a non-empty JSON array of {name, domain, secretId, collections}'),
  sources('a source that is not an object', [42], 'PIPELINE_SOURCES[0] must be an object {name, domain, secretId, collections}'),
  sources('a source name with a space', acme({ name: 'acme corp' }), `PIPELINE_SOURCES[0].name must be 1-64 letters, digits, '-' or '_', starting with a letter or digit, got "acme corp"`),
  sources(
    'a source name used twice',
    [...acme({}), ...acme({ domain: 'other.conveyour.com' })],
    `PIPELINE_SOURCES[1].name 'acme' is used twice; source names must be unique`,
  ),
  sources('a source without domain or baseUrl', [{ name: 'acme' }], 'PIPELINE_SOURCES[0].domain is required (e.g. "acme.conveyour.com")'),
  sources(
    'a domain with a scheme',
    acme({ domain: 'https://acme.conveyour.com' }),
    `PIPELINE_SOURCES[0].domain must be a bare host name without 'https://': write PIPELINE_SOURCES[0].domain=acme.conveyour.com (or set CONVEYOUR_BASE_URL to a full URL instead)`,
  ),
  sources(
    'a plain-http baseUrl to a remote host',
    acme({ baseUrl: 'http://acme.conveyour.com' }),
    'PIPELINE_SOURCES[0].baseUrl must use https:// for a non-local host: write https://acme.conveyour.com',
  ),
  sources('an empty secretId', acme({ secretId: '' }), 'PIPELINE_SOURCES[0].secretId must be a Secrets Manager secret name or ARN, got ""'),
  sources(
    'an unknown collection',
    acme({ collections: ['events', 'emails'] }),
    `PIPELINE_SOURCES[0].collections has unknown collection(s) "emails"; valid: ${COLLECTIONS}`,
  ),
  sources('an empty collection list', acme({ collections: [] }), `PIPELINE_SOURCES[0].collections must be "all" or a list of collections: ${COLLECTIONS}`),
  sources(
    'an initialStartTime that is not a time',
    acme({ initialStartTime: 'last blursday' }),
    `PIPELINE_SOURCES[0].initialStartTime 'last blursday' is not a time; use unix seconds (1683228479), ISO 8601 (2023-05-04, 2023-05-04T19:27:59Z, 2023-05-04T21:27:59+02:00) or a strtotime phrase ('-15 minutes', '-1 day', 'yesterday', 'last monday', 'now', '@1683228479', 'first monday of next month', '2023-05-04 10:00 America/New_York')`,
  ),
  env('LANDING_BUCKET missing', { LANDING_BUCKET: undefined }, 'LANDING_BUCKET is required'),
  env('CHECKPOINT_TABLE blank', { CHECKPOINT_TABLE: '   ' }, 'CHECKPOINT_TABLE is required'),
  env('CONTINUATION_QUEUE_URL missing', { CONTINUATION_QUEUE_URL: undefined }, 'CONTINUATION_QUEUE_URL is required'),
  env('OVERLAP_SECONDS not a number', { OVERLAP_SECONDS: 'a minute' }, `OVERLAP_SECONDS must be an integer, got 'a minute'`),
  env('OVERLAP_SECONDS negative', { OVERLAP_SECONDS: '-5' }, `OVERLAP_SECONDS must be an integer from 30 to 86400 (at least twice the largest settle margin, 15 s), got '-5'`),
  env('OVERLAP_SECONDS below twice the largest settle margin', { OVERLAP_SECONDS: '20' }, `OVERLAP_SECONDS must be an integer from 30 to 86400 (at least twice the largest settle margin, 15 s), got '20'`),
  env('OVERLAP_SECONDS over a day', { OVERLAP_SECONDS: '90000' }, `OVERLAP_SECONDS must be an integer from 30 to 86400 (at least twice the largest settle margin, 15 s), got '90000'`),
  env('SETTLE_SECONDS over 15', { SETTLE_SECONDS: '30' }, `SETTLE_SECONDS must be an integer <= 15, got '30'`),
  env('SETTLE_SECONDS negative', { SETTLE_SECONDS: '-1' }, `SETTLE_SECONDS must be an integer >= 0, got '-1'`),
  env('QUERY_CAP of 0', { QUERY_CAP: '0' }, `QUERY_CAP must be an integer >= 1, got '0'`),
  env('FLUSH_BYTES a fraction', { FLUSH_BYTES: '1.5' }, `FLUSH_BYTES must be an integer, got '1.5'`),
  env('IDLE_CHECKPOINT_SECONDS with a unit', { IDLE_CHECKPOINT_SECONDS: '15m' }, `IDLE_CHECKPOINT_SECONDS must be an integer, got '15m'`),
  env('LEASE_SLACK_MS negative', { LEASE_SLACK_MS: '-1' }, `LEASE_SLACK_MS must be an integer >= 0, got '-1'`),
  env('MAX_HOPS at Lambda’s recursion limit', { MAX_HOPS: '16' }, `MAX_HOPS must be an integer <= 15, got '16'`),
  env('COLLECTION_CONCURRENCY of 0', { COLLECTION_CONCURRENCY: '0' }, `COLLECTION_CONCURRENCY must be an integer >= 1, got '0'`),
  env('TRANSCRIPT_CONCURRENCY too high', { TRANSCRIPT_CONCURRENCY: '65' }, `TRANSCRIPT_CONCURRENCY must be an integer <= 64, got '65'`),
  env('SAFETY_MARGIN_MS not a number', { SAFETY_MARGIN_MS: 'ten seconds' }, `SAFETY_MARGIN_MS must be an integer, got 'ten seconds'`),
  env('AWS_REQUEST_TIMEOUT_MS too short', { AWS_REQUEST_TIMEOUT_MS: '50' }, `AWS_REQUEST_TIMEOUT_MS must be an integer >= 100, got '50'`),

  clientEnv('no credentials at all', {}, 'CONVEYOUR_DOMAIN (or CONVEYOUR_BASE_URL), CONVEYOUR_APPKEY, CONVEYOUR_TOKEN are required: set them in .env or the environment (see .env.example)'),
  clientEnv('CONVEYOUR_TOKEN missing', { CONVEYOUR_DOMAIN: 'acme.conveyour.com', CONVEYOUR_APPKEY: 'appkey-SECRET-1234' }, 'CONVEYOUR_TOKEN is required: set it in .env or the environment (see .env.example)'),
  clientEnv('CONVEYOUR_BASE_URL not a URL', withCredentials({ CONVEYOUR_BASE_URL: 'acme.conveyour.com' }), `CONVEYOUR_BASE_URL must be a URL such as https://yourdomain.conveyour.com or http://127.0.0.1:8787, got 'acme.conveyour.com'`),
  clientEnv('CONVEYOUR_BASE_URL with a path', withCredentials({ CONVEYOUR_BASE_URL: 'https://acme.conveyour.com/api/reports' }), 'CONVEYOUR_BASE_URL must be an origin without a path or query: write https://acme.conveyour.com'),
  clientEnv('CONVEYOUR_BASE_URL plain http to a remote host', withCredentials({ CONVEYOUR_BASE_URL: 'http://acme.conveyour.com' }), 'CONVEYOUR_BASE_URL must use https:// for a non-local host: write https://acme.conveyour.com'),
  clientEnv('CONVEYOUR_BASE_URL with a user and password (not echoed)', withCredentials({ CONVEYOUR_BASE_URL: 'https://me:hunter2@acme.conveyour.com' }), 'CONVEYOUR_BASE_URL must not contain a user or password; credentials go in CONVEYOUR_APPKEY / CONVEYOUR_TOKEN'),
  clientEnv('CONVEYOUR_BASE_URL of another scheme', withCredentials({ CONVEYOUR_BASE_URL: 'ftp://acme.conveyour.com' }), `CONVEYOUR_BASE_URL must use https:// (or http:// for 127.0.0.1), got 'ftp:'`),
  clientEnv('CONVEYOUR_DOMAIN with a path', withCredentials({ CONVEYOUR_DOMAIN: 'acme.conveyour.com/api' }), 'CONVEYOUR_DOMAIN must be a bare host name without a path: write CONVEYOUR_DOMAIN=acme.conveyour.com'),
  clientEnv('CONVEYOUR_DOMAIN not a host name', withCredentials({ CONVEYOUR_DOMAIN: 'acme conveyour' }), `CONVEYOUR_DOMAIN must be a host name such as yourdomain.conveyour.com, got 'acme conveyour'`),
  clientEnv('a token with a line break (not echoed)', { CONVEYOUR_APPKEY: 'appkey-SECRET-1234', CONVEYOUR_TOKEN: 'token-SECRET\n5678' }, 'credentials.token contains characters not allowed in an HTTP header (CONVEYOUR_TOKEN)', clientWith),
  clientEnv('CONVEYOUR_REQUEST_TIMEOUT_MS of 0', { CONVEYOUR_REQUEST_TIMEOUT_MS: '0' }, `CONVEYOUR_REQUEST_TIMEOUT_MS must be an integer >= 1, got '0'`, tuning),
  clientEnv('CONVEYOUR_RETRY_MAX_ATTEMPTS a fraction', { CONVEYOUR_RETRY_MAX_ATTEMPTS: '2.5' }, `CONVEYOUR_RETRY_MAX_ATTEMPTS must be an integer, got '2.5'`, tuning),
  clientEnv('CONVEYOUR_RETRY_MAX_ATTEMPTS of 0', { CONVEYOUR_RETRY_MAX_ATTEMPTS: '0' }, `CONVEYOUR_RETRY_MAX_ATTEMPTS must be an integer >= 1, got '0'`, tuning),
  clientEnv('CONVEYOUR_RETRY_MAX_DELAY_MS negative', { CONVEYOUR_RETRY_MAX_DELAY_MS: '-100' }, `CONVEYOUR_RETRY_MAX_DELAY_MS must be an integer >= 0, got '-100'`, tuning),
  clientEnv('CONVEYOUR_RETRY_MAX_ELAPSED_MS infinite', { CONVEYOUR_RETRY_MAX_ELAPSED_MS: '1e400' }, `CONVEYOUR_RETRY_MAX_ELAPSED_MS must be an integer, got '1e400'`, tuning),

  response('an empty body', '', 'ConveYour returned a body of 0 bytes that is not JSON (truncated, or an HTML error page, content-type application/json); the request is retried.'),
  response('the JSON null', 'null', 'ConveYour returned JSON without the data.data object; the request is retried.'),
  response('a JSON array', '[]', 'ConveYour returned JSON without the data.data object; the request is retried.'),
  response('data.data null', JSON.stringify({ data: { data: null } }), 'ConveYour returned JSON without the data.data object; the request is retried.'),
  response('results null', page({ results: null, query_id: 'q1' }), 'ConveYour returned data.data.results that is not an array; the request is retried.'),
  response('results a string', page({ results: '[]', query_id: 'q1' }), 'ConveYour returned data.data.results that is not an array; the request is retried.'),
  response('a null record among the results', page({ results: [{ _id: 'a' }, null], query_id: 'q1' }), 'ConveYour returned data.data.results[1] without a string _id; the request is retried.'),
  response('an empty object among the results', page({ results: [{}], query_id: 'q1' }), 'ConveYour returned data.data.results[0] without a string _id; the request is retried.'),
  response('a numeric _id', page({ results: [{ _id: 7 }], query_id: 'q1' }), 'ConveYour returned data.data.results[0] without a string _id; the request is retried.'),
  response('pagination a string', page({ results: [], query_id: 'q1', pagination: 'next' }), 'ConveYour returned data.data.pagination that is not an object; the request is retried.'),
  response('query_id null', page({ results: [], query_id: null }), 'ConveYour returned data.data.query_id that is not a string; the request is retried.'),
  response(
    'success:false with a bare error string',
    JSON.stringify({ success: false, error: 'boom' }),
    'ConveYour rejected the request (HTTP 200: boom). Check the collection, the time window and the other parameters.',
    'not retried: the run fails with CONVEYOUR_BAD_REQUEST recorded in the checkpoint (status shows it), which keeps its cursor; the next tick tries again',
  ),

  message('not JSON', 'hello', 'continuation message is not JSON: "hello"'),
  message('a JSON array', '[1,2]', 'continuation message must be a JSON object {source, collection, runId, hop}, got "[1,2]"'),
  message('the JSON null', 'null', 'continuation message must be a JSON object {source, collection, runId, hop}, got "null"'),
  message('an unknown source', JSON.stringify({ source: 'globex', collection: 'events', runId: 'r', hop: 1 }), 'continuation message names unknown source "globex"; configured: acme'),
  message('no source', JSON.stringify({ collection: 'events', runId: 'r', hop: 1 }), 'continuation message names unknown source undefined; configured: acme'),
  message(
    'a collection not enabled for the source',
    JSON.stringify({ source: 'acme', collection: 'tags', runId: 'r', hop: 1 }),
    `continuation message names collection "tags", not enabled for source 'acme'; enabled: events, contacts`,
  ),
  message(
    'an unknown collection',
    JSON.stringify({ source: 'acme', collection: 'emails', runId: 'r', hop: 1 }),
    `continuation message names collection "emails", not enabled for source 'acme'; enabled: events, contacts`,
  ),
  message('a numeric runId', JSON.stringify({ source: 'acme', collection: 'events', runId: 7, hop: 1 }), 'continuation message needs a non-empty string runId, got 7'),
  message('hop 0', JSON.stringify({ source: 'acme', collection: 'events', runId: 'r', hop: 0 }), 'continuation message needs an integer hop >= 1, got 0'),
  message('hop as text', JSON.stringify({ source: 'acme', collection: 'events', runId: 'r', hop: '2' }), 'continuation message needs an integer hop >= 1, got "2"'),
  message(
    'a long body (quoted only in part)',
    `not json ${'x'.repeat(300)}`,
    `continuation message is not JSON: ${JSON.stringify(`not json ${'x'.repeat(111)}…`)}`,
  ),
  gapsFlags('no command', ['--collection=events'], 'the command must be list or ack, got none (npm run gaps -- --help)'),
  gapsFlags('ack without --second', ['ack', '--collection=events'], `--second is required with ack: the gap's second in unix seconds (npm run gaps -- list shows it), or all`),
  gapsFlags('--second as a date', ['ack', '--collection=events', '--second=2026-01-15T12:00:00Z'], `--second must be unix seconds (an integer >= 0, as list shows it) or all, got '2026-01-15T12:00:00Z'`),
  gapsFlags('an unknown collection', ['ack', '--collection=emails', '--second=1'], `--collection 'emails' is not a ConveYour collection; valid: ${COLLECTIONS}`),
  gapsFlags('--wait over an hour', ['ack', '--collection=events', '--second=1', '--wait=7200'], `--wait must be an integer <= 3600, got '7200'`),
  gapsAck('ack of a second with no gap', { second: 1_700_000_001, source: 'acme' }, 'events of source acme has no open coverage gap at second 1700000001 (2023-11-14T22:13:21Z); open: acme/1700000000 (npm run gaps -- list)'),
  gapsAck('ack of all, open in two sources, without --source', { second: 'all' }, 'events: the gap is open in sources acme, beta: pass --source=NAME'),
  gapsAck('ack of a source with no checkpoint', { second: 1_700_000_000, source: 'gamma' }, "source 'gamma' has no checkpoint of events; sources that have one: acme, beta"),
];

/** API responses that must go through the client and the pipeline whole: what lands, or why nothing does. */
export interface PipelineResponseCase {
  input: string;
  /** The page exactly as the wire carries it. */
  body: Buffer;
  expected: { lands: ConveYourRecord[] } | { fails: string };
  outcome: string;
}

const T = 1_768_478_000;
const wire = (results: unknown) => Buffer.from(JSON.stringify({ data: { data: { results, query_id: 'q1', pagination: {} } } }));
const HUGE = 'é'.repeat(3 * 1024 * 1024);

export const PIPELINE_RESPONSE_CASES: PipelineResponseCase[] = [
  {
    input: 'a page with the same _id twice (same and newer updated_at)',
    body: wire([
      { _id: 'a1', created_at: T, updated_at: T, d: { n: 1 } },
      { _id: 'a1', created_at: T, updated_at: T, d: { n: 1 } },
      { _id: 'a1', created_at: T, updated_at: T + 5, d: { n: 2 } },
    ]),
    expected: {
      lands: [
        { _id: 'a1', created_at: T, updated_at: T, d: { n: 1 } },
        { _id: 'a1', created_at: T, updated_at: T, d: { n: 1 } },
        { _id: 'a1', created_at: T, updated_at: T + 5, d: { n: 2 } },
      ],
    },
    outcome: 'every line lands as the API sent it, in order: the pipeline never deduplicates (downstream dedupes on (_id, updated_at))',
  },
  {
    input: 'a 6 MB record (over the 8 KiB flush size)',
    body: wire([{ _id: 'big', created_at: T, updated_at: T, d: { text: HUGE } }]),
    expected: { lands: [{ _id: 'big', created_at: T, updated_at: T, d: { text: HUGE } }] },
    outcome: 'lands whole, alone in its object: a record is never split',
  },
  {
    input: 'invalid UTF-8 inside a string (a lone 0xFF byte, a cut-off 2-byte sequence)',
    body: Buffer.concat([
      Buffer.from(`{"data":{"data":{"results":[{"_id":"u1","created_at":${T},"updated_at":${T},"d":{"name":"Jos`),
      Buffer.from([0xff]),
      Buffer.from('","city":"S'),
      Buffer.from([0xc3]),
      Buffer.from('o Paulo"}}],"query_id":"q1","pagination":{}}}}'),
    ]),
    expected: { lands: [{ _id: 'u1', created_at: T, updated_at: T, d: { name: 'Jos\uFFFD', city: 'S\uFFFDo Paulo' } }] },
    outcome:
      'decided: each invalid sequence becomes U+FFFD (the WHATWG decoder’s replacement) and the record lands; the landing zone stays valid UTF-8, which Snowflake and Athena require, and nothing else of the record changes',
  },
  {
    input: 'nulls and missing times (created_at, updated_at, d null)',
    body: wire([{ _id: 'n1', created_at: null, updated_at: null, d: null, con_id: null }]),
    expected: { lands: [{ _id: 'n1', created_at: null, updated_at: null, d: null, con_id: null } as unknown as ConveYourRecord] },
    outcome: 'lands as sent, under dt=2000-01-01 (the undated partition, inside every table\'s projection)',
  },
  {
    input: 'results not an array, on every attempt',
    body: Buffer.from(JSON.stringify({ data: { data: { results: { _id: 'x' }, query_id: 'q1' } } })),
    expected: { fails: 'data.data.results that is not an array' },
    outcome: 'nothing lands and the watermark stays; the run fails with CONVEYOUR_RETRIES_EXHAUSTED naming the defect, and the next run asks again',
  },
];
