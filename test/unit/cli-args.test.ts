import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../functions/cli/args.js';
import { buildCommand, type CliCommand, type OptionsContext } from '../../functions/cli/options.js';
import { EXIT_FAILURE, EXIT_USAGE, outcomeOf } from '../../functions/cli/errors.js';
import { AuthError, NetworkError } from '../../functions/conveyour/errors.js';
import { ConfigError } from '../../functions/config/env.js';

const NOW = 1_700_000_000;

function context(files: Record<string, string> = {}, env: Record<string, string> = {}): OptionsContext {
  const readFile = (path: string): string => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };
  return { env, now: NOW, readFile };
}

function streamCommand(argv: string[], files: Record<string, string> = {}, env: Record<string, string> = {}) {
  const command: CliCommand = buildCommand(parseCommandLine(argv, env), context(files, env));
  if (command.kind !== 'stream') throw new Error(`expected a stream command, got ${command.kind}`);
  return command;
}

describe('parseCommandLine: argv', () => {
  it('reads every value flag in --flag=value form', () => {
    const raw = parseCommandLine(
      ['--collection=events', '--start_time=-1 minutes', '--end_time=now', '--fields=con_id,d.points', '--interval=500', '--format=singer', '--config=c.json', '--state=s.json', '--catalog=k.json'],
      {},
    );
    expect(raw).toEqual({
      collection: 'events', start_time: '-1 minutes', end_time: 'now', fields: 'con_id,d.points', interval: '500',
      format: 'singer', config: 'c.json', state: 's.json', catalog: 'k.json',
    });
  });

  it('reads every switch', () => {
    expect(parseCommandLine(['--watch', '--pretty', '--debug', '--discover', '--help'], {})).toEqual({
      watch: true, pretty: true, debug: true, discover: true, help: true,
    });
  });

  it('reads --flag value form, including a value that starts with a dash', () => {
    expect(parseCommandLine(['--collection', 'events', '--start_time', '-15 minutes'], {})).toEqual({
      collection: 'events', start_time: '-15 minutes',
    });
  });

  it('accepts --start-time and --end-time as aliases', () => {
    expect(parseCommandLine(['--start-time=0', '--end-time', '10'], {})).toEqual({ start_time: '0', end_time: '10' });
  });

  it('accepts -h for --help', () => {
    expect(parseCommandLine(['-h'], {})).toEqual({ help: true });
  });

  it('accepts the same value given twice', () => {
    expect(parseCommandLine(['--start_time=0', '--start-time=0'], {})).toEqual({ start_time: '0' });
  });
});

describe('parseCommandLine: npm_config_* fallback (`npm run stream --collection=events`)', () => {
  // What npm 11 sets for `npm run stream --collection=events --start_time='-1 minutes' --watch --pretty --debug --fields=a,b --interval=500`.
  const npmEnv = {
    npm_lifecycle_event: 'stream',
    npm_config_collection: 'events',
    npm_config_start_time: '-1 minutes',
    npm_config_fields: 'con_id,d.points',
    npm_config_watch: 'true',
    npm_config_interval: '500',
    npm_config_pretty: 'true',
    npm_config_debug: 'true',
    npm_config_cache: '/root/.npm',
  };

  it('reads the flags npm passed as environment variables', () => {
    expect(parseCommandLine([], npmEnv)).toEqual({
      collection: 'events', start_time: '-1 minutes', fields: 'con_id,d.points', watch: true, interval: '500', pretty: true, debug: true,
    });
  });

  it('lets argv win over npm_config_*', () => {
    expect(parseCommandLine(['--collection=tags'], npmEnv).collection).toBe('tags');
  });

  it("reads a switch npm set to '' (what `--watch=false` becomes) or 'false' as off", () => {
    expect(parseCommandLine([], { npm_config_watch: '', npm_config_pretty: 'false' })).toEqual({});
  });

  it('ignores npm_config_help, which is npm asking for its own help', () => {
    expect(parseCommandLine([], { npm_config_help: 'true' })).toEqual({});
  });
});

describe('buildCommand', () => {
  it('defaults to ndjson, whole records, no watch, end now', () => {
    const command = streamCommand(['--collection=events', '--start_time=-1 hour']);
    expect(command.plan).toEqual({ collection: 'events', window: { start: NOW - 3600, end: NOW }, watch: false, intervalMs: 60_000 });
    expect(command.output).toEqual({ format: 'ndjson', pretty: false, fields: [] });
    expect(command.debug).toBe(false);
  });

  it('takes --interval alone as --watch, like the original', () => {
    expect(streamCommand(['--collection=events', '--start_time=0', '--interval=250']).plan).toMatchObject({ watch: true, intervalMs: 250 });
  });

  it('lets a watch start now, with an empty first window', () => {
    expect(streamCommand(['--collection=events', '--start_time=now', '--watch']).plan.window).toEqual({ start: NOW, end: NOW });
  });

  it('splits --fields and drops blank entries', () => {
    expect(streamCommand(['--collection=events', '--start_time=0', '--fields= con_id, ,d.points,']).output.fields).toEqual(['con_id', 'd.points']);
  });

  it('reads collection, start and credentials from --config, flags winning', () => {
    const files = { 'c.json': JSON.stringify({ collection: 'tags', start_time: 100, base_url: 'http://127.0.0.1:1', appkey: 'k', token: 't' }) };
    const command = streamCommand(['--config=c.json', '--collection=events'], files, { CONVEYOUR_DOMAIN: 'env.example.com', CONVEYOUR_APPKEY: 'env' });
    expect(command.plan.collection).toBe('events');
    expect(command.plan.window).toEqual({ start: 100, end: NOW });
    expect(command.connectionEnv).toMatchObject({ CONVEYOUR_BASE_URL: 'http://127.0.0.1:1', CONVEYOUR_DOMAIN: undefined, CONVEYOUR_APPKEY: 'k', CONVEYOUR_TOKEN: 't' });
  });

  it('resumes at the state bookmark, which wins over --start_time', () => {
    const files = { 's.json': JSON.stringify({ bookmarks: { events: { start_time: NOW - 60 }, tags: { start_time: 5 } } }) };
    const command = streamCommand(['--collection=events', '--start_time=0', '--state=s.json'], files);
    expect(command.plan.window).toEqual({ start: NOW - 60, end: NOW });
    expect(command.priorState).toEqual({ bookmarks: { events: { start_time: NOW - 60 }, tags: { start_time: 5 } } });
  });

  it('falls back to --start_time when the state has no bookmark for the collection', () => {
    const files = { 's.json': JSON.stringify({ bookmarks: { tags: { start_time: 5 } } }) };
    expect(streamCommand(['--collection=events', '--start_time=7', '--state=s.json'], files).plan.window.start).toBe(7);
  });

  it('makes a bookmark at or past now an empty window rather than an error', () => {
    const files = { 's.json': JSON.stringify({ bookmarks: { events: { start_time: NOW + 5 } } }) };
    expect(streamCommand(['--collection=events', '--state=s.json'], files).plan.window).toEqual({ start: NOW + 5, end: NOW + 5 });
  });

  it('takes the collection from the one stream a --catalog selects', () => {
    const catalog = { streams: [{ tap_stream_id: 'tags', metadata: [{ breadcrumb: [], metadata: { selected: true } }] }, { tap_stream_id: 'events', metadata: [] }] };
    expect(streamCommand(['--catalog=k.json', '--start_time=0'], { 'k.json': JSON.stringify(catalog) }).plan.collection).toBe('tags');
  });

  it("prefers the catalog's selection to the config's collection", () => {
    const catalog = { streams: [{ tap_stream_id: 'tags', metadata: [{ breadcrumb: [], metadata: { selected: true } }] }] };
    const files = { 'k.json': JSON.stringify(catalog), 'c.json': JSON.stringify({ collection: 'events', start_time: 0 }) };
    expect(streamCommand(['--config=c.json', '--catalog=k.json'], files).plan.collection).toBe('tags');
  });

  it('answers --discover without needing a collection or credentials', () => {
    expect(buildCommand(parseCommandLine(['--discover'], {}), context())).toEqual({ kind: 'discover' });
  });

  it('answers --help before checking anything else', () => {
    expect(buildCommand(parseCommandLine(['--help', '--format=csv'], {}), context())).toEqual({ kind: 'help' });
  });
});

describe('outcomeOf: exit codes', () => {
  it('gives 2 for configuration problems', () => {
    expect(outcomeOf(new ConfigError('X', 'X is required')).exitCode).toBe(EXIT_USAGE);
  });

  it('gives 1 for refused credentials and network failures', () => {
    expect(outcomeOf(new AuthError(401)).exitCode).toBe(EXIT_FAILURE);
    expect(outcomeOf(new NetworkError('connection refused')).exitCode).toBe(EXIT_FAILURE);
  });

  it('keeps the message on one line', () => {
    expect(outcomeOf(new Error('first\n  second')).message).toBe('first second');
  });
});

describe('buildCommand: --timezone', () => {
  it("reads phrases and zone-less dates in the zone, as PHP's date.timezone would", () => {
    // NOW is 2023-11-14T22:13:20Z, already Wednesday 07:13 in Tokyo: "yesterday" there is Tuesday 00:00 JST.
    const command = streamCommand(['--collection=events', '--start_time=yesterday', '--end_time=2023-11-15', '--timezone=Asia/Tokyo']);
    expect(command.plan.window).toEqual({ start: Date.parse('2023-11-13T15:00:00Z') / 1000, end: Date.parse('2023-11-14T15:00:00Z') / 1000 });
  });

  it('defaults to UTC', () => {
    expect(streamCommand(['--collection=events', '--start_time=yesterday']).plan.window.start).toBe(Date.parse('2023-11-13T00:00:00Z') / 1000);
  });
});
