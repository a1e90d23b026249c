/**
 * Knobs for the HTTP client's patience, from the environment. Defaults suit the real API;
 * tests and impatient users shorten them (e.g. CONVEYOUR_RETRY_BASE_MS=5).
 */
import { type Env, optionalString, parseNumber } from '../config/env.js';
import type { ClientOptions } from './client.js';

/** Every knob, its meaning and its bounds; documented in docs/cli.md. */
export const CLIENT_TUNING_ENV = {
  CONVEYOUR_REQUEST_TIMEOUT_MS: { min: 1, help: 'deadline of one attempt, headers and whole body (default 30000)' },
  CONVEYOUR_RETRY_MAX_ATTEMPTS: { min: 1, help: 'attempts per request, the first included (default 8)' },
  CONVEYOUR_RETRY_BASE_MS: { min: 0, help: 'first backoff ceiling; doubles per attempt, full jitter (default 250)' },
  CONVEYOUR_RETRY_MAX_DELAY_MS: { min: 0, help: 'cap on one backoff (default 20000; a Retry-After may be longer)' },
  CONVEYOUR_RETRY_MAX_ELAPSED_MS: { min: 0, help: 'no retry starts after this long since the first attempt (default 120000)' },
} as const;

/** Only the knobs that are set, so the client's defaults hold for the rest. @throws ConfigError */
export function clientTuningFromEnv(env: Env): Pick<ClientOptions, 'requestTimeoutMs' | 'retry'> {
  const read = (name: keyof typeof CLIENT_TUNING_ENV): number | undefined => {
    const raw = optionalString(env, name);
    return raw === undefined ? undefined : parseNumber(raw, name, { min: CLIENT_TUNING_ENV[name].min, integer: true });
  };
  const retry: NonNullable<ClientOptions['retry']> = {};
  const maxAttempts = read('CONVEYOUR_RETRY_MAX_ATTEMPTS');
  const baseDelayMs = read('CONVEYOUR_RETRY_BASE_MS');
  const maxDelayMs = read('CONVEYOUR_RETRY_MAX_DELAY_MS');
  const maxElapsedMs = read('CONVEYOUR_RETRY_MAX_ELAPSED_MS');
  if (maxAttempts !== undefined) retry.maxAttempts = maxAttempts;
  if (baseDelayMs !== undefined) retry.baseDelayMs = baseDelayMs;
  if (maxDelayMs !== undefined) retry.maxDelayMs = maxDelayMs;
  if (maxElapsedMs !== undefined) retry.maxElapsedMs = maxElapsedMs;
  const requestTimeoutMs = read('CONVEYOUR_REQUEST_TIMEOUT_MS');
  return { ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }), retry };
}
