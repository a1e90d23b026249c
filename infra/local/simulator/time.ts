/**
 * `start_time` / `end_time` as the API takes them: unix seconds, or a strtotime phrase
 * ('-15 minutes', 'yesterday') evaluated like the PHP server does, with locutus'
 * strtotime in this process's time zone (TZ), relative to the simulator's clock.
 */
import { strtotime } from 'locutus/php/datetime/strtotime';
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
  const parsed = strtotime(value, nowSec);
  if (parsed === false || !Number.isFinite(parsed)) {
    throw new ApiError(400, 'invalid_time', `${name} '${echo(value)}' is neither unix seconds nor a strtotime phrase such as '-15 minutes'`);
  }
  return parsed;
}
