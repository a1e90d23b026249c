/**
 * The simulator CLI's flags, parsed into SimulatorOptions with errors that name the flag
 * and what would be valid. `--flag=value` and `--flag value` both work.
 */
import { isFaultKind, FAULT_KINDS, type FaultConfig, type FaultKind } from './faults.js';
import type { LiveOptions, SimulatorOptions } from './options.js';
import { WINDOWED_COLLECTIONS, type WindowedCollection } from './catalog.js';

export class CliArgsError extends Error {
  readonly code = 'SIMULATOR_CLI_ARGS';
  override name = 'CliArgsError';
}

export const USAGE = `Usage: npx tsx infra/local/simulator/main.ts [flags]

  --port=N               port on 127.0.0.1 (default 8787; 0 = any free port)
  --seed=N               data seed (default 1): same seed, same bytes
  --page-size=N          records per page (default 1000)
  --query-cap=N          most records per query over all pages (default 100000)
  --cursor-ttl=S         idle seconds before a query's cursor expires (default 600)
  --history-days=N       how far back records go (default 30)
  --counts=C:N,...       records per collection, e.g. contacts:2000,events:20000
  --record-bytes=N       pad records to about N bytes of JSON
  --latency=MS|MIN-MAX   delay before each answer
  --rate-limit=RPS[:BURST]  token bucket, 429 + Retry-After beyond it (burst default 2 x RPS)
  --clock-offset=S|MIN:MAX  the server's clock runs S seconds ahead (negative: behind) of this
                         machine's, or a seeded draw in [MIN, MAX]: stamps, 'now' phrases, cursor
                         lifetimes and the Date header all follow it (default 0)
  --bursts=C:N@S,...     N records of collection C created in one second, S seconds after the
                         start (negative: in the history; positive: needs --live), e.g.
                         events:100001@-3600 (more than the query cap: a second no query reads whole)
  --live                 create and update records as time passes
  --live-interval=MS     how often live mode generates (default 1000)
  --late-writes=F:S|F:MIN-MAX  live mode: a seeded fraction F of versions is visible to queries only
                         S seconds (or a seeded MIN-MAX) after its stamp; under the version gap (180)
  --deletions=C:N,...    live mode: N records of collection C deleted per minute (contacts take
                         their transcripts along), e.g. events:2,contacts:0.5
  --transcript-changes=N live mode: N transcripts per minute added to, or changed on, a contact
                         that itself does not change
  --faults=SPEC          e.g. 500:0.05,hang:0.01,429@3 (kind:probability or kind@request-number)
                         kinds: ${FAULT_KINDS.join(', ')}
  --fault-seed=N  --retry-after=S  --hang-ms=MS  --faults-only-for=first|next|all
  --appkey=K --token=T   credentials to accept (default sim-appkey / sim-token)
  --help`;

const VALUE_FLAGS = [
  'port', 'seed', 'page-size', 'query-cap', 'cursor-ttl', 'history-days', 'counts', 'record-bytes', 'latency',
  'rate-limit', 'clock-offset', 'bursts', 'live-interval', 'late-writes', 'deletions', 'transcript-changes', 'faults', 'fault-seed', 'retry-after', 'hang-ms', 'faults-only-for', 'appkey', 'token',
];
const BOOLEAN_FLAGS = ['live', 'help'];

function fail(message: string): never {
  throw new CliArgsError(message);
}

function integerFlag(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < min) fail(`--${name} must be an integer >= ${min}, got '${raw}'`);
  return value;
}

function numberFlag(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min) fail(`--${name} must be a number >= ${min}, got '${raw}'`);
  return value;
}

/** Splits argv into flag -> value ('' for booleans). */
function tokenize(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (match === null) fail(`unexpected argument '${arg}'; flags look like --name=value (see --help)`);
    const name = match[1] as string;
    let value = match[2];
    if (BOOLEAN_FLAGS.includes(name)) {
      if (value !== undefined) fail(`--${name} takes no value, got '--${name}=${value}'`);
      value = '';
    } else if (VALUE_FLAGS.includes(name)) {
      if (value === undefined) {
        value = argv[++i];
        if (value === undefined || value.startsWith('--')) fail(`--${name} needs a value (--${name}=...)`);
      }
    } else {
      fail(`unknown flag --${name}; valid: ${[...VALUE_FLAGS, ...BOOLEAN_FLAGS].map((f) => `--${f}`).join(', ')}`);
    }
    if (flags.has(name)) fail(`--${name} is given twice`);
    flags.set(name, value);
  }
  return flags;
}

function parseCounts(raw: string): Partial<Record<WindowedCollection, number>> {
  const counts: Partial<Record<WindowedCollection, number>> = {};
  for (const part of raw.split(',')) {
    const [name = '', value = ''] = part.split(':');
    if (!(WINDOWED_COLLECTIONS as readonly string[]).includes(name)) fail(`--counts: '${name}' is not a collection; valid: ${WINDOWED_COLLECTIONS.join(', ')}`);
    counts[name as WindowedCollection] = integerFlag(`counts ${name}`, value, 0);
  }
  return counts;
}

function parseFaults(raw: string, flags: Map<string, string>): FaultConfig {
  const config: FaultConfig = { rate: {}, schedule: [] };
  for (const part of raw.split(',')) {
    const match = /^([a-z0-9]+)(?::([0-9.]+)|@(\d+))$/.exec(part.trim());
    if (match === null || !isFaultKind(match[1] as string)) {
      fail(`--faults: '${part}' is not kind:probability or kind@request; kinds: ${FAULT_KINDS.join(', ')}`);
    }
    const kind = match[1] as FaultKind;
    if (match[2] !== undefined) config.rate![kind] = numberFlag(`faults ${kind}`, match[2], 0);
    else config.schedule!.push({ request: integerFlag(`faults ${kind}@`, match[3] as string, 1), kind });
  }
  const seed = flags.get('fault-seed');
  const retryAfter = flags.get('retry-after');
  const hangMs = flags.get('hang-ms');
  const onlyFor = flags.get('faults-only-for');
  if (seed !== undefined) config.seed = integerFlag('fault-seed', seed, 0);
  if (retryAfter !== undefined) config.retryAfterSeconds = integerFlag('retry-after', retryAfter, 0);
  if (hangMs !== undefined) config.hangMs = integerFlag('hang-ms', hangMs, 0);
  if (onlyFor !== undefined) {
    if (onlyFor !== 'first' && onlyFor !== 'next' && onlyFor !== 'all') fail(`--faults-only-for must be first, next or all, got '${onlyFor}'`);
    config.onlyFor = onlyFor;
  }
  return config;
}

function parseLatency(raw: string): SimulatorOptions['latencyMs'] {
  const range = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(raw);
  if (range === null) return numberFlag('latency', raw, 0);
  return { min: Number(range[1]), max: Number(range[2]) };
}

function signedSeconds(name: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) fail(`--${name} must be a number of seconds (negative: behind) or MIN:MAX, got '${raw}'`);
  return value;
}

function parseClockOffset(raw: string): SimulatorOptions['clockOffsetSeconds'] {
  const parts = raw.split(':');
  if (parts.length === 1) return signedSeconds('clock-offset', raw);
  if (parts.length !== 2) fail(`--clock-offset must be SECONDS or MIN:MAX, got '${raw}'`);
  const [min, max] = parts.map((part) => signedSeconds('clock-offset', part)) as [number, number];
  if (max < min) fail(`--clock-offset MIN:MAX needs MIN <= MAX, got '${raw}'`);
  return { min, max };
}

function parseBursts(raw: string): NonNullable<SimulatorOptions['bursts']> {
  return raw.split(',').map((part) => {
    const match = /^([a-z_]+):(\d+)@(-?\d+)$/.exec(part.trim());
    if (match === null) fail(`--bursts: '${part}' is not COLLECTION:RECORDS@SECONDS, e.g. events:100001@-3600`);
    const [, name, records, at] = match as unknown as [string, string, string, string];
    if (!(WINDOWED_COLLECTIONS as readonly string[]).includes(name)) fail(`--bursts: '${name}' is not a collection; valid: ${WINDOWED_COLLECTIONS.join(', ')}`);
    return { collection: name as WindowedCollection, records: integerFlag('bursts records', records, 1), atSeconds: Number(at) };
  });
}

function parseLateWrites(raw: string): NonNullable<LiveOptions['lateWrites']> {
  const match = /^([0-9.]+):(\d+)(?:-(\d+))?$/.exec(raw.trim());
  if (match === null) fail(`--late-writes must be FRACTION:SECONDS or FRACTION:MIN-MAX, e.g. 0.05:90-150, got '${raw}'`);
  const [, fraction, min, max] = match as unknown as [string, string, string, string | undefined];
  const delaySeconds = max === undefined ? Number(min) : { min: Number(min), max: Number(max) };
  return { fraction: numberFlag('late-writes fraction', fraction, 0), delaySeconds };
}

function parseDeletions(raw: string): NonNullable<LiveOptions['deletionsPerMinute']> {
  const rates: NonNullable<LiveOptions['deletionsPerMinute']> = {};
  for (const part of raw.split(',')) {
    const [name = '', value = ''] = part.split(':');
    if (!(WINDOWED_COLLECTIONS as readonly string[]).includes(name)) fail(`--deletions: '${name}' is not a collection; valid: ${WINDOWED_COLLECTIONS.join(', ')}`);
    rates[name as WindowedCollection] = numberFlag(`deletions ${name}`, value, 0);
  }
  return rates;
}

function parseRateLimit(raw: string): SimulatorOptions['rateLimit'] {
  const [rps = '', burst] = raw.split(':');
  const requestsPerSecond = numberFlag('rate-limit', rps, Number.MIN_VALUE);
  return { requestsPerSecond, burst: burst === undefined ? Math.max(1, 2 * requestsPerSecond) : numberFlag('rate-limit burst', burst, 1) };
}

/** `help` when --help was given; otherwise the options (port defaults to 8787). */
export function parseCliArgs(argv: readonly string[]): { help: true } | { help: false; options: SimulatorOptions } {
  const flags = tokenize(argv);
  if (flags.has('help')) return { help: true };
  const options: SimulatorOptions = { port: 8787 };
  const get = (name: string): string | undefined => flags.get(name);
  const port = get('port');
  if (port !== undefined) options.port = integerFlag('port', port, 0);
  if (options.port! > 65_535) fail(`--port must be at most 65535, got '${port}'`);
  const integers: Array<[string, (value: number) => void, number]> = [
    ['seed', (v) => (options.seed = v), 0],
    ['page-size', (v) => (options.pageSize = v), 1],
    ['query-cap', (v) => (options.queryCap = v), 1],
    ['cursor-ttl', (v) => (options.cursorTtlSeconds = v), 1],
    ['record-bytes', (v) => (options.recordBytes = v), 64],
  ];
  for (const [name, set, min] of integers) {
    const raw = get(name);
    if (raw !== undefined) set(integerFlag(name, raw, min));
  }
  const days = get('history-days');
  const counts = get('counts');
  if (days !== undefined || counts !== undefined) {
    options.history = {
      ...(days === undefined ? {} : { days: numberFlag('history-days', days, 0) }),
      ...(counts === undefined ? {} : { counts: parseCounts(counts) }),
    };
  }
  const latency = get('latency');
  if (latency !== undefined) options.latencyMs = parseLatency(latency);
  const rateLimit = get('rate-limit');
  if (rateLimit !== undefined) options.rateLimit = parseRateLimit(rateLimit);
  const clockOffset = get('clock-offset');
  if (clockOffset !== undefined) options.clockOffsetSeconds = parseClockOffset(clockOffset);
  const bursts = get('bursts');
  if (bursts !== undefined) options.bursts = parseBursts(bursts);
  const liveInterval = get('live-interval');
  const liveModes = ['live-interval', 'late-writes', 'deletions', 'transcript-changes'];
  if (flags.has('live')) {
    const live: LiveOptions = {};
    if (liveInterval !== undefined) live.intervalMs = integerFlag('live-interval', liveInterval, 0);
    const late = get('late-writes');
    if (late !== undefined) live.lateWrites = parseLateWrites(late);
    const deletions = get('deletions');
    if (deletions !== undefined) live.deletionsPerMinute = parseDeletions(deletions);
    const changes = get('transcript-changes');
    if (changes !== undefined) live.transcriptChangesPerMinute = numberFlag('transcript-changes', changes, 0);
    options.live = live;
  } else {
    const given = liveModes.filter((flag) => flags.has(flag));
    if (given.length > 0) fail(`${given.map((flag) => `--${flag}`).join(', ')} ${given.length > 1 ? 'need' : 'needs'} --live`);
  }
  const faults = get('faults');
  if (faults !== undefined) options.faults = parseFaults(faults, flags);
  else if (['fault-seed', 'retry-after', 'hang-ms', 'faults-only-for'].some((f) => flags.has(f))) fail('--fault-seed, --retry-after, --hang-ms and --faults-only-for need --faults');
  const appkey = get('appkey');
  const token = get('token');
  if ((appkey === undefined) !== (token === undefined)) fail('--appkey and --token go together');
  if (appkey !== undefined && token !== undefined) options.credentials = { appkey, token };
  return { help: false, options };
}
