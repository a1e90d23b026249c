/**
 * Errors of time expressions. Each names the input (a flag or setting), quotes the value
 * as given, and says what would be accepted, so the message alone tells the user what to fix.
 */
import { CodedError } from '../errors/coded.js';

export class TimeError extends CodedError {
  readonly code: string = 'TIME_ERROR';
  override name = 'TimeError';
}

/** The forms `resolveTime` accepts, quoted in every InvalidTimeError. */
export const ACCEPTED_TIME_FORMS =
  "unix seconds (1683228479), ISO 8601 (2023-05-04, 2023-05-04T19:27:59Z, 2023-05-04T21:27:59+02:00) " +
  "or a strtotime phrase ('-15 minutes', '-1 day', 'yesterday', 'last monday', 'now', '@1683228479', " +
  "'first monday of next month', '2023-05-04 10:00 America/New_York')";

/** The value is not a time this module can resolve. */
export class InvalidTimeError extends TimeError {
  override readonly code: string = 'TIME_INVALID';
  override name = 'InvalidTimeError';
  constructor(
    /** The input's name as the user knows it, e.g. `--start_time`. */
    readonly input: string,
    readonly value: string,
    /** What is wrong, e.g. "is not a time". */
    readonly reason: string,
    /** What to do instead; defaults to listing the accepted forms. */
    hint = `use ${ACCEPTED_TIME_FORMS}`,
  ) {
    super(`${input} '${value}' ${reason}; ${hint}`);
  }
}

/** A 13-digit number: almost certainly JavaScript milliseconds where seconds were meant. */
export class MillisecondsTimeError extends InvalidTimeError {
  override readonly code = 'TIME_LOOKS_LIKE_MILLISECONDS';
  override name = 'MillisecondsTimeError';
  constructor(input: string, value: string, readonly suggestedSeconds: number) {
    super(input, value, 'looks like milliseconds', `the API takes unix seconds: use ${suggestedSeconds}`);
  }
}

/** Not an IANA time-zone name this Node knows. */
export class InvalidTimeZoneError extends TimeError {
  override readonly code = 'TIME_ZONE_INVALID';
  override name = 'InvalidTimeZoneError';
  constructor(readonly input: string, readonly value: string) {
    super(
      `${input} '${value}' is not an IANA time zone; use a name such as UTC, Europe/Paris or America/New_York ` +
        '(any that Intl.supportedValuesOf(\'timeZone\') lists)',
    );
  }
}

/** end <= start: the API would return nothing, which is never what was meant. */
export class EmptyWindowError extends TimeError {
  override readonly code = 'TIME_EMPTY_WINDOW';
  override name = 'EmptyWindowError';
  constructor(
    readonly start: { input: string; value: string; resolved: number },
    readonly end: { input: string; value: string; resolved: number },
  ) {
    super(
      `${end.input} '${end.value}' (${formatUnix(end.resolved)}) must be after ${start.input} '${start.value}' ` +
        `(${formatUnix(start.resolved)}): the window would be empty`,
    );
  }
}

/** `2023-05-04T19:27:59Z = 1683228479`: both forms, so a user can see how a phrase resolved. */
export function formatUnix(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')} = ${seconds}`;
}
