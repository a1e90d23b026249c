/**
 * Time expressions as the original tool accepted them (unix seconds, strtotime phrases),
 * plus ISO 8601, resolved here to unix seconds. The API evaluates phrases in its user's time
 * zone; resolving them on the client, in UTC or the zone the user names, keeps a window
 * independent of a server's settings.
 */
import type { QueryWindow, UnixSeconds } from '../conveyour/types.js';
import { EmptyWindowError, InvalidTimeError, MillisecondsTimeError } from './errors.js';
import { phpStrtotime } from './phpStrtotime.js';
import { instantOf } from './timeZone.js';

/** 9999-12-31T23:59:59Z: anything larger is not a date a user meant in seconds. */
const MAX_UNIX_SECONDS = 253_402_300_799;

const UNSIGNED_INTEGER = /^\d+$/;
const SIGNED_INTEGER = /^[+-]\d+$/;
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

export interface ResolveOptions {
  /** The instant phrases are relative to ("now", "-15 minutes"). */
  now: UnixSeconds;
  /** The input's name in messages, e.g. `--start_time`. */
  name: string;
  /**
   * The IANA zone phrases and zone-less ISO dates are read in, as PHP's date.timezone
   * (canonical: see parseTimeZone). Default UTC.
   */
  timeZone?: string;
}

/**
 * Resolves one time expression to unix seconds (UTC).
 * @example resolveTime('-15 minutes', { now: 1700000000, name: '--start_time' }) // 1699999100
 */
export function resolveTime(input: string, { now, name, timeZone = 'UTC' }: ResolveOptions): UnixSeconds {
  const value = input.trim();
  if (value === '') throw new InvalidTimeError(name, input, 'is empty');
  if (UNSIGNED_INTEGER.test(value)) return fromUnixDigits(value, name, input);
  if (SIGNED_INTEGER.test(value)) {
    // strtotime reads "-5" as a time-zone correction and "-3600" as nothing: neither is what was meant.
    throw new InvalidTimeError(name, input, 'is a signed number', `write a phrase such as '${value} seconds', or unix seconds without a sign`);
  }
  const iso = ISO_8601.exec(value);
  if (iso) return fromIso(iso, name, input, timeZone);
  const resolved = phpStrtotime(value, now, timeZone);
  if (resolved === false || !Number.isFinite(resolved)) throw new InvalidTimeError(name, input, 'is not a time');
  if (resolved < 0) throw new InvalidTimeError(name, input, `resolves before 1970 (${resolved})`);
  return Math.floor(resolved);
}

/** Names of the two inputs of a window, as the user typed them. */
export interface WindowNames {
  start: string;
  end: string;
}

/**
 * Resolves `[start, end)` at one `now`, so `-1 hour`..`now` is exactly an hour.
 * @throws InvalidTimeError for an unparseable bound, EmptyWindowError when end <= start.
 */
export function resolveWindow(
  { start, end = 'now' }: { start: string; end?: string },
  now: UnixSeconds,
  names: WindowNames = { start: 'start_time', end: 'end_time' },
  timeZone = 'UTC',
): QueryWindow {
  const window = {
    start: resolveTime(start, { now, name: names.start, timeZone }),
    end: resolveTime(end, { now, name: names.end, timeZone }),
  };
  if (window.end <= window.start) {
    throw new EmptyWindowError(
      { input: names.start, value: start, resolved: window.start },
      { input: names.end, value: end, resolved: window.end },
    );
  }
  return window;
}

/** Now in unix seconds, rounded down like every bound the API compares with. */
export function unixNow(clock: () => number = Date.now): UnixSeconds {
  return Math.floor(clock() / 1000);
}

function fromUnixDigits(value: string, name: string, input: string): UnixSeconds {
  const seconds = Number(value);
  if (seconds <= MAX_UNIX_SECONDS) return seconds;
  if (value.replace(/^0+/, '').length === 13) throw new MillisecondsTimeError(name, input, Math.floor(seconds / 1000));
  throw new InvalidTimeError(name, input, 'is beyond the year 9999 in unix seconds');
}

function fromIso(match: RegExpExecArray, name: string, input: string, timeZone: string): UnixSeconds {
  const [year, month, day, hour = 0, minute = 0, second = 0] = match.slice(1, 7).map((part) => (part === undefined ? undefined : Number(part)));
  const local = Date.UTC(year!, month! - 1, day!, hour, minute, second);
  const check = new Date(local);
  // Date.UTC rolls 2023-02-31 over to March; a user who typed it made a typo, not a wish.
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month! - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second
  ) {
    throw new InvalidTimeError(name, input, 'is not a valid calendar date and time');
  }
  // No zone means the given zone (UTC by default), as PHP reads it, never the machine's zone.
  const seconds =
    match[7] === undefined
      ? instantOf({ y: year!, m: month!, d: day!, h: hour, i: minute, s: second }, timeZone)
      : Math.floor(local / 1000) - zoneOffsetSeconds(match[7]);
  if (seconds < 0) throw new InvalidTimeError(name, input, 'is before 1970');
  return seconds;
}

function zoneOffsetSeconds(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4) || '0') * 60);
}
