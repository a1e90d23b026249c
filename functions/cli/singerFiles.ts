/**
 * The files a Singer runner (Meltano, or a shell) hands a tap: `--config`, `--state` and
 * `--catalog`. Each parse fails with a UsageError naming the flag, the file and the problem.
 */
import { UsageError } from './errors.js';

/** `--config` keys; flags given on the command line win over these. */
export interface SingerConfig {
  domain?: string;
  appkey?: string;
  token?: string;
  base_url?: string;
  collection?: string;
  start_time?: string;
  end_time?: string;
}

/** A Singer state value: our bookmarks plus anything else a runner keeps there. */
export interface SingerStateValue {
  bookmarks?: Record<string, { start_time?: number; [key: string]: unknown }>;
  [key: string]: unknown;
}

const CONFIG_STRINGS = ['domain', 'appkey', 'token', 'base_url', 'collection'] as const;
const CONFIG_TIMES = ['start_time', 'end_time'] as const;

/** Unknown keys are ignored: runners add their own. */
export function parseSingerConfig(text: string, file: string): SingerConfig {
  const json = parseJson(text, '--config', file);
  if (!isObject(json)) throw new UsageError(`--config '${file}' must hold a JSON object`);
  const config: SingerConfig = {};
  for (const key of CONFIG_STRINGS) {
    const value = json[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw new UsageError(`--config '${file}': "${key}" must be a string, got ${JSON.stringify(value)}`);
    config[key] = value;
  }
  for (const key of CONFIG_TIMES) {
    const value = json[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) {
      throw new UsageError(`--config '${file}': "${key}" must be a time string or unix seconds, got ${JSON.stringify(value)}`);
    }
    config[key] = String(value);
  }
  return config;
}

/**
 * Accepts a state value (`{"bookmarks": ...}`, what Meltano passes), one STATE message, or a
 * tap's whole output (one message per line): then the last STATE wins.
 */
export function parseSingerState(text: string, file: string): SingerStateValue {
  if (text.trim() === '') return {};
  const whole = tryJson(text);
  const state = whole.ok ? stateIn(whole.value, true) : lastStateLine(text);
  if (state === undefined) {
    throw new UsageError(`--state '${file}' holds no Singer state; expected {"bookmarks":{...}} or a tap's output with STATE messages`);
  }
  if (state.bookmarks !== undefined && !isObject(state.bookmarks)) {
    throw new UsageError(`--state '${file}': "bookmarks" must be an object, got ${JSON.stringify(state.bookmarks)}`);
  }
  return state;
}

function stateIn(value: unknown, bareValueAllowed: boolean): SingerStateValue | undefined {
  if (!isObject(value)) return undefined;
  if (value.type === 'STATE') return isObject(value.value) ? value.value : undefined;
  return bareValueAllowed && value.type === undefined ? value : undefined;
}

function lastStateLine(text: string): SingerStateValue | undefined {
  let state: SingerStateValue | undefined;
  for (const line of text.split('\n')) {
    const parsed = tryJson(line);
    if (parsed.ok) state = stateIn(parsed.value, false) ?? state;
  }
  return state;
}

/** The collection's bookmark in a state, validated; undefined when the state has none. */
export function bookmarkOf(state: SingerStateValue, collection: string, file: string): number | undefined {
  const bookmark = state.bookmarks?.[collection];
  if (bookmark === undefined) return undefined;
  const start = isObject(bookmark) ? bookmark.start_time : undefined;
  if (typeof start !== 'number' || !Number.isInteger(start) || start < 0) {
    throw new UsageError(`--state '${file}': bookmarks.${collection}.start_time must be unix seconds, got ${JSON.stringify(start)}`);
  }
  return start;
}

/** Streams marked selected, by the metadata entry with an empty breadcrumb or the legacy schema flag. */
export function selectedStreams(text: string, file: string): string[] {
  const json = parseJson(text, '--catalog', file);
  if (!isObject(json) || !Array.isArray(json.streams)) throw new UsageError(`--catalog '${file}' must hold {"streams": [...]}`);
  return json.streams.filter(isObject).filter(isSelected).map((stream) => String(stream.tap_stream_id ?? stream.stream));
}

function isSelected(stream: Record<string, unknown>): boolean {
  const metadata = Array.isArray(stream.metadata) ? stream.metadata.filter(isObject) : [];
  const top = metadata.find((entry) => Array.isArray(entry.breadcrumb) && entry.breadcrumb.length === 0);
  if (top && isObject(top.metadata) && typeof top.metadata.selected === 'boolean') return top.metadata.selected;
  return isObject(stream.schema) && stream.schema.selected === true;
}

function parseJson(text: string, flag: string, file: string): unknown {
  const parsed = tryJson(text);
  if (!parsed.ok) throw new UsageError(`${flag} '${file}' is not valid JSON (${parsed.error})`);
  return parsed.value;
}

function tryJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
