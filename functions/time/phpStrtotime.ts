/**
 * PHP's strtotime($phrase, $now) with date_default_timezone_set($zone), for the phrases users
 * type. locutus' port leaves weekday arithmetic, "<ordinal> <day> of" and time-zone names
 * unimplemented or wrong (docs/strtotime.md), so this module follows timelib, PHP's own
 * parser, instead: the same token rules (longest match wins, ties go to the earlier rule),
 * the same fields and the same order of adjustments. test/unit/php-strtotime.test.ts holds
 * it to PHP 8.2 itself over a battery of phrases and reference times.
 */
import { canonicalTimeZone, fromUtcSeconds, instantOf, utcSeconds, wallClockAt, type WallClock } from './timeZone.js';

type Zone = { offset: number } | { id: string };
type Unit = { field: 'y' | 'm' | 'd' | 'h' | 'i' | 's'; times: number } | { weekday: number } | { weekdays: true };
type Special = { kind: 'weekdays'; amount: number } | { kind: 'nthWeekdayOfMonth' | 'lastWeekdayOfMonth' };

/** What a phrase sets, as timelib keeps it: absolute fields (undefined: take now's), relative shifts, zone. */
class Parsed {
  y?: number;
  m?: number;
  d?: number;
  h?: number;
  i?: number;
  s?: number;
  haveDate = false;
  haveTime = 0;
  rel = { y: 0, m: 0, d: 0, h: 0, i: 0, s: 0 };
  weekday?: number;
  /** 0: next such day, today excluded; 1: today counts; 2: that day of the week in question. */
  weekdayBehavior = 0;
  special?: Special;
  firstLastDayOf: 0 | 1 | -1 = 0;
  zones = 0;
  zone?: Zone;

  date(y: number | undefined, m: number | undefined, d: number | undefined): boolean {
    if (this.haveDate) return false; // "Double date specification"
    this.haveDate = true;
    [this.y, this.m, this.d] = [y, m, d];
    return true;
  }

  time(h: number, i: number, s: number): boolean {
    if (this.haveTime > 0) return false; // "Double time specification"
    this.haveTime = 1;
    [this.h, this.i, this.s] = [h, i, s];
    return true;
  }

  /** Words such as "tomorrow" and "monday" mean 00:00 until a time is given after them. */
  unsetTime(): void {
    this.haveTime = 0;
    [this.h, this.i, this.s] = [0, 0, 0];
  }

  setZone(zone: Zone): boolean {
    // The second zone is a warning in PHP (ignored), the third an error.
    this.zones += 1;
    if (this.zones === 1) this.zone = zone;
    return this.zones <= 2;
  }

  relative(amount: number, behavior: number, unit: Unit, keepTime: boolean): void {
    if ('field' in unit) {
      this.rel[unit.field] += amount * unit.times;
    } else if ('weekday' in unit) {
      if (!keepTime) this.unsetTime();
      this.rel.d += (amount > 0 ? amount - 1 : amount) * 7;
      this.weekday = unit.weekday;
      this.weekdayBehavior = behavior;
    } else {
      if (!keepTime) this.unsetTime();
      this.special = { kind: 'weekdays', amount };
    }
  }
}

// Token pieces, after timelib's parse_date.re.
const HOUR24 = '(2[0-4]|[01]?[0-9])';
const HOUR24LZ = '([01][0-9]|2[0-4])';
const HOUR12 = '(0?[1-9]|1[0-2])';
const MINUTE = '([0-5]?[0-9])';
const MINUTELZ = '([0-5][0-9])';
const SECOND = '(60|[0-5]?[0-9])';
const SECONDLZ = '(60|[0-5][0-9])';
const MERIDIAN = '([ap])\\.?m\\.?(?=[ \\t]|$)';
const DAY = '(3[01]|[0-2]?[0-9])(?:st|nd|rd|th)?';
const MONTH = '(1[0-2]|0?[0-9])';
const MONTHLZ = '(0[0-9]|1[0-2])';
const DAYLZ = '(0[0-9]|[12][0-9]|3[01])';
const YEAR = '([0-9]{1,4})';
const YEAR4 = '([0-9]{4})';
const MONTH_NAMES = 'january|february|march|april|may|june|july|august|september|october|november|december';
const MONTH_TEXT = `(${MONTH_NAMES}|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)`;
const DAY_NAMES = 'sunday|monday|tuesday|wednesday|thursday|friday|saturday';
const DAY_TEXT = `(?:${DAY_NAMES})s?|sun|mon|tue|wed|thu|fri|sat`;
const ORDINALS = 'first|second|third|fourth|fifth|sixth|seventh|eighth|eight|ninth|tenth|eleventh|twelfth';
const RELTEXT = 'next|last|previous|this';
const UNITS =
  'seconds|second|secs|sec|minutes|minute|mins|min|hours|hour|days|day|fortnights|fortnight|forthnights|forthnight|' +
  `months|month|years|year|weekdays|weekday|weeks|${DAY_TEXT}`;
const DATE_NO_YEAR = `${MONTH_TEXT}[ .\\t-]*${DAY}[,.stndrh\\t ]*`;

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const WEEKDAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const RELTEXT_AMOUNTS: Record<string, number> = {
  first: 1, next: 1, second: 2, third: 3, fourth: 4, fifth: 5, sixth: 6, seventh: 7, eight: 8, eighth: 8,
  ninth: 9, tenth: 10, eleventh: 11, twelfth: 12, last: -1, previous: -1, this: 0,
};

/** Abbreviations PHP knows, with the offsets PHP 8.2 gives them (seconds east of UTC). */
const ZONE_ABBREVIATIONS: Record<string, number> = {
  utc: 0, gmt: 0, z: 0, wet: 0, west: 3600, bst: 3600, cet: 3600, cest: 7200, met: 3600, mest: 7200,
  eet: 7200, eest: 10800, msk: 10800, msd: 14400, ist: 7200, est: -18000, edt: -14400, cst: -21600,
  cdt: -18000, mst: -25200, mdt: -21600, pst: -28800, pdt: -25200, akst: -32400, akdt: -28800,
  hst: -36000, hdt: -34200, ast: -14400, adt: -10800, nst: -12600, ndt: -9052, jst: 32400, kst: 30600,
  hkt: 28800, awst: 28800, acst: 34200, acdt: 37800, aest: 36000, aedt: 39600, nzst: 43200, nzdt: 46800,
  sast: 7200, cat: 7200, eat: 10800, wat: 3600, wast: 7200, pkt: 18000, wib: 25200,
  // Military letters (J is local time, which PHP does not accept).
  ...Object.fromEntries([...'abcdefghiklm'].map((letter, index) => [letter, (index + 1) * 3600])),
  ...Object.fromEntries([...'nopqrstuvwxy'].map((letter, index) => [letter, -(index + 1) * 3600])),
};

const month = (text: string): number => MONTHS[text.slice(0, 3).toLowerCase()]!;
const weekday = (text: string): number => WEEKDAYS[text.slice(0, 3).toLowerCase()]!;
const meridian = (hour: number, ap: string): number => (hour % 12) + (ap.toLowerCase() === 'p' ? 12 : 0);
const twoDigitYear = (text: string): number => {
  const year = Number(text);
  return text.length < 4 && year < 100 ? year + (year < 70 ? 2000 : 1900) : year;
};

const UNIT_FIELDS: Record<string, Unit> = {
  sec: { field: 's', times: 1 }, min: { field: 'i', times: 1 }, minute: { field: 'i', times: 1 },
  second: { field: 's', times: 1 }, hour: { field: 'h', times: 1 }, day: { field: 'd', times: 1 },
  week: { field: 'd', times: 7 }, fortnight: { field: 'd', times: 14 }, forthnight: { field: 'd', times: 14 },
  month: { field: 'm', times: 1 }, year: { field: 'y', times: 1 }, weekday: { weekdays: true },
};

/** A unit word as the relative rules match it: "mins", "fortnight", "weekdays", "mon", "fridays". */
function unit(text: string): Unit {
  const word = text.toLowerCase();
  return UNIT_FIELDS[word] ?? UNIT_FIELDS[word.replace(/s$/, '')] ?? { weekday: weekday(word) };
}

type Rule = { pattern: RegExp; apply: (p: Parsed, g: string[]) => boolean | void };
const rule = (source: string, apply: Rule['apply'], flags = 'iy'): Rule => ({ pattern: new RegExp(source, flags), apply });
const int = (text: string | undefined): number => Number(text ?? 0);

/** In timelib's order: on an equally long match, the earlier rule wins. */
const RULES: Rule[] = [
  rule('yesterday', (p) => { p.unsetTime(); p.rel.d = -1; }),
  rule('now', () => {}),
  rule('noon', (p) => { p.unsetTime(); return p.time(12, 0, 0); }),
  rule('midnight|today', (p) => { p.unsetTime(); }),
  rule('tomorrow', (p) => { p.unsetTime(); p.rel.d = 1; }),
  rule('@(-?[0-9]+)', (p, [, seconds]) => {
    p.haveDate = false;
    p.haveTime = 0;
    [p.y, p.m, p.d, p.h, p.i, p.s] = [1970, 1, 1, 0, 0, 0];
    p.rel.s += int(seconds);
    return p.setZone({ offset: 0 });
  }),
  rule('(first|last) day of', (p, [, which]) => { p.firstLastDayOf = which!.toLowerCase() === 'first' ? 1 : -1; }),
  rule(`(${ORDINALS}|${RELTEXT})[ \\t]+(${DAY_NAMES}|sun|mon|tue|wed|thu|fri|sat)[ \\t]+of`, (p, [, text, day]) => {
    const amount = RELTEXT_AMOUNTS[text!.toLowerCase()]!;
    if (amount > 0) {
      p.special = { kind: 'nthWeekdayOfMonth' };
      p.relative(amount, 1, { weekday: weekday(day!) }, false);
    } else {
      p.special = { kind: 'lastWeekdayOfMonth' };
      p.relative(amount, text!.toLowerCase() === 'this' ? 1 : 0, { weekday: weekday(day!) }, false);
    }
  }),
  rule(`${HOUR12}[ \\t]*${MERIDIAN}`, (p, [, h, ap]) => p.time(meridian(int(h), ap!), 0, 0)),
  rule(`${HOUR12}[:.]${MINUTELZ}[ \\t]*${MERIDIAN}`, (p, [, h, i, ap]) => p.time(meridian(int(h), ap!), int(i), 0)),
  rule(`${HOUR12}[:.]${MINUTE}[:.]${SECONDLZ}[ \\t]*${MERIDIAN}`, (p, [, h, i, s, ap]) => p.time(meridian(int(h), ap!), int(i), int(s))),
  rule(`t?${HOUR24}[:.]${MINUTE}(?:[:.]${SECOND}(?:[.,][0-9]+)?)?`, (p, [, h, i, s]) => p.time(int(h), int(i), int(s))),
  rule(`t?${HOUR24LZ}${MINUTELZ}`, (p, [, h, i]) => {
    // "2023" alone is 20:23 in PHP; after a time it is the year.
    p.haveTime += 1;
    if (p.haveTime === 1) [p.h, p.i, p.s] = [int(h), int(i), 0];
    else if (p.haveTime === 2) p.y = int(`${h}${i}`);
    else return false;
  }),
  rule(`${MONTH}/${DAY}/${YEAR}`, (p, [, m, d, y]) => p.date(twoDigitYear(y!), int(m), int(d))),
  rule(`${MONTH}/${DAY}`, (p, [, m, d]) => p.date(undefined, int(m), int(d))),
  rule(`([+-]?[0-9]{4})-${MONTHLZ}-${DAYLZ}`, (p, [, y, m, d]) => p.date(int(y), int(m), int(d))),
  rule(`${YEAR4}/${MONTH}/${DAY}`, (p, [, y, m, d]) => p.date(int(y), int(m), int(d))),
  rule(`${YEAR}-${MONTH}-${DAY}`, (p, [, y, m, d]) => p.date(twoDigitYear(y!), int(m), int(d))),
  rule(`${YEAR4}-${MONTH}`, (p, [, y, m]) => p.date(int(y), int(m), 1)),
  rule(`${DAY}[ \\t.-]*${MONTH_TEXT}[ \\t.-]*${YEAR}`, (p, [, d, m, y]) => p.date(twoDigitYear(y!), month(m!), int(d))),
  rule(`${DAY}[.\\t-]${MONTH}[.-]${YEAR4}`, (p, [, d, m, y]) => p.date(int(y), int(m), int(d))),
  rule(`${DAY}[.\\t]${MONTH}\\.([0-9]{2})`, (p, [, d, m, y]) => p.date(twoDigitYear(y!), int(m), int(d))),
  rule(`${MONTH_TEXT}[ .\\t-]*${YEAR4}`, (p, [, m, y]) => p.date(int(y), month(m!), 1)),
  rule(`${YEAR4}[ .\\t-]*${MONTH_TEXT}`, (p, [, y, m]) => p.date(int(y), month(m!), 1)),
  rule(`${MONTH_TEXT}[ .\\t-]*${DAY}[,.stndrh\\t ]+${YEAR}`, (p, [, m, d, y]) => p.date(twoDigitYear(y!), month(m!), int(d))),
  rule(DATE_NO_YEAR, (p, [, m, d]) => p.date(undefined, month(m!), int(d))),
  rule(`${DAY}[ .\\t-]*${MONTH_TEXT}`, (p, [, d, m]) => p.date(undefined, month(m!), int(d))),
  rule(`${DATE_NO_YEAR}t?${HOUR24}[:.]${MINUTE}(?:[:.]${SECOND})?`, (p, [, m, d, h, i, s]) =>
    p.date(undefined, month(m!), int(d)) && p.time(int(h), int(i), int(s))),
  rule(`${DATE_NO_YEAR}${HOUR12}[:.]${MINUTELZ}(?:[:.]${SECONDLZ})?[ \\t]*${MERIDIAN}`, (p, [, m, d, h, i, s, ap]) =>
    p.date(undefined, month(m!), int(d)) && p.time(meridian(int(h), ap!), int(i), int(s))),
  rule(YEAR4, (p, [, y]) => { p.y = int(y); }),
  rule(MONTH_TEXT, (p, [, m]) => p.date(undefined, month(m!), undefined)),
  rule('ago', (p) => {
    for (const field of ['y', 'm', 'd', 'h', 'i', 's'] as const) p.rel[field] = -p.rel[field];
    if (p.weekday !== undefined) p.weekday = -p.weekday || -7;
    if (p.special?.kind === 'weekdays') p.special.amount = -p.special.amount;
  }),
  rule(`(${DAY_TEXT}|weekdays?)`, (p, [, day]) => {
    p.unsetTime();
    // timelib looks "weekday" up as a unit whose number is 1: Monday.
    p.weekday = day!.toLowerCase().startsWith('weekday') ? 1 : weekday(day!);
    if (p.weekdayBehavior !== 2) p.weekdayBehavior = 1;
  }),
  rule(`(${RELTEXT})[ \\t]+week`, (p, [, text]) => {
    p.relative(RELTEXT_AMOUNTS[text!.toLowerCase()]!, 0, { field: 'd', times: 7 }, false);
    p.weekdayBehavior = 2;
    p.weekday ??= 1;
  }),
  rule(`(${ORDINALS}|${RELTEXT})[ \\t]+(${UNITS})`, (p, [, text, word]) => {
    const lower = text!.toLowerCase();
    p.relative(RELTEXT_AMOUNTS[lower]!, lower === 'this' ? 1 : 0, unit(word!), false);
  }),
  rule(`([+-]*)[ \\t]*([0-9]{1,13})[ \\t]*(${UNITS}|week)`, (p, [, signs, digits, word]) => {
    const negative = (signs!.match(/-/g)?.length ?? 0) % 2 === 1;
    p.relative(negative ? -int(digits) : int(digits), 1, unit(word!), true);
  }),
  rule(`(?:GMT)?([+-])${HOUR24}(:?)(${MINUTE})?`, (p, [, sign, h, colon, i]) => {
    const [hours, minutes] = colon === '' && i !== undefined ? [Math.floor(int(`${h}${i}`) / 100), int(`${h}${i}`) % 100] : [int(h), int(i)];
    return p.setZone({ offset: (sign === '-' ? -1 : 1) * (hours * 3600 + minutes * 60) });
  }),
  rule('\\(?([A-Za-z]{1,6})\\)?', (p, [, abbreviation]) => {
    const offset = ZONE_ABBREVIATIONS[abbreviation!.toLowerCase()];
    return offset !== undefined && p.setZone({ offset });
  }),
  // Case matters, as in timelib: "america/new_york" is not a zone to PHP.
  rule('[A-Z][a-z]+(?:[_/-][A-Za-z]+)+', (p, [name]) => {
    const zone = canonicalTimeZone(name!);
    return zone !== undefined && p.setZone({ id: zone });
  }, 'y'),
  rule('[ .,\\t]+', () => {}),
];

/** Longest match at `at`; on a tie the earlier rule. */
function nextToken(phrase: string, at: number): { rule: Rule; groups: string[] } | undefined {
  let best: { rule: Rule; groups: string[] } | undefined;
  for (const candidate of RULES) {
    candidate.pattern.lastIndex = at;
    const match = candidate.pattern.exec(phrase);
    if (match && match[0].length > 0 && (best === undefined || match[0].length > best.groups[0]!.length)) {
      best = { rule: candidate, groups: [...match].map((group) => group as string) };
    }
  }
  return best;
}

function parse(phrase: string): Parsed | undefined {
  const parsed = new Parsed();
  for (let at = 0; at < phrase.length; ) {
    const token = nextToken(phrase, at);
    if (token === undefined || token.rule.apply(parsed, token.groups) === false) return undefined;
    at += token.groups[0]!.length;
  }
  return parsed;
}

const normalize = (wall: WallClock): WallClock => fromUtcSeconds(utcSeconds(wall));
const dayOfWeek = (wall: WallClock): number => new Date(utcSeconds(wall) * 1000).getUTCDay();

/** timelib's do_adjust_for_weekday. */
function adjustForWeekday(wall: WallClock, weekdayNumber: number, behavior: number, relativeDays: number): void {
  const today = dayOfWeek(wall);
  if (behavior === 2) {
    let target = weekdayNumber;
    if (today === 0 && target !== 0) target -= 7; // a Sunday belongs to the week before ("this week")
    if (target === 0 && today !== 0) target = 7; // "sunday this week" is the week's last day
    wall.d += target - today;
    return;
  }
  let difference = weekdayNumber - today;
  if ((relativeDays < 0 && difference < 0) || (relativeDays >= 0 && difference <= -behavior)) difference += 7;
  if (weekdayNumber >= 0) wall.d += difference;
  else wall.d -= 7 - (Math.abs(weekdayNumber) - today);
}

/** timelib's do_adjust_special_weekday: "N weekdays" skips Saturdays and Sundays. */
function addWeekdays(wall: WallClock, count: number): void {
  const today = dayOfWeek(wall);
  wall.d += Math.trunc(count / 5) * 7;
  const rest = count % 5;
  if (count > 0) {
    if (rest === 0) wall.d -= today === 0 ? 2 : today === 6 ? 1 : 0;
    else if (today === 6) wall.d += 1;
    else if (today + rest > 5) wall.d += 2;
  } else if (rest === 0) {
    wall.d += today === 6 ? 2 : today === 0 ? 1 : 0;
  } else if (today === 0) {
    wall.d -= 1;
  } else if (today + rest < 1) {
    wall.d -= 2;
  }
  wall.d += rest;
}

function resolve(p: Parsed, now: number, timeZone: string): number {
  const current = wallClockAt(timeZone, now);
  const dateOnly = p.haveDate && p.haveTime === 0;
  let wall: WallClock = {
    y: p.y ?? current.y,
    m: p.m ?? current.m,
    d: p.d ?? current.d,
    h: p.h ?? (dateOnly ? 0 : current.h),
    i: p.i ?? (dateOnly ? 0 : current.i),
    s: p.s ?? (dateOnly ? 0 : current.s),
  };
  const rel = { ...p.rel };
  // do_adjust_special_early
  if (p.special?.kind === 'nthWeekdayOfMonth') [wall.d, wall.m, rel.m] = [1, wall.m + rel.m, 0];
  if (p.special?.kind === 'lastWeekdayOfMonth') [wall.d, wall.m, rel.m] = [1, wall.m + rel.m + 1, 0];
  if (p.firstLastDayOf === 1) wall.d = 1;
  if (p.firstLastDayOf === -1) [wall.d, wall.m] = [0, wall.m + 1];
  wall = normalize(wall);
  // do_adjust_relative
  if (p.weekday !== undefined) {
    adjustForWeekday(wall, p.weekday, p.weekdayBehavior, rel.d);
    wall = normalize(wall);
  }
  for (const field of ['y', 'm', 'd', 'h', 'i', 's'] as const) wall[field] += rel[field];
  if (p.firstLastDayOf === 1) wall.d = 1;
  if (p.firstLastDayOf === -1) [wall.d, wall.m] = [0, wall.m + 1];
  wall = normalize(wall);
  // do_adjust_special
  if (p.special?.kind === 'weekdays') {
    addWeekdays(wall, p.special.amount);
    wall = normalize(wall);
  }
  const zone = p.zone ?? { id: timeZone };
  return 'offset' in zone ? utcSeconds(wall) - zone.offset : instantOf(wall, zone.id, p.zone !== undefined);
}

/**
 * Unix seconds for `phrase` relative to `now`, or false where PHP's strtotime returns false.
 * @param timeZone an IANA name (see canonicalTimeZone): PHP's date.timezone for this call.
 * @example phpStrtotime('last friday of next month', 1699827200, 'UTC') // 1703808000
 */
export function phpStrtotime(phrase: string, now: number, timeZone = 'UTC'): number | false {
  if (phrase === '') return false;
  const parsed = parse(phrase);
  return parsed === undefined ? false : resolve(parsed, now, timeZone);
}
