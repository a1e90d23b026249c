/**
 * historyStart: the first day the Athena tables show (their `dt` projection starts there).
 * Anything that reads history on purpose (backfill, a rescan) checks its start with
 * {@link assertWithinHistory}, so it never lands files no table can see.
 */
import { ConfigError } from '../config/env.js';

/** The deployment's default historyStart (yyyy-MM-dd): before any ConveYour record we expect. */
export const DEFAULT_HISTORY_START = '2000-01-01';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Checks a yyyy-MM-dd date; `name` is the setting or flag it came from. */
export function parseHistoryStart(value: string, name: string): string {
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (!DATE.test(value) || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new ConfigError(name, `${name} must be a date yyyy-MM-dd such as "${DEFAULT_HISTORY_START}", got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Throws ConfigError naming `flag` when `fromSeconds` is before the first day of `historyStart`. */
export function assertWithinHistory(fromSeconds: number, historyStart: string, flag: string): void {
  const startSeconds = Date.parse(`${historyStart}T00:00:00Z`) / 1000;
  if (fromSeconds < startSeconds) {
    const from = new Date(fromSeconds * 1000).toISOString();
    throw new ConfigError(
      flag,
      `${flag} (${from}) is before the deployment's historyStart (${historyStart}): Athena's tables start there and would not show what it lands. Start at ${historyStart} or later, or deploy with an earlier -c historyStart=yyyy-MM-dd first`,
    );
  }
}
