import { describe, expect, it } from 'vitest';
import { phpStrtotime } from '../../functions/time/phpStrtotime.js';
import { resolveTime } from '../../functions/time/timeExpression.js';
import { InvalidTimeError } from '../../functions/time/errors.js';
import { oracle, recorded } from '../support/phpOracle.js';
import { PHRASES, REFERENCES } from '../support/strtotimeBattery.js';

// PHP itself where `php` is on PATH (.ci/run installs php-cli), else its recorded answers.
const php = oracle();
const show = (value: number | false) => (value === false ? 'false' : `${new Date(value * 1000).toISOString()} (${value})`);

describe(`phpStrtotime equals PHP's strtotime (${php.source})`, () => {
  it('the recorded fixture holds every phrase and reference of the battery (rerun `npm run record:strtotime` after changing it)', () => {
    const fixture = recorded();
    expect(fixture.references).toEqual(REFERENCES);
    for (const reference of REFERENCES) expect(Object.keys(fixture.answers[reference.label]!).sort()).toEqual([...PHRASES].sort());
  });

  it('covers every weekday as the reference day', () => {
    const days = new Set(REFERENCES.map(({ now, timeZone }) => new Intl.DateTimeFormat('en-US', { weekday: 'short', timeZone }).format(now * 1000)));
    expect([...days].sort()).toEqual(['Fri', 'Mon', 'Sat', 'Sun', 'Thu', 'Tue', 'Wed']);
  });

  describe.each(REFERENCES)('at $label', (reference) => {
    it(`agrees on all ${PHRASES.length} phrases, accepted and rejected`, () => {
      const disagreements = PHRASES.flatMap((phrase) => {
        const expected = php.answers[reference.label]![phrase]!;
        const actual = phpStrtotime(phrase, reference.now, reference.timeZone);
        return actual === expected ? [] : [`'${phrase}': PHP ${show(expected)}, ours ${show(actual)}`];
      });
      expect(disagreements).toEqual([]);
    });
  });
});

describe('resolveTime passes phrases to phpStrtotime, in the given zone', () => {
  // The layers before strtotime stay as they are: unix digits, signed numbers, blanks and ISO 8601.
  const layered = (phrase: string) => /^\s*$|^[+-]?\d+$|^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i.test(phrase.trim());

  it.each(REFERENCES)('resolves what PHP accepts to PHP\'s value and rejects what PHP rejects, at $label', (reference) => {
    for (const phrase of PHRASES.filter((candidate) => !layered(candidate))) {
      const expected = php.answers[reference.label]![phrase]!;
      const act = () => resolveTime(phrase, { now: reference.now, name: '--start_time', timeZone: reference.timeZone });
      if (expected === false || expected < 0) expect(act, phrase).toThrow(InvalidTimeError);
      else expect(act(), phrase).toBe(expected);
    }
  });

  it('reads zone-less ISO 8601 in the given zone, as PHP does, across both DST changes', () => {
    // PHP 8.2, date.timezone America/New_York: the gap moves forward, the repeated hour is daylight time.
    const resolve = (phrase: string) => resolveTime(phrase, { now: 1_710_045_000, name: 'x', timeZone: 'America/New_York' });
    expect(resolve('2024-03-10')).toBe(1_710_046_800);
    expect(resolve('2024-03-10 02:30')).toBe(1_710_055_800);
    expect(resolve('2024-11-03T01:30')).toBe(1_730_611_800);
    expect(resolve('2024-11-03T01:30Z')).toBe(1_730_597_400);
  });
});

describe('the forms locutus gets wrong (each failed before phpStrtotime)', () => {
  const sunday = REFERENCES[0]!; // Sun 2023-11-12 22:13:20 UTC
  const at = (phrase: string) => new Date((phpStrtotime(phrase, sunday.now) as number) * 1000).toISOString();

  it.each([
    ['-3 weekdays', '2023-11-08T22:13:20.000Z'],
    ['last sunday', '2023-11-05T00:00:00.000Z'],
    ['this sunday', '2023-11-12T00:00:00.000Z'],
    ['saturday this week', '2023-11-11T00:00:00.000Z'],
    ['monday next week', '2023-11-13T00:00:00.000Z'],
    ['next sunday', '2023-11-19T00:00:00.000Z'],
    ['first monday of january 2023', '2023-01-02T00:00:00.000Z'],
    ['last friday of next month', '2023-12-29T00:00:00.000Z'],
    ['2023-05-04 10:00:00 America/New_York', '2023-05-04T14:00:00.000Z'],
  ])("'%s' on a Sunday is %s", (phrase, expected) => {
    expect(at(phrase)).toBe(expected);
  });

  it("keeps 'tomorrow' a calendar day across DST: 23:30 EST on Saturday, 23:30 EDT on Sunday", () => {
    const saturdayNight = 1_710_045_000; // 2024-03-09T23:30 America/New_York
    expect(phpStrtotime('+1 day', saturdayNight, 'America/New_York')).toBe(saturdayNight + 23 * 3600);
    expect(phpStrtotime('tomorrow 02:30', saturdayNight, 'America/New_York')).toBe(Date.parse('2024-03-10T07:30:00Z') / 1000);
  });
});
