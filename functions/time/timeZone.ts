/**
 * IANA time zones through Intl, the only tz database a Node process already carries: offsets
 * at an instant, and a wall-clock time turned into an instant the way PHP does it.
 */
import { InvalidTimeZoneError } from './errors.js';

/** A calendar date and time as a clock on the wall shows it; fields may overflow (month 13, hour 25). */
export interface WallClock {
  y: number;
  /** 1..12 */
  m: number;
  d: number;
  h: number;
  i: number;
  s: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, format);
  }
  return format;
}

/**
 * The canonical IANA name for `name` (case-insensitive, aliases such as `US/Eastern` kept),
 * or undefined when Intl does not know it. Offsets such as `+02:00` are not names.
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * The canonical IANA name for a zone a user typed (`--timezone`, a `timezone` setting).
 * @throws InvalidTimeZoneError naming `input` and what would be valid.
 */
export function parseTimeZone(value: string, input: string): string {
  const zone = canonicalTimeZone(value.trim());
  if (zone === undefined) throw new InvalidTimeZoneError(input, value);
  return zone;
}

/** Seconds east of UTC in `zone` at `unixSeconds`. */
export function offsetAt(zone: string, unixSeconds: number): number {
  const parts: Record<string, string> = {};
  for (const part of formatter(zone).formatToParts(new Date(unixSeconds * 1000))) parts[part.type] = part.value;
  const year = parts.era === 'BC' ? 1 - Number(parts.year) : Number(parts.year);
  const wall = utcSeconds({ y: year, m: Number(parts.month), d: Number(parts.day), h: Number(parts.hour), i: Number(parts.minute), s: Number(parts.second) });
  return wall - Math.floor(unixSeconds);
}

/** The wall clock of `zone` at `unixSeconds`. */
export function wallClockAt(zone: string, unixSeconds: number): WallClock {
  return fromUtcSeconds(unixSeconds + offsetAt(zone, unixSeconds));
}

/** The offset at `t`, whether it is daylight time, and when the period holding `t` began (-Infinity: over 2 days ago). */
function offsetInfo(zone: string, t: number): { offset: number; isDst: boolean; since: number } {
  const offset = offsetAt(zone, t);
  const year = fromUtcSeconds(t).y;
  const standard = Math.min(offsetAt(zone, utcSeconds({ y: year, m: 1, d: 1, h: 0, i: 0, s: 0 })), offsetAt(zone, utcSeconds({ y: year, m: 7, d: 1, h: 0, i: 0, s: 0 })));
  // Every comparison below is within hours of t, so an older transition acts as none at all.
  let since = -Infinity;
  for (let hours = 1; hours <= 48; hours += 1) {
    if (offsetAt(zone, t - hours * 3600) !== offset) {
      let [low, high] = [t - hours * 3600, t - (hours - 1) * 3600];
      while (high - low > 1) {
        const middle = Math.floor((low + high) / 2);
        if (offsetAt(zone, middle) === offset) high = middle;
        else low = middle;
      }
      since = high;
      break;
    }
  }
  return { offset, isDst: offset > standard, since };
}

/**
 * The instant a wall-clock time means in `zone`, as timelib's do_adjust_timezone decides it:
 * a time in a DST gap moves forward by the gap; a time that occurs twice is the second one
 * east of UTC and the first one west of it, unless the phrase named the zone itself
 * (`01:30 Europe/Berlin`), which takes the first one everywhere.
 */
export function instantOf(wall: WallClock, zone: string, namedInPhrase = false): number {
  const local = utcSeconds(wall);
  const current = offsetInfo(zone, local);
  const after = offsetInfo(zone, local - current.offset);
  let actual = after;
  if (namedInPhrase && current.offset === after.offset && current.offset >= 0 && !current.isDst) {
    const earlier = offsetInfo(zone, local - current.offset - 7200);
    if (earlier.offset !== after.offset && local - earlier.offset < after.since) actual = earlier;
  }
  const inTransition = local - actual.offset >= actual.since + (current.offset - actual.offset) && local - actual.offset < actual.since;
  return local - (current.offset !== actual.offset && !inTransition ? actual.offset : current.offset);
}

/** Seconds since the epoch of a wall clock read as UTC; overflowing fields roll over as in PHP. */
export function utcSeconds({ y, m, d, h, i, s }: WallClock): number {
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0..99 as 1900..1999.
  date.setUTCFullYear(y, m - 1, d);
  date.setUTCHours(h, i, s, 0);
  return Math.floor(date.getTime() / 1000);
}

export function fromUtcSeconds(seconds: number): WallClock {
  const date = new Date(seconds * 1000);
  return {
    y: date.getUTCFullYear(),
    m: date.getUTCMonth() + 1,
    d: date.getUTCDate(),
    h: date.getUTCHours(),
    i: date.getUTCMinutes(),
    s: date.getUTCSeconds(),
  };
}
