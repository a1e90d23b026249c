/**
 * Every way to call the CLI wrong and the exact line it answers with (exit 2). The unit test
 * runs each one; docs/cli.md's table is generated from this list (cli-docs.test.ts checks it).
 */
export interface UsageCase {
  /** What the case shows, for the test name and the doc table. */
  title: string;
  argv: string[];
  /** Extra environment (npm_config_*, CONVEYOUR_*); credentials are set unless `noCredentials`. */
  env?: Record<string, string>;
  noCredentials?: boolean;
  /** Files the flags name, by path. */
  files?: Record<string, string>;
  /** Anything else the doc table should say about the setup. */
  note?: string;
  /** The stderr line after `conveyour-stream: `. */
  message: string;
}

const COLLECTIONS = 'campaigns, contacts, events, lessons, message_reports, tags, triggers, trigger_logs, lesson_transcripts';
const FLAGS =
  '--collection, --start_time, --end_time, --timezone, --fields, --watch, --interval, --pretty, --debug, --format, --config, --state, --catalog, --discover, --help';
const FORMS =
  "use unix seconds (1683228479), ISO 8601 (2023-05-04, 2023-05-04T19:27:59Z, 2023-05-04T21:27:59+02:00) or a strtotime phrase ('-15 minutes', '-1 day', 'yesterday', 'last monday', 'now', '@1683228479', " +
  "'first monday of next month', '2023-05-04 10:00 America/New_York')";
const EVENTS = ['--collection=events', '--start_time=-1 hour'];

/** The fixed now of these cases: 2023-11-14T22:13:20Z. */
export const CASES_NOW_MS = 1_700_000_000_000;

export const USAGE_CASES: UsageCase[] = [
  { title: 'no flags', argv: [], message: `missing --collection; one of ${COLLECTIONS}` },
  {
    title: 'no start time',
    argv: ['--collection=events'],
    message: "missing --start_time, e.g. --start_time='-15 minutes', --start_time=1683228479 or --start_time=2023-05-04",
  },
  {
    title: 'unknown collection',
    argv: ['--collection=event', '--start_time=0'],
    message: `--collection 'event' is not a ConveYour collection; valid: ${COLLECTIONS}`,
  },
  { title: 'unknown flag', argv: [...EVENTS, '--colection=events'], message: `unknown flag --colection; valid flags: ${FLAGS}` },
  { title: 'unknown short flag', argv: [...EVENTS, '-w'], message: `unknown flag -w; valid flags: ${FLAGS}` },
  {
    title: 'a value on a switch',
    argv: [...EVENTS, '--watch=true'],
    message: '--watch takes no value; write --watch alone (got --watch=true)',
  },
  { title: 'a flag without its value', argv: ['--collection'], message: '--collection needs a value, e.g. --collection=events' },
  {
    title: 'a flag swallowed as a value',
    argv: ['--collection=events', '--start_time', '--watch'],
    message: "--start_time needs a value, e.g. --start_time='-15 minutes'",
  },
  {
    title: 'a stray argument',
    argv: [...EVENTS, 'watch'],
    message: `unexpected argument 'watch': flags are written --name=value; valid flags: ${FLAGS}`,
  },
  {
    title: 'a flag npm run kept for itself (`npm run stream --format=singer`)',
    argv: ['singer'],
    env: { npm_lifecycle_event: 'stream', npm_config_collection: 'events', npm_config_start_time: '0' },
    message:
      "unexpected argument 'singer': npm run keeps some flags for itself (such as --format); put -- before the flags: npm run stream -- --collection=events ...",
  },
  {
    title: 'a bare value flag under npm run (`npm run stream --collection`)',
    argv: [],
    env: { npm_lifecycle_event: 'stream', npm_config_collection: 'true' },
    message: '--collection needs a value, e.g. --collection=events',
  },
  {
    title: 'a flag given twice with different values',
    argv: ['--collection=events', '--start_time=0', '--start-time=1'],
    message: "--start_time is given twice ('0' as --start_time, '1' as --start-time); give it once",
  },
  {
    title: 'an unknown time zone',
    argv: ['--collection=events', '--start_time=yesterday', '--timezone=America/Springfield'],
    message: `--timezone 'America/Springfield' is not an IANA time zone; use a name such as UTC, Europe/Paris or America/New_York (any that Intl.supportedValuesOf('timeZone') lists)`,
  },
  { title: 'a time that is not a time', argv: ['--collection=events', '--start_time=last blursday'], message: `--start_time 'last blursday' is not a time; ${FORMS}` },
  {
    title: 'milliseconds instead of seconds',
    argv: ['--collection=events', '--start_time=1683228479000'],
    message: "--start_time '1683228479000' looks like milliseconds; the API takes unix seconds: use 1683228479",
  },
  {
    title: 'a signed number',
    argv: ['--collection=events', '--start_time=-900'],
    message: "--start_time '-900' is a signed number; write a phrase such as '-900 seconds', or unix seconds without a sign",
  },
  {
    title: 'a date that does not exist',
    argv: ['--collection=events', '--start_time=2023-02-30'],
    message: "--start_time '2023-02-30' is not a valid calendar date and time; " + FORMS,
  },
  { title: 'an unparseable end', argv: [...EVENTS, '--end_time=later'], message: `--end_time 'later' is not a time; ${FORMS}` },
  {
    title: 'an end before the start',
    argv: ['--collection=events', '--start_time=-1 hour', '--end_time=yesterday'],
    message:
      "--end_time 'yesterday' (2023-11-13T00:00:00Z = 1699833600) must be after --start_time '-1 hour' (2023-11-14T21:13:20Z = 1699996400): the window would be empty",
  },
  {
    title: 'an interval that is not a number',
    argv: [...EVENTS, '--watch', '--interval=1m'],
    message: "--interval must be a whole number of milliseconds >= 100, got '1m'",
  },
  { title: 'an interval too short', argv: [...EVENTS, '--interval=10'], message: "--interval must be a whole number of milliseconds >= 100, got '10'" },
  {
    title: '--watch with --end_time',
    argv: [...EVENTS, '--watch', '--end_time=now'],
    message: '--watch tails up to now and cannot take --end_time (a fixed end would never see new records); drop one of them',
  },
  {
    title: '--interval (implies --watch) with --end_time',
    argv: [...EVENTS, '--interval=5000', '--end_time=now'],
    message: '--watch tails up to now and cannot take --end_time (a fixed end would never see new records); drop one of them',
  },
  { title: 'an unknown format', argv: [...EVENTS, '--format=csv'], message: "--format must be ndjson or singer, got 'csv'" },
  {
    title: '--pretty with Singer output',
    argv: [...EVENTS, '--format=singer', '--pretty'],
    message: '--pretty cannot be used with --format=singer: Singer messages are one JSON object per line',
  },
  {
    title: 'Singer output without the key property',
    argv: [...EVENTS, '--format=singer', '--fields=con_id,event'],
    message: "--fields must include _id with --format=singer (the stream's key property), got 'con_id,event'",
  },
  { title: 'a config file that is missing', argv: ['--config=config.json'], note: 'config.json does not exist', message: "--config 'config.json' cannot be read (ENOENT)" },
  {
    title: 'a config file that is not JSON',
    argv: ['--config=config.json'],
    files: { 'config.json': 'domain=x' },
    message: "--config 'config.json' is not valid JSON (Unexpected token 'd', \"domain=x\" is not valid JSON)",
  },
  { title: 'a config file that is not an object', argv: ['--config=config.json'], files: { 'config.json': '[]' }, message: "--config 'config.json' must hold a JSON object" },
  {
    title: 'a config value of the wrong type',
    argv: ['--config=config.json'],
    files: { 'config.json': '{"collection": 3}' },
    message: '--config \'config.json\': "collection" must be a string, got 3',
  },
  {
    title: 'a state file without a state',
    argv: ['--collection=events', '--state=state.json'],
    files: { 'state.json': '{"type":"RECORD","stream":"events","record":{}}' },
    message: `--state 'state.json' holds no Singer state; expected {"bookmarks":{...}} or a tap's output with STATE messages`,
  },
  {
    title: 'a bookmark that is not unix seconds',
    argv: ['--collection=events', '--state=state.json'],
    files: { 'state.json': '{"bookmarks":{"events":{"start_time":"yesterday"}}}' },
    message: '--state \'state.json\': bookmarks.events.start_time must be unix seconds, got "yesterday"',
  },
  {
    title: 'a catalog that selects two streams',
    argv: ['--catalog=catalog.json', '--start_time=0'],
    files: {
      'catalog.json': JSON.stringify({
        streams: ['events', 'tags'].map((stream) => ({ tap_stream_id: stream, stream, metadata: [{ breadcrumb: [], metadata: { selected: true } }] })),
      }),
    },
    message: "--catalog 'catalog.json' selects 2 streams (events, tags); this tap streams one collection per run: select one, or pass --collection",
  },
  {
    title: 'missing credentials',
    argv: EVENTS,
    noCredentials: true,
    message:
      'CONVEYOUR_DOMAIN (or CONVEYOUR_BASE_URL), CONVEYOUR_APPKEY, CONVEYOUR_TOKEN are required: set them in .env or the environment (see .env.example)',
  },
  {
    title: 'a bad client knob',
    argv: EVENTS,
    env: { CONVEYOUR_RETRY_BASE_MS: 'fast' },
    message: "CONVEYOUR_RETRY_BASE_MS must be an integer, got 'fast'",
  },
];
