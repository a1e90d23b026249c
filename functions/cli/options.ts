/**
 * Raw flags (+ the Singer config, state and catalog files they name) to one validated
 * command. Every rule about which flags go together lives here, each with its message.
 */
import type { Env } from '../config/env.js';
import { COLLECTIONS, type CollectionName, parseCollectionName } from '../conveyour/collections.js';
import type { QueryWindow, UnixSeconds } from '../conveyour/types.js';
import { resolveTime, resolveWindow } from '../time/timeExpression.js';
import { parseTimeZone } from '../time/timeZone.js';
import type { RawArgs } from './args.js';
import { UsageError } from './errors.js';
import { parseFields } from './fields.js';
import {
  bookmarkOf,
  parseSingerConfig,
  parseSingerState,
  selectedStreams,
  type SingerConfig,
  type SingerStateValue,
} from './singerFiles.js';

export const DEFAULT_INTERVAL_MS = 60_000;
/** Below this a poll loop is a load test, not a tail. */
export const MIN_INTERVAL_MS = 100;

export type OutputFormat = 'ndjson' | 'singer';

/** What to read, and for how long. */
export interface StreamPlan {
  collection: CollectionName;
  /** The first window; with `watch`, each next one starts where the previous ended. */
  window: QueryWindow;
  watch: boolean;
  intervalMs: number;
}

export interface OutputOptions {
  format: OutputFormat;
  pretty: boolean;
  /** lodash paths; empty = whole records. */
  fields: string[];
}

export type CliCommand =
  | { kind: 'help' }
  | { kind: 'discover' }
  | {
      kind: 'stream';
      plan: StreamPlan;
      output: OutputOptions;
      debug: boolean;
      /** The environment with `--config` credentials laid over it, for clientOptionsFromEnv. */
      connectionEnv: Env;
      /** The resumed Singer state, kept whole so other streams' bookmarks survive. */
      priorState: SingerStateValue;
    };

export interface OptionsContext {
  env: Env;
  now: UnixSeconds;
  readFile: (path: string) => string;
}

/** @throws UsageError, InvalidTimeError, InvalidTimeZoneError, EmptyWindowError, UnknownCollectionError (all exit 2). */
export function buildCommand(raw: RawArgs, context: OptionsContext): CliCommand {
  if (raw.help) return { kind: 'help' };
  const config = raw.config === undefined ? {} : parseSingerConfig(read(context, '--config', raw.config), raw.config);
  if (raw.discover) return { kind: 'discover' };

  const output = outputOptions(raw);
  const collection = collectionOf(raw, config, context);
  const watch = raw.watch === true || raw.interval !== undefined;
  const intervalMs = raw.interval === undefined ? DEFAULT_INTERVAL_MS : parseInterval(raw.interval);
  const endInput = raw.end_time ?? config.end_time;
  if (watch && endInput !== undefined) {
    throw new UsageError('--watch tails up to now and cannot take --end_time (a fixed end would never see new records); drop one of them');
  }
  const priorState = raw.state === undefined ? {} : parseSingerState(read(context, '--state', raw.state), raw.state);
  const bookmark = raw.state === undefined ? undefined : bookmarkOf(priorState, collection, raw.state);
  const zone = raw.timezone === undefined ? 'UTC' : parseTimeZone(raw.timezone, '--timezone');
  const window =
    bookmark !== undefined
      ? windowFromBookmark(bookmark, endInput, context.now, zone)
      : watch
        ? watchWindow(raw, config, context.now, zone)
        : windowFromFlags(raw, config, context.now, zone);
  return {
    kind: 'stream',
    plan: { collection, window, watch, intervalMs },
    output,
    debug: raw.debug === true,
    connectionEnv: connectionEnv(context.env, config),
    priorState,
  };
}

function outputOptions(raw: RawArgs): OutputOptions {
  const format = raw.format ?? 'ndjson';
  if (format !== 'ndjson' && format !== 'singer') throw new UsageError(`--format must be ndjson or singer, got '${format}'`);
  const pretty = raw.pretty === true;
  if (pretty && format === 'singer') {
    throw new UsageError('--pretty cannot be used with --format=singer: Singer messages are one JSON object per line');
  }
  const fields = parseFields(raw.fields ?? '');
  if (format === 'singer' && fields.length > 0 && !fields.includes('_id')) {
    throw new UsageError(`--fields must include _id with --format=singer (the stream's key property), got '${raw.fields}'`);
  }
  return { format, pretty, fields };
}

function collectionOf(raw: RawArgs, config: SingerConfig, context: OptionsContext): CollectionName {
  // A catalog's selection is this run's choice; the config's collection is a standing default.
  const given = raw.collection ?? (raw.catalog === undefined ? undefined : fromCatalog(raw.catalog, context)) ?? config.collection;
  if (given === undefined) throw new UsageError(`missing --collection; one of ${COLLECTIONS.join(', ')}`);
  return parseCollectionName(given, '--collection');
}

function fromCatalog(file: string, context: OptionsContext): string | undefined {
  const selected = selectedStreams(read(context, '--catalog', file), file);
  if (selected.length > 1) {
    throw new UsageError(
      `--catalog '${file}' selects ${selected.length} streams (${selected.join(', ')}); this tap streams one collection per run: select one, or pass --collection`,
    );
  }
  return selected[0];
}

function parseInterval(raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < MIN_INTERVAL_MS) {
    throw new UsageError(`--interval must be a whole number of milliseconds >= ${MIN_INTERVAL_MS}, got '${raw}'`);
  }
  return value;
}

function startInput(raw: RawArgs, config: SingerConfig): string {
  const start = raw.start_time ?? config.start_time;
  if (start === undefined) {
    throw new UsageError("missing --start_time, e.g. --start_time='-15 minutes', --start_time=1683228479 or --start_time=2023-05-04");
  }
  return start;
}

function windowFromFlags(raw: RawArgs, config: SingerConfig, now: UnixSeconds, timeZone: string): QueryWindow {
  const start = startInput(raw, config);
  const end = raw.end_time ?? config.end_time;
  return resolveWindow({ start, ...(end === undefined ? {} : { end }) }, now, { start: '--start_time', end: '--end_time' }, timeZone);
}

/** A watch may start now (`--start_time=now --watch` tails only what changes from here on): the first window may be empty. */
function watchWindow(raw: RawArgs, config: SingerConfig, now: UnixSeconds, timeZone: string): QueryWindow {
  const start = resolveTime(startInput(raw, config), { now, name: '--start_time', timeZone });
  return { start, end: Math.max(start, now) };
}

/**
 * A bookmark at or past the end means nothing new yet: an empty window (no query, the same
 * STATE again), not an error, so a runner may schedule the tap as often as it likes.
 */
function windowFromBookmark(bookmark: UnixSeconds, endInput: string | undefined, now: UnixSeconds, timeZone: string): QueryWindow {
  const end = endInput === undefined ? now : resolveTime(endInput, { now, name: '--end_time', timeZone });
  return { start: bookmark, end: Math.max(bookmark, end) };
}

/** `--config` credentials replace the environment's as a set, so a file never mixes with a stray .env. */
function connectionEnv(env: Env, config: SingerConfig): Env {
  const overlay: Record<string, string | undefined> = { ...env };
  if (config.domain !== undefined || config.base_url !== undefined) {
    overlay.CONVEYOUR_DOMAIN = config.domain;
    overlay.CONVEYOUR_BASE_URL = config.base_url;
  }
  if (config.appkey !== undefined) overlay.CONVEYOUR_APPKEY = config.appkey;
  if (config.token !== undefined) overlay.CONVEYOUR_TOKEN = config.token;
  return overlay;
}

function read(context: OptionsContext, flag: string, file: string): string {
  try {
    return context.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${flag} '${file}' cannot be read (${code ?? (error as Error).message})`);
  }
}
