/**
 * The server's clock as a response tells it: its HTTP `Date` header, in whole unix seconds.
 * ConveYour stamps `updated_at` with that clock, so windows are cut on it (pipeline/serverClock.ts).
 */
import type { UnixSeconds } from './types.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** IMF-fixdate, the one form RFC 9110 lets a server send: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

/**
 * The `Date` header as unix seconds; undefined when it is missing, repeated with different
 * values, or not an IMF-fixdate. Deliberately not `Date.parse`: it reads the obsolete asctime
 * form (no zone) in the process's local time zone, and accepts forms no server should send.
 *
 * @example parseHttpDate('Thu, 15 Jan 2026 12:00:00 GMT') // 1768478400
 */
export function parseHttpDate(value: string | readonly string[] | undefined): UnixSeconds | undefined {
  const values = typeof value === 'string' ? [value] : (value ?? []);
  const parsed = [...new Set(values.map((one) => one.trim()))].map(parseOne);
  if (parsed.length !== 1) return undefined;
  return parsed[0];
}

function parseOne(raw: string): UnixSeconds | undefined {
  const match = IMF_FIXDATE.exec(raw);
  if (!match) return undefined;
  const [, , day, month, year, hours, minutes, seconds] = match;
  const ms = Date.UTC(Number(year), MONTHS.indexOf(month!), Number(day), Number(hours), Number(minutes), Number(seconds));
  const date = new Date(ms);
  // Date.UTC rolls 31 Feb over into March: a day that does not exist is not a date.
  if (date.getUTCDate() !== Number(day) || Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 60) return undefined;
  return Math.floor(ms / 1000);
}
