import { describe, expect, it } from 'vitest';
import { resolveTime, resolveWindow, unixNow } from '../../functions/time/timeExpression.js';
import { EmptyWindowError, InvalidTimeError, MillisecondsTimeError } from '../../functions/time/errors.js';

// 2023-11-14T22:13:20Z, a Tuesday.
const NOW = 1_700_000_000;
const at = (input: string) => resolveTime(input, { now: NOW, name: '--start_time' });
const utc = (iso: string) => Date.parse(iso) / 1000;

describe('resolveTime: unix seconds', () => {
  it('returns an integer string as unix seconds', () => {
    expect(at('1683228479')).toBe(1683228479);
  });

  it('accepts 0, the start of time, for a full export', () => {
    expect(at('0')).toBe(0);
  });

  it('ignores surrounding blanks', () => {
    expect(at(' 1683228479 ')).toBe(1683228479);
  });

  it('rejects a 13-digit value as milliseconds and suggests the seconds', () => {
    expect(() => at('1683228479000')).toThrow(MillisecondsTimeError);
    expect(() => at('1683228479000')).toThrow(
      "--start_time '1683228479000' looks like milliseconds; the API takes unix seconds: use 1683228479",
    );
  });

  it('rejects a number beyond the year 9999 that is not milliseconds', () => {
    expect(() => at('16832284790000000')).toThrow(
      "--start_time '16832284790000000' is beyond the year 9999 in unix seconds",
    );
  });

  it('rejects a signed number, which strtotime would misread as a time-zone correction', () => {
    expect(() => at('-3600')).toThrow(
      "--start_time '-3600' is a signed number; write a phrase such as '-3600 seconds', or unix seconds without a sign",
    );
  });
});

describe('resolveTime: ISO 8601', () => {
  it('reads a date-only value as midnight UTC', () => {
    expect(at('2023-05-04')).toBe(utc('2023-05-04T00:00:00Z'));
  });

  it('reads a zone-less date-time as UTC', () => {
    expect(at('2023-05-04T19:27:59')).toBe(1683228479);
  });

  it('reads a Z date-time', () => {
    expect(at('2023-05-04T19:27:59Z')).toBe(1683228479);
  });

  it('applies an explicit offset', () => {
    expect(at('2023-05-04T21:27:59+02:00')).toBe(1683228479);
    expect(at('2023-05-04T14:27:59-0500')).toBe(1683228479);
  });

  it('accepts a space instead of T and drops fractional seconds', () => {
    expect(at('2023-05-04 19:27:59.999Z')).toBe(1683228479);
  });

  it('accepts hours and minutes without seconds', () => {
    expect(at('2023-05-04T19:27')).toBe(1683228420);
  });

  it('rejects a date that does not exist instead of rolling it over', () => {
    expect(() => at('2023-02-31')).toThrow("--start_time '2023-02-31' is not a valid calendar date and time");
  });
});

describe('resolveTime: strtotime phrases, evaluated in UTC at the given now', () => {
  it.each([
    ['now', NOW],
    ['-15 minutes', NOW - 15 * 60],
    ['-1 minutes', NOW - 60],
    ['-1 day', NOW - 86_400],
    ['1 hour ago', NOW - 3600],
    ['yesterday', utc('2023-11-13T00:00:00Z')],
    ['today', utc('2023-11-14T00:00:00Z')],
    ['last monday', utc('2023-11-13T00:00:00Z')],
    ['@1683228479', 1683228479],
  ])("resolves '%s'", (phrase, expected) => {
    expect(at(phrase)).toBe(expected);
  });

  it('evaluates calendar phrases in UTC even when the process zone is not UTC', () => {
    const previous = process.env.TZ;
    process.env.TZ = 'Asia/Tokyo';
    try {
      expect(at('yesterday')).toBe(utc('2023-11-13T00:00:00Z'));
      expect(new Date(0).getTimezoneOffset()).toBe(-540);
    } finally {
      if (previous === undefined) delete process.env.TZ;
      else process.env.TZ = previous;
    }
  });

  it('rejects an unparseable phrase, naming the input and listing the accepted forms', () => {
    const error = (() => {
      try {
        at('next blursday');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidTimeError);
    expect((error as InvalidTimeError).code).toBe('TIME_INVALID');
    expect((error as Error).message).toBe(
      "--start_time 'next blursday' is not a time; use unix seconds (1683228479), ISO 8601 (2023-05-04, " +
        "2023-05-04T19:27:59Z, 2023-05-04T21:27:59+02:00) or a strtotime phrase ('-15 minutes', '-1 day', " +
        "'yesterday', 'last monday', 'now', '@1683228479', 'first monday of next month', '2023-05-04 10:00 America/New_York')",
    );
  });

  it('rejects an empty value instead of reading it as now', () => {
    expect(() => at('  ')).toThrow("--start_time '  ' is empty");
  });

  it('rejects a phrase that resolves before 1970', () => {
    expect(() => at('@-5')).toThrow("--start_time '@-5' resolves before 1970 (-5)");
  });
});

describe('resolveWindow', () => {
  it('resolves both bounds at the same now, end defaulting to now', () => {
    expect(resolveWindow({ start: '-1 hour' }, NOW)).toEqual({ start: NOW - 3600, end: NOW });
  });

  it('names the flag of an unparseable bound', () => {
    expect(() => resolveWindow({ start: '0', end: 'soon' }, NOW, { start: '--start_time', end: '--end_time' })).toThrow(
      /^--end_time 'soon' is not a time; use unix seconds/,
    );
  });

  it('rejects end <= start, naming both values as given and as resolved', () => {
    const act = () => resolveWindow({ start: '-1 hour', end: 'yesterday' }, NOW, { start: '--start_time', end: '--end_time' });
    expect(act).toThrow(EmptyWindowError);
    expect(act).toThrow(
      "--end_time 'yesterday' (2023-11-13T00:00:00Z = 1699833600) must be after --start_time '-1 hour' " +
        '(2023-11-14T21:13:20Z = 1699996400): the window would be empty',
    );
  });

  it('rejects an equal start and end', () => {
    expect(() => resolveWindow({ start: 'now', end: String(NOW) }, NOW)).toThrow(EmptyWindowError);
  });
});

describe('unixNow', () => {
  it('rounds the clock down to whole seconds', () => {
    expect(unixNow(() => 1_700_000_000_999)).toBe(NOW);
  });
});
