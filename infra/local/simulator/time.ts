/**
 * `start_time` / `end_time` as the API takes them: unix seconds, or a strtotime phrase
 * ('-15 minutes', 'yesterday') evaluated like the PHP server does, in this process's time
 * zone (TZ, standing for the API user's zone), relative to the simulator's clock.
 *
 * The phrase goes through phpStrtotime, the client's module, on purpose: it is the one
 * implementation held to PHP 8.2 itself (test/unit/php-strtotime.test.ts), where locutus
 * disagrees with PHP on weekdays, "<day> of" and zone names (docs/strtotime.md). A stand-in
 * for PHP should answer as PHP does; what the client may assume about the server (that it
 * gets numbers only) is not shared, since the simulator still takes any phrase it is sent.
 */
import { phpStrtotime } from '../../../functions/time/phpStrtotime.js';
import { ApiError } from './apiError.js';

const UNIX_SECONDS = /^\d{1,12}(\.\d+)?$/;
const MAX_ECHO = 80;

function echo(raw: string): string {
  return raw.length > MAX_ECHO ? `${raw.slice(0, MAX_ECHO)}...` : raw;
}

/**
 * Unix seconds for a time parameter. Missing: `fallback` when given (end_time defaults to
 * now), else 400 invalid_time; unparseable: 400 invalid_time naming the value.
 */
export function parseTimeParam(name: string, raw: string | null, nowSec: number, fallback?: number): number {
  const value = raw?.trim() ?? '';
  if (value === '') {
    if (fallback !== undefined) return fallback;
    throw new ApiError(400, 'invalid_time', `${name} is required: unix seconds or a strtotime phrase such as '-15 minutes'`);
  }
  if (UNIX_SECONDS.test(value)) return Math.floor(Number(value));
  const parsed = phpStrtotime(value, nowSec, Intl.DateTimeFormat().resolvedOptions().timeZone);
  if (parsed === false || !Number.isFinite(parsed)) {
    throw new ApiError(400, 'invalid_time', `${name} '${echo(value)}' is neither unix seconds nor a strtotime phrase such as '-15 minutes'`);
  }
  return parsed;
}
