/**
 * The simulator's options, their defaults, and their validation: a bad option fails at
 * start with a message naming it and what would be valid.
 */
import { COLLECTIONS, isCollectionName, type CollectionName } from '../../../functions/conveyour/collections.js';
import type { Credentials } from '../../../functions/conveyour/types.js';
import {
  DEFAULT_COUNTS, DEFAULT_LIVE_CREATES, DEFAULT_LIVE_UPDATES, DEFAULT_TRANSCRIPTS_PER_CONTACT, WINDOWED_COLLECTIONS,
  type WindowedCollection,
} from './catalog.js';
import type { BurstOptions } from './bursts.js';
import { validateFaultConfig, type FaultConfig } from './faults.js';
import { Rng, hash32 } from './prng.js';
import { MAX_RECORDS } from './store.js';

export interface HistoryOptions {
  /** How far back records go, in days before start. Default 30. */
  days?: number;
  /** Records per collection at start (defaults in catalog.ts: contacts 2,000, events 20,000, others hundreds). */
  counts?: Partial<Record<WindowedCollection, number>>;
  /** Transcripts per contact, drawn uniformly. Default { min: 0, max: 5 }. */
  transcriptsPerContact?: { min: number; max: number };
  /** Whether records get updated versions over the history. Default true. */
  updates?: boolean;
}

export interface LiveOptions {
  /** Timer period calling advanceLive(); 0 = no timer (tests drive it). Default 1000. */
  intervalMs?: number;
  /** Per collection, merged over the defaults in catalog.ts. */
  createsPerMinute?: Partial<Record<CollectionName, number>>;
  updatesPerMinute?: Partial<Record<CollectionName, number>>;
  /** No record gets two versions closer than this (history too). Default 180. */
  minVersionGapSeconds?: number;
  /**
   * Late-visible writes (long transactions, replica lag, imports stamped at their start): this
   * seeded fraction of live versions is returned by queries only from `delaySeconds` after the
   * second it is stamped with (a number, or a seeded draw in { min, max }); the delay stays
   * under minVersionGapSeconds, so every version is still some query's state. Default off.
   */
  lateWrites?: { fraction: number; delaySeconds: number | { min: number; max: number } };
  /** Records deleted per minute, per windowed collection: gone from every later query (a contact takes its transcripts along). Default none. */
  deletionsPerMinute?: Partial<Record<WindowedCollection, number>>;
  /** Transcripts added to an existing contact, or changed, per minute, while the contact does not change. Default 0. */
  transcriptChangesPerMinute?: number;
}

export interface SimulatorOptions {
  /** Same seed, same bytes. Default 1. */
  seed?: number;
  /** The host's clock, epoch milliseconds; injectable so tests move time. Default Date.now. */
  now?: () => number;
  /**
   * The server's clock runs this many seconds ahead of `now` (negative: behind), as a real
   * server's clock differs from the caller's. A number, or { min, max }: a seeded draw in that
   * range. Everything the server derives from its clock uses it: the stamps of its writes, the
   * `now`-relative phrases of start_time/end_time, cursor lifetimes, the HTTP Date header. Default 0.
   */
  clockOffsetSeconds?: number | { min: number; max: number };
  /**
   * The instant history ends and live mode begins (epoch ms). Default: the clock at start. With
   * the same seed, a fixed anchor is the same ConveYour across restarts: the live changes between
   * the anchor and now are generated at start, exactly as they would have been had it kept running.
   */
  anchorMs?: number;
  history?: HistoryOptions;
  /** Records per page. Default 1000. */
  pageSize?: number;
  /** Most records one query returns over all its pages. Default 100,000 (the real API's cap). */
  queryCap?: number;
  /** A query idle longer than this answers 410 cursor_expired. Default 600. */
  cursorTtlSeconds?: number;
  /** Added before every answer: a fixed delay or a seeded draw in [min, max]. Default 0. */
  latencyMs?: number | { min: number; max: number };
  /** Pads each record (a `d.padding` text) to about this many bytes of JSON. Default: natural size. */
  recordBytes?: number;
  /** What the simulator accepts. Default appkey 'sim-appkey', token 'sim-token'. */
  credentials?: Credentials;
  /** Token bucket; over it, 429 rate_limited + Retry-After. Default off. */
  rateLimit?: { requestsPerSecond: number; burst: number };
  /** Live mode: records created and updated as the clock moves. Default off; `true` = defaults. */
  live?: boolean | LiveOptions;
  faults?: FaultConfig;
  /**
   * Records created all in one second (a bulk import), beyond the history counts and live
   * rates: at `atSeconds` after the start on the server's clock, negative for the history
   * (within its days), positive for live mode (which must be on). More than `queryCap` in
   * one second makes a second no query can read whole. Default none.
   */
  bursts?: BurstOptions[];
  /** Loopback only. Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Keep every request's method, path and query parameters in order, for `requestLog()`. Default off (tests turn it on). */
  recordRequests?: boolean;
}

export interface ResolvedLive {
  enabled: boolean;
  intervalMs: number;
  createsPerMinute: Record<CollectionName, number>;
  updatesPerMinute: Record<CollectionName, number>;
  lateWrites: { fraction: number; minDelaySeconds: number; maxDelaySeconds: number } | undefined;
  deletionsPerMinute: Record<WindowedCollection, number>;
  transcriptChangesPerMinute: number;
}

export interface ResolvedOptions {
  seed: number;
  now: () => number;
  /** Milliseconds the server's clock runs ahead of `now` (resolved from clockOffsetSeconds). */
  clockOffsetMs: number;
  anchorMs: number | undefined;
  historyDays: number;
  counts: Record<WindowedCollection, number>;
  transcriptsPerContact: { min: number; max: number };
  historyUpdates: boolean;
  minVersionGapSeconds: number;
  pageSize: number;
  queryCap: number;
  cursorTtlSeconds: number;
  latencyMs: { min: number; max: number };
  recordBytes: number | undefined;
  credentials: Credentials;
  rateLimit: { requestsPerSecond: number; burst: number } | undefined;
  live: ResolvedLive;
  faults: FaultConfig | undefined;
  bursts: BurstOptions[];
  host: string;
  port: number;
  recordRequests: boolean;
}

/** The anchor is an instant of the server's timeline, so it is checked against the server's clock. */
function anchorOf(options: SimulatorOptions, clockOffsetMs: number): number | undefined {
  if (options.anchorMs === undefined) return undefined;
  const nowMs = (options.now ?? Date.now)() + clockOffsetMs;
  check(Number.isFinite(options.anchorMs) && options.anchorMs > 0 && options.anchorMs <= nowMs, `anchorMs must be an epoch-milliseconds time not after the server's now (${nowMs}), got ${String(options.anchorMs)}`);
  return options.anchorMs;
}

/** A year either way: far beyond any real clock skew, and it keeps stamps positive. */
const MAX_CLOCK_OFFSET_SECONDS = 366 * 86_400;
const CLOCK_OFFSET_STREAM = 0xc10c;

function resolveClockOffsetMs(value: SimulatorOptions['clockOffsetSeconds'], seed: number): number {
  if (value === undefined) return 0;
  const range = typeof value === 'number' ? { min: value, max: value } : value;
  const inRange = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && Math.abs(n) <= MAX_CLOCK_OFFSET_SECONDS;
  check(typeof range === 'object' && range !== null && inRange(range.min) && inRange(range.max) && range.max >= range.min,
    `clockOffsetSeconds must be a number of seconds or { min, max } with min <= max, each within +-${MAX_CLOCK_OFFSET_SECONDS}, got ${JSON.stringify(value)}`);
  if (range.min === range.max) return Math.round(range.min * 1000);
  // Its own stream of the seed: the same seed gives the same offset, whatever else is drawn.
  const draw = new Rng(hash32(seed, CLOCK_OFFSET_STREAM)).next();
  return Math.round((range.min + draw * (range.max - range.min)) * 1000);
}

export class SimulatorOptionsError extends Error {
  readonly code = 'SIMULATOR_OPTIONS_INVALID';
  override name = 'SimulatorOptionsError';
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'];

function check(condition: boolean, message: string): void {
  if (!condition) throw new SimulatorOptionsError(message);
}

function integer(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  check(Number.isInteger(value) && value >= min && value <= max, `${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  return value;
}

function rate(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  check(Number.isFinite(value) && value >= 0, `${name} must be a number >= 0, got ${String(value)}`);
  return value;
}

function perCollection(name: string, given: Partial<Record<string, number>> | undefined, defaults: Record<CollectionName, number>): Record<CollectionName, number> {
  for (const key of Object.keys(given ?? {})) {
    check(isCollectionName(key), `${name}.${key} is not a collection; valid: ${COLLECTIONS.join(', ')}`);
  }
  return Object.fromEntries(COLLECTIONS.map((c) => [c, rate(`${name}.${c}`, given?.[c], defaults[c])])) as Record<CollectionName, number>;
}

function resolveLatency(value: SimulatorOptions['latencyMs']): { min: number; max: number } {
  if (value === undefined) return { min: 0, max: 0 };
  const range = typeof value === 'number' ? { min: value, max: value } : value;
  check(Number.isFinite(range.min) && Number.isFinite(range.max) && range.min >= 0 && range.max >= range.min,
    `latencyMs must be a number >= 0 or { min, max } with 0 <= min <= max, got ${JSON.stringify(value)}`);
  return range;
}

function resolveCredentials(value: Credentials | undefined): Credentials {
  if (value === undefined) return { appkey: 'sim-appkey', token: 'sim-token' };
  // Never echo the values: they may be real-looking secrets.
  check(typeof value.appkey === 'string' && value.appkey.length > 0, 'credentials.appkey must be a non-empty string');
  check(typeof value.token === 'string' && value.token.length > 0, 'credentials.token must be a non-empty string');
  return { appkey: value.appkey, token: value.token };
}

function resolveLive(value: SimulatorOptions['live']): { live: ResolvedLive; gap: number } {
  const given: LiveOptions = typeof value === 'object' ? value : {};
  const enabled = value === true || typeof value === 'object';
  check((given.createsPerMinute?.lesson_transcripts ?? 0) === 0,
    'live.createsPerMinute.lesson_transcripts is not supported: transcripts are created with each new contact (0-5 each)');
  const gap = integer('live.minVersionGapSeconds', given.minVersionGapSeconds, 180, 1, 86_400);
  for (const key of Object.keys(given.deletionsPerMinute ?? {})) {
    check((WINDOWED_COLLECTIONS as readonly string[]).includes(key),
      `live.deletionsPerMinute.${key} is not a windowed collection; valid: ${WINDOWED_COLLECTIONS.join(', ')} (a contact's deletion takes its transcripts along)`);
  }
  return {
    gap,
    live: {
      enabled,
      intervalMs: integer('live.intervalMs', given.intervalMs, 1000, 0, 3_600_000),
      createsPerMinute: perCollection('live.createsPerMinute', given.createsPerMinute, DEFAULT_LIVE_CREATES),
      updatesPerMinute: perCollection('live.updatesPerMinute', given.updatesPerMinute, DEFAULT_LIVE_UPDATES),
      lateWrites: resolveLateWrites(given.lateWrites, gap),
      deletionsPerMinute: Object.fromEntries(WINDOWED_COLLECTIONS.map((c) => [c, rate(`live.deletionsPerMinute.${c}`, given.deletionsPerMinute?.[c], 0)])) as Record<WindowedCollection, number>,
      transcriptChangesPerMinute: rate('live.transcriptChangesPerMinute', given.transcriptChangesPerMinute, 0),
    },
  };
}

function resolveLateWrites(value: LiveOptions['lateWrites'], gap: number): ResolvedLive['lateWrites'] {
  if (value === undefined) return undefined;
  const { fraction, delaySeconds } = value;
  check(typeof fraction === 'number' && fraction >= 0 && fraction <= 1, `live.lateWrites.fraction must be a number in [0, 1], got ${String(fraction)}`);
  const range = typeof delaySeconds === 'number' ? { min: delaySeconds, max: delaySeconds } : delaySeconds;
  check(typeof range === 'object' && range !== null && Number.isInteger(range.min) && Number.isInteger(range.max) && range.min >= 1 && range.max >= range.min && range.max < gap,
    `live.lateWrites.delaySeconds must be whole seconds (or { min, max }) with 1 <= min <= max < live.minVersionGapSeconds (${gap}), so every version is still some query's state; got ${JSON.stringify(delaySeconds)}`);
  return { fraction, minDelaySeconds: range.min, maxDelaySeconds: range.max };
}

function resolveCounts(given: HistoryOptions['counts']): Record<WindowedCollection, number> {
  for (const key of Object.keys(given ?? {})) {
    check((WINDOWED_COLLECTIONS as readonly string[]).includes(key),
      `history.counts.${key} is not a collection with a base count; valid: ${WINDOWED_COLLECTIONS.join(', ')} (transcripts: history.transcriptsPerContact)`);
  }
  return Object.fromEntries(
    WINDOWED_COLLECTIONS.map((c) => [c, integer(`history.counts.${c}`, given?.[c], DEFAULT_COUNTS[c], 0, MAX_RECORDS)]),
  ) as Record<WindowedCollection, number>;
}

function resolveBursts(given: SimulatorOptions['bursts'], historyDays: number, liveEnabled: boolean): BurstOptions[] {
  if (given === undefined) return [];
  check(Array.isArray(given), `bursts must be an array of { collection, records, atSeconds }, got ${JSON.stringify(given)}`);
  const historySeconds = Math.round(historyDays * 86_400);
  return given.map((burst, i) => {
    const name = `bursts[${i}]`;
    check((WINDOWED_COLLECTIONS as readonly string[]).includes(burst?.collection), `${name}.collection must be one of ${WINDOWED_COLLECTIONS.join(', ')}, got ${JSON.stringify(burst?.collection)}`);
    const records = integer(`${name}.records`, burst.records, 0, 1, MAX_RECORDS);
    check(Number.isInteger(burst.atSeconds) && burst.atSeconds !== 0 && burst.atSeconds >= -historySeconds,
      `${name}.atSeconds must be a non-zero integer: negative (at least -${historySeconds}, the history's start) for the history, positive for live mode; got ${String(burst.atSeconds)}`);
    check(burst.atSeconds < 0 || liveEnabled, `${name}.atSeconds is ${burst.atSeconds}, after the start: only live mode creates records then; turn live on or give a negative atSeconds`);
    return { collection: burst.collection, records, atSeconds: burst.atSeconds };
  });
}

/** Fills defaults and validates; throws SimulatorOptionsError naming the bad option. */
export function resolveOptions(options: SimulatorOptions = {}): ResolvedOptions {
  const history = options.history ?? {};
  const perContact = history.transcriptsPerContact ?? DEFAULT_TRANSCRIPTS_PER_CONTACT;
  check(Number.isInteger(perContact.min) && Number.isInteger(perContact.max) && perContact.min >= 0 && perContact.max >= perContact.min && perContact.max <= 255,
    `history.transcriptsPerContact must be integers with 0 <= min <= max <= 255, got ${JSON.stringify(perContact)}`);
  const { live, gap } = resolveLive(options.live);
  const host = options.host ?? '127.0.0.1';
  check(LOOPBACK_HOSTS.includes(host), `host must be a loopback address (${LOOPBACK_HOSTS.join(', ')}), got '${host}'`);
  if (options.rateLimit !== undefined) {
    const { requestsPerSecond, burst } = options.rateLimit;
    check(Number.isFinite(requestsPerSecond) && requestsPerSecond > 0, `rateLimit.requestsPerSecond must be a number > 0, got ${String(requestsPerSecond)}`);
    check(Number.isFinite(burst) && burst >= 1, `rateLimit.burst must be a number >= 1, got ${String(burst)}`);
  }
  if (options.faults !== undefined) validateFaultConfig(options.faults);
  check(options.now === undefined || typeof options.now === 'function', 'now must be a function returning epoch milliseconds');
  const recordBytes = options.recordBytes === undefined ? undefined : integer('recordBytes', options.recordBytes, 0, 64, 10_000_000);
  const seed = integer('seed', options.seed, 1, 0, 2 ** 32 - 1);
  const historyDays = rate('history.days', history.days, 30);
  const clockOffsetMs = resolveClockOffsetMs(options.clockOffsetSeconds, seed);
  return {
    seed,
    now: options.now ?? Date.now,
    clockOffsetMs,
    anchorMs: anchorOf(options, clockOffsetMs),
    historyDays,
    counts: resolveCounts(history.counts),
    transcriptsPerContact: { min: perContact.min, max: perContact.max },
    historyUpdates: history.updates ?? true,
    minVersionGapSeconds: gap,
    pageSize: integer('pageSize', options.pageSize, 1000, 1, 100_000),
    queryCap: integer('queryCap', options.queryCap, 100_000, 1, MAX_RECORDS),
    cursorTtlSeconds: integer('cursorTtlSeconds', options.cursorTtlSeconds, 600, 1, 7 * 86_400),
    latencyMs: resolveLatency(options.latencyMs),
    recordBytes,
    credentials: resolveCredentials(options.credentials),
    rateLimit: options.rateLimit === undefined ? undefined : { ...options.rateLimit },
    live,
    faults: options.faults,
    bursts: resolveBursts(options.bursts, historyDays, live.enabled),
    host,
    port: integer('port', options.port, 0, 0, 65_535),
    recordRequests: options.recordRequests === true,
  };
}
