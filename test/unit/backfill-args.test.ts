import { describe, expect, it } from 'vitest';
import { parseBackfillArgs } from '../../infra/backfill/args.js';
import { InvalidTimeZoneError } from '../../functions/time/errors.js';

const NOW_MS = 1_700_000_000_000; // Tue 2023-11-14T22:13:20Z

describe('parseBackfillArgs: --from/--to in a --timezone', () => {
  it('reads phrases in the zone (values from PHP 8.2 with date.timezone America/New_York)', () => {
    const args = parseBackfillArgs(['--collection=events', '--from=first day of this month', '--to=today', '--timezone=America/New_York'], NOW_MS);
    expect(args).toMatchObject({ from: Date.parse('2023-11-01T21:13:20Z') / 1000, to: Date.parse('2023-11-14T05:00:00Z') / 1000 });
  });

  it('names an unknown zone and what is valid', () => {
    expect(() => parseBackfillArgs(['--collection=events', '--from=-1 year', '--timezone=Moon/Base'], NOW_MS)).toThrow(InvalidTimeZoneError);
  });
});
