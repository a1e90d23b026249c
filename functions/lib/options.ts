/**
 * The library's config, shaped like the original client's `stream(config)`, and its checks:
 * a wrong option fails before any request, with a message naming the option and what is valid.
 */
import { ConfigError } from '../config/env.js';
import type { CollectionName } from '../conveyour/collections.js';
import { parseCollectionName } from '../conveyour/collections.js';
import { baseUrlFromDomain, normalizeBaseUrl } from '../conveyour/endpoint.js';
import type { ConveYourRecord, Credentials, QueryWindow, UnixSeconds } from '../conveyour/types.js';
import { resolveTime, resolveWindow } from '../time/timeExpression.js';

/** Where and as whom to connect. Never logged. */
export interface LibraryCredentials {
  /** Your account's host, e.g. `yourdomain.conveyour.com`; requests go to `https://{domain}`. */
  domain?: string;
  /** The API app key, sent as `x-conveyour-appkey`. */
  appkey: string;
  /** The API token, sent as `x-conveyour-token`. */
  token: string;
  /**
   * A full origin instead of `domain`, e.g. `http://127.0.0.1:8787` for the local simulator
   * (plain http only to this machine). Default: the environment's `CONVEYOUR_BASE_URL`, else
   * `https://{domain}`.
   */
  baseUrl?: string;
}

/** What to read: the original's query parameters. */
export interface StreamParams {
  /** The collection, e.g. `events`; `lesson_transcripts` reads each updated contact's transcripts. */
  collection: CollectionName;
  /**
   * Records created or updated at or after this: unix seconds, ISO 8601 or a strtotime phrase
   * (`-15 minutes`). Phrases are resolved here, in UTC, to unix seconds, not by the server in
   * the API user's time zone.
   */
  start_time: string | number;
  /**
   * ...and before this (exclusive); default `now`. Not allowed with `watch`: a fixed end would
   * never see a new record.
   */
  end_time?: string | number;
}

/** Options shared by {@link stream}, {@link lessonTranscripts} and {@link records}. */
export interface ReadConfig<P = StreamParams> {
  /** Where and as whom to connect: `{ domain, appkey, token }` (or `baseUrl` instead of `domain`). */
  credentials: LibraryCredentials;
  /** What to read: `{ collection, start_time, end_time? }`. */
  params: P;
  /**
   * After the first window, keep polling: every `interval` ms read the records changed since
   * the previous window ended. Windows tile time (no gap, no overlap). Ends only when `signal`
   * aborts or a read fails for good.
   */
  watch?: boolean;
  /** Milliseconds between polls with `watch`; default 60000, at least 1000. */
  interval?: number;
  /**
   * `true`: one line per HTTP attempt (params, status, time; never credentials) to stderr.
   * A function receives those lines instead.
   */
  debug?: boolean | ((line: string) => void);
  /** Warnings (a cursor read again, a poll that failed and will be retried); default stderr. */
  warn?: (line: string) => void;
  /** Aborting it stops the stream after the record in hand; the promise then resolves `stopped`. */
  signal?: AbortSignal;
}

/** {@link stream}'s config: the original's, plus `signal` and `warn`. */
export interface StreamConfig<R = ConveYourRecord, P = StreamParams> extends ReadConfig<P> {
  /** Called with each record, one at a time, in order; a returned promise is awaited first. */
  callback?(record: R): unknown;
  /** Called (and awaited) once, after the last record, when a stream without `watch` has read its window. */
  onComplete?(): unknown;
}

/** A lesson transcript, with the contact it belongs to embedded as `contact`. */
export interface TranscriptRecord extends ConveYourRecord {
  contact: ConveYourRecord;
}

/** {@link lessonTranscripts}' params: `collection` may be left out (it can only be `lesson_transcripts`). */
export type TranscriptParams = Omit<StreamParams, 'collection'> & { collection?: 'lesson_transcripts' };

/** How a stream ended: its window read (`completed`), or `signal` aborted (`stopped`). */
export interface StreamResult {
  /** `completed`: the window was read to its end; `stopped`: `signal` aborted first. */
  status: 'completed' | 'stopped';
  /** Records passed to `callback`. */
  records: number;
}

export interface CheckedConfig {
  baseUrl: string;
  credentials: Credentials;
  collection: CollectionName;
  window: QueryWindow;
  watch: boolean;
  intervalMs: number;
}

export const DEFAULT_INTERVAL_MS = 60_000;
const MIN_INTERVAL_MS = 1_000;

/** @throws ConfigError, UnknownCollectionError, InvalidTimeError, EmptyWindowError */
export function checkConfig(config: ReadConfig, now: UnixSeconds, env: Readonly<Record<string, string | undefined>>): CheckedConfig {
  if (config === null || typeof config !== 'object') throw new ConfigError('config', 'config must be an object { credentials, params, ... }');
  const { credentials, params } = config;
  if (credentials === null || typeof credentials !== 'object') {
    throw new ConfigError('credentials', 'credentials must be an object { domain, appkey, token }');
  }
  if (params === null || typeof params !== 'object') {
    throw new ConfigError('params', "params must be an object { collection, start_time, end_time? }");
  }
  const collection = parseCollectionName(String(params.collection), 'params.collection');
  const watch = config.watch === true;
  const intervalMs = config.interval ?? DEFAULT_INTERVAL_MS;
  if (!Number.isInteger(intervalMs) || intervalMs < MIN_INTERVAL_MS) {
    throw new ConfigError('interval', `interval must be a whole number of milliseconds >= ${MIN_INTERVAL_MS}, got ${String(config.interval)}`);
  }
  if (watch && params.end_time !== undefined) {
    throw new ConfigError('params.end_time', 'watch tails up to now and cannot take params.end_time (a fixed end would never see new records); drop one of them');
  }
  if (params.start_time === undefined || params.start_time === null || params.start_time === '') {
    throw new ConfigError('params.start_time', "params.start_time is required: unix seconds, ISO 8601 or a phrase such as '-15 minutes'");
  }
  const names = { start: 'params.start_time', end: 'params.end_time' };
  const start = String(params.start_time);
  // A watch may start now (start_time 'now' tails only what changes from here on): its first window may be empty.
  const window = watch
    ? watchWindow(resolveTime(start, { now, name: names.start }), now)
    : resolveWindow({ start, ...(params.end_time === undefined ? {} : { end: String(params.end_time) }) }, now, names);
  return { ...connection(credentials, env), collection, window, watch, intervalMs };
}

function watchWindow(start: UnixSeconds, now: UnixSeconds): QueryWindow {
  return { start, end: Math.max(start, now) };
}

function connection(credentials: LibraryCredentials, env: Readonly<Record<string, string | undefined>>): { baseUrl: string; credentials: Credentials } {
  for (const field of ['appkey', 'token'] as const) {
    if (typeof credentials[field] !== 'string' || credentials[field].trim() === '') {
      throw new ConfigError(`credentials.${field}`, `credentials.${field} is required (a non-empty string, e.g. process.env.CONVEYOUR_${field.toUpperCase()})`);
    }
  }
  const envBaseUrl = env.CONVEYOUR_BASE_URL?.trim() || undefined;
  let baseUrl: string;
  if (credentials.baseUrl !== undefined) baseUrl = normalizeBaseUrl(credentials.baseUrl, 'credentials.baseUrl');
  else if (envBaseUrl !== undefined) baseUrl = normalizeBaseUrl(envBaseUrl, 'CONVEYOUR_BASE_URL');
  else if (typeof credentials.domain === 'string' && credentials.domain.trim() !== '') baseUrl = baseUrlFromDomain(credentials.domain, 'credentials.domain');
  else throw new ConfigError('credentials.domain', 'credentials.domain is required (your host, e.g. yourdomain.conveyour.com), or credentials.baseUrl');
  return { baseUrl, credentials: { appkey: credentials.appkey, token: credentials.token } };
}
