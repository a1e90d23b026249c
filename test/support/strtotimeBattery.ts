/**
 * The phrases users type, and the reference times they are typed at, that phpStrtotime is held
 * to PHP 8.2 over. `npm run record:strtotime` asks PHP for every pair and rewrites
 * test/fixtures/php-strtotime.json, the oracle where `php` is not installed.
 */

/** An instant and the zone (PHP's date.timezone) a phrase is evaluated in. */
export interface Reference {
  label: string;
  now: number;
  timeZone: string;
}

const at = (iso: string) => Date.parse(iso) / 1000;

/** Every weekday once (Sunday twice), a month end, a year end, and both DST changes in named zones. */
export const REFERENCES: Reference[] = [
  { label: 'Sun 2023-11-12 22:13:20 UTC', now: at('2023-11-12T22:13:20Z'), timeZone: 'UTC' },
  { label: 'Mon 2023-11-13 08:00:00 UTC', now: at('2023-11-13T08:00:00Z'), timeZone: 'UTC' },
  { label: 'Tue 2023-11-14 22:13:20 UTC', now: at('2023-11-14T22:13:20Z'), timeZone: 'UTC' },
  { label: 'Wed 2024-01-31 12:00:00 UTC (month end)', now: at('2024-01-31T12:00:00Z'), timeZone: 'UTC' },
  { label: 'Thu 2023-05-04 19:27:59 UTC', now: at('2023-05-04T19:27:59Z'), timeZone: 'UTC' },
  { label: 'Fri 2023-12-29 15:45:00 Asia/Tokyo (year end)', now: at('2023-12-29T06:45:00Z'), timeZone: 'Asia/Tokyo' },
  { label: 'Sat 2024-03-09 23:30:00 America/New_York (DST starts at 02:00)', now: at('2024-03-10T04:30:00Z'), timeZone: 'America/New_York' },
  { label: 'Sun 2023-10-29 01:30:00 Europe/Berlin (DST ends at 03:00)', now: at('2023-10-28T23:30:00Z'), timeZone: 'Europe/Berlin' },
];

const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

export const PHRASES: string[] = [
  // now and the day words
  'now', 'today', 'midnight', 'noon', 'tomorrow', 'yesterday', 'today noon', 'tomorrow noon', 'noon tomorrow',
  'yesterday noon', 'midnight tomorrow', 'yesterday 14:00', 'tomorrow 09:30', 'today 23:59:59', 'yesterday midnight',
  // relative units
  '-15 minutes', '+15 minutes', '-1 minute', '-90 seconds', '30 sec', '-5 mins', '-1 hour', '+3 hours', '-12 hours',
  '+24 hours', '-1 day', '+1 day', '-7 days', '1 week', '-1 week', '-2 weeks', '+1 fortnight', '-1 month', '+1 month',
  '-3 months', '+1 year', '-1 year', '1 hour ago', '15 minutes ago', '2 days ago', '1 week ago', '1 month ago',
  '1 year ago', '-2 days ago', '+1 week 2 days', '-1 week 2 days', '+1 day +2 hours', '-1 day -1 hour',
  '3 days ago 10:00', '+-2 days',
  // weekdays as a unit
  '-3 weekdays', '+1 weekday', '+5 weekdays', '-5 weekdays', '-10 weekdays', '+7 weekdays', '-1 weekday',
  'next weekday', 'last weekday', '2 weekdays ago',
  // day names, alone and with this/next/last
  ...DAYS, 'sun', 'mon', 'fri', 'mondays',
  ...DAYS.flatMap((day) => [`next ${day}`, `last ${day}`, `this ${day}`]),
  'previous friday', 'next mon', 'last sat', '+1 monday', '+2 mondays', '-1 friday', 'monday ago', 'last monday ago',
  'next monday 10am', 'last friday 17:00', 'monday 09:00', 'sunday noon',
  // weeks
  'this week', 'next week', 'last week', 'previous week',
  ...DAYS.flatMap((day) => [`${day} this week`, `${day} next week`, `${day} last week`]),
  'this week monday', 'this week sunday', 'weekday this week',
  // months and years as reltext
  'this month', 'next month', 'last month', 'previous month', 'this year', 'next year', 'last year', 'next hour',
  'last day', 'first day', 'eighth day', 'twelfth month',
  // first/last day of
  'first day of this month', 'last day of this month', 'first day of next month', 'last day of next month',
  'first day of last month', 'last day of previous month', 'first day of january 2024', 'last day of february 2024',
  'first day of this month midnight', 'last day of next month 23:59:59', 'first day of', 'last day of',
  // <ordinal> <day> of
  'first monday of january 2023', 'last friday of next month', 'first monday of next month', 'second tuesday of this month',
  'third wednesday of this month', 'fourth thursday of november 2023', 'last sunday of this month', 'last day of this month noon',
  'first friday of last month', 'fifth friday of next month', 'third friday of january', 'last sat of this month',
  'first monday of', 'next monday of next month',
  // clock times
  '10:00', '10:00:00', '23:59:59', '0:00', '24:00', '10am', '10 am', '10pm', '10:30pm', '10:30 p.m.', '12am', '12pm',
  '10.30pm', 't10:00', '2023', '10:00 2023',
  // dates
  '2023-05-04', '2023-05-04 10:00', '2023-05-04 10:00:00', '2023-05-04T10:00:00', '2023-05-04 10:00:00.5', '2023-5-4',
  '2023/05/04', '05/04/2023', '5/4', '04.05.2023', '4-5-2023', '04.05.23', '4 May 2023', '4 may', 'May 4, 2023', 'May 4 2023',
  'May 4', 'may 4 10:00', 'dec 31 23:59', 'May 4 2023 10:00', 'May 2023', '2023 May', '1 jan', 'jan 1', 'January', 'may',
  'sept', 'February 29 2024', 'feb 30 2023', 'December 31', 'dec 31 11pm', '2023-05', '2099', '4th may 2023',
  // zones: identifiers, abbreviations, offsets
  '2023-05-04 10:00:00 America/New_York', '2023-05-04 10:00:00 Europe/Paris', '2024-03-10 02:30 America/New_York',
  '2024-11-03 01:30 America/New_York', '2023-10-29 02:30 Europe/Berlin', 'tomorrow America/New_York', 'America/New_York',
  'today Asia/Kolkata', 'Europe/Paris yesterday', 'noon Australia/Sydney', 'America/Argentina/Buenos_Aires', 'Etc/UTC',
  'UTC', 'GMT', 'Z', 'tomorrow UTC', 'noon UTC', '2023-05-04 10:00 UTC', '2023-05-04 10:00Z', '2023-05-04 10:00 utc',
  '2023-05-04 10:00 EST', '2023-05-04 10:00 EDT', '10:00 PST', '10:00 CET', 'CET 10:00', '10:00 (EST)', '2023-05-04 10:00 BST',
  '2023-05-04T10:00:00+02:00', '2023-05-04 10:00 +02', '2023-05-04 10:00 -0530', '2023-05-04 10:00 +05:30', '10:00 GMT-3',
  '10:00 GMT+2', '2023-05-04 10:00 UTC+2', 'Europe/Paris Europe/Berlin',
  // DST: hours and days across the change
  '2024-03-10 00:30 +3 hours', '2024-11-03 00:30 +1 hour', '2024-11-03 00:30 +2 hours', 'tomorrow 02:30', 'tomorrow 03:00',
  '+180 minutes',
  // @unix
  '@1683228479', '@0', '@1683228479 +1 day', '@1700000000 UTC',
  // what PHP rejects
  'next blursday', 'soon', 'week', 'first week', 'tues', 'ut', 'america/new_york', 'Europe/Pariss', 'US/Eastern',
  'UTC UTC UTC', '2023-13-01', 'yesterdays', 'in 2 days', '2 days later', 'tomorrow at noon', 'last', 'next', '10:00 10:00',
  '2023-05-04 2023-05-06', '+', '@', '1 lightyear', 'monday 25:00', '',
];
