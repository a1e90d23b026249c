/**
 * The CLI's flags: one table that the parser, the npm fallback, the usage text and the
 * "valid flags" list in error messages all read, so they cannot disagree.
 */
export interface FlagSpec {
  type: 'string' | 'boolean';
  /** Placeholder shown in usage, e.g. `<name>`. */
  value?: string;
  /** An example value, quoted in "needs a value" errors. */
  example?: string;
  help: string;
  short?: string;
}

export const FLAGS = {
  collection: { type: 'string', value: '<name>', example: 'events', help: 'the collection to stream (required)' },
  start_time: {
    type: 'string',
    value: '<time>',
    example: "'-15 minutes'",
    help: "records created or updated >= this: unix seconds, ISO 8601 or a strtotime phrase such as '-15 minutes' (required unless --state has a bookmark)",
  },
  end_time: { type: 'string', value: '<time>', example: 'now', help: "records created or updated < this (default: now); same forms as --start_time" },
  timezone: {
    type: 'string',
    value: '<Area/City>',
    example: 'America/New_York',
    help: "IANA zone that --start_time/--end_time phrases and zone-less dates mean, as PHP's date.timezone (default UTC)",
  },
  fields: {
    type: 'string',
    value: '<paths>',
    example: "'con_id,d.points'",
    help: "print only these comma-separated lodash paths, e.g. 'con_id,d.points,contact.d.first_name'",
  },
  watch: { type: 'boolean', help: 'keep polling for new records every --interval ms (stop with Ctrl-C)' },
  interval: { type: 'string', value: '<ms>', example: '60000', help: 'milliseconds between polls (default 60000; implies --watch)' },
  pretty: { type: 'boolean', help: 'indent each record (4 spaces) instead of one line per record' },
  debug: { type: 'boolean', help: 'print request parameters and timings to stderr (never credentials)' },
  format: { type: 'string', value: 'ndjson|singer', example: 'singer', help: 'output format (default ndjson); singer prints SCHEMA, RECORD and STATE messages' },
  config: { type: 'string', value: '<file>', example: 'config.json', help: 'Singer config JSON: domain, appkey, token, base_url, collection, start_time, end_time (flags win)' },
  state: { type: 'string', value: '<file>', example: 'state.json', help: "Singer state: resume at the collection's bookmark (a state value or the tap's output)" },
  catalog: { type: 'string', value: '<file>', example: 'catalog.json', help: 'Singer catalog: the selected stream is the collection when --collection is absent' },
  discover: { type: 'boolean', help: 'print the Singer catalog of all collections and exit' },
  help: { type: 'boolean', short: 'h', help: 'print this help and exit' },
} as const satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof FLAGS;

/** Other spellings of a flag; npm turns their dashes into underscores in npm_config_* too. */
export const ALIASES: Readonly<Record<string, FlagName>> = {
  'start-time': 'start_time',
  'end-time': 'end_time',
};

export const FLAG_NAMES = Object.keys(FLAGS) as FlagName[];

export function isFlagName(name: string): name is FlagName {
  return Object.hasOwn(FLAGS, name);
}

/** `--collection, --start_time, ...` for error messages. */
export function validFlagList(): string {
  return FLAG_NAMES.map((name) => `--${name}`).join(', ');
}
