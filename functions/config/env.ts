/**
 * Typed reads of configuration values (the environment, npm config, CDK context), each
 * failing with a message that names the input and what would be valid.
 */
import { CodedError } from '../errors/coded.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** A configuration value is missing or invalid; `input` names it (a variable, flag or context key). */
export class ConfigError extends CodedError {
  readonly code = 'CONFIG_INVALID';
  override name = 'ConfigError';
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(message);
  }
}

function present(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** `X is required` when missing or blank. */
export function requireString(env: Env, name: string, hint?: string): string {
  const value = present(env, name);
  if (value === undefined) throw new ConfigError(name, `${name} is required${hint ? ` (${hint})` : ''}`);
  return value;
}

export function optionalString(env: Env, name: string): string | undefined {
  return present(env, name);
}

/** `X must be a number, got 'abc'`; bounds are inclusive. */
export function optionalNumber(
  env: Env,
  name: string,
  fallback: number,
  bounds: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  return parseNumber(raw, name, bounds);
}

export function parseNumber(
  raw: string,
  name: string,
  { min, max, integer }: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const value = Number(raw);
  const kind = integer ? 'an integer' : 'a number';
  if (raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new ConfigError(name, `${name} must be ${kind}, got '${raw}'`);
  }
  if (min !== undefined && value < min) throw new ConfigError(name, `${name} must be ${kind} >= ${min}, got '${raw}'`);
  if (max !== undefined && value > max) throw new ConfigError(name, `${name} must be ${kind} <= ${max}, got '${raw}'`);
  return value;
}

/** Accepts true/false/1/0/yes/no (any case). */
export function optionalBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  const lowered = raw.toLowerCase();
  if (['true', '1', 'yes'].includes(lowered)) return true;
  if (['false', '0', 'no'].includes(lowered)) return false;
  throw new ConfigError(name, `${name} must be true or false, got '${raw}'`);
}
