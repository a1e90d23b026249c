import { describe, expect, it } from 'vitest';
import { CliArgsError, parseCliArgs } from '../../infra/local/simulator/cliArgs.js';

describe('simulator CLI flags', () => {
  it('defaults to port 8787 and nothing else', () => {
    expect(parseCliArgs([])).toEqual({ help: false, options: { port: 8787 } });
  });

  it('parses every flag into options', () => {
    const parsed = parseCliArgs([
      '--port=0', '--seed', '3', '--page-size=50', '--query-cap=500', '--cursor-ttl=30', '--history-days=2',
      '--counts=contacts:10,events:100', '--record-bytes=1024', '--latency=5-20', '--rate-limit=10:30', '--live',
      '--live-interval=250', '--faults=500:0.1,hang@3', '--fault-seed=2', '--retry-after=0', '--hang-ms=100',
      '--faults-only-for=next', '--appkey=k', '--token=t',
    ]);
    expect(parsed).toEqual({
      help: false,
      options: {
        port: 0, seed: 3, pageSize: 50, queryCap: 500, cursorTtlSeconds: 30, recordBytes: 1024,
        history: { days: 2, counts: { contacts: 10, events: 100 } },
        latencyMs: { min: 5, max: 20 },
        rateLimit: { requestsPerSecond: 10, burst: 30 },
        live: { intervalMs: 250 },
        faults: { rate: { '500': 0.1 }, schedule: [{ request: 3, kind: 'hang' }], seed: 2, retryAfterSeconds: 0, hangMs: 100, onlyFor: 'next' },
        credentials: { appkey: 'k', token: 't' },
      },
    });
  });

  it('parses --clock-offset as signed seconds or a MIN:MAX range', () => {
    expect(parseCliArgs(['--clock-offset=-150'])).toEqual({ help: false, options: { port: 8787, clockOffsetSeconds: -150 } });
    expect(parseCliArgs(['--clock-offset', '90.5'])).toEqual({ help: false, options: { port: 8787, clockOffsetSeconds: 90.5 } });
    expect(parseCliArgs(['--clock-offset=-150:150'])).toEqual({ help: false, options: { port: 8787, clockOffsetSeconds: { min: -150, max: 150 } } });
  });

  it('parses --bursts as COLLECTION:RECORDS@SECONDS entries', () => {
    expect(parseCliArgs(['--bursts=events:100001@-3600,contacts:50@120'])).toEqual({
      help: false,
      options: { port: 8787, bursts: [{ collection: 'events', records: 100_001, atSeconds: -3600 }, { collection: 'contacts', records: 50, atSeconds: 120 }] },
    });
  });

  it('parses the live modes the tail cannot see', () => {
    expect(parseCliArgs(['--live', '--late-writes=0.05:90-150', '--deletions=events:2,contacts:0.5', '--transcript-changes=3'])).toEqual({
      help: false,
      options: {
        port: 8787,
        live: { lateWrites: { fraction: 0.05, delaySeconds: { min: 90, max: 150 } }, deletionsPerMinute: { events: 2, contacts: 0.5 }, transcriptChangesPerMinute: 3 },
      },
    });
    expect(parseCliArgs(['--live', '--late-writes=0.1:60'])).toMatchObject({ options: { live: { lateWrites: { fraction: 0.1, delaySeconds: 60 } } } });
  });

  it('recognises --help', () => {
    expect(parseCliArgs(['--help'])).toEqual({ help: true });
  });

  it.each<[string[], RegExp]>([
    [['--bogus=1'], /unknown flag --bogus; valid: --port/],
    [['--seed=abc'], /--seed must be an integer >= 0, got 'abc'/],
    [['--port=70000'], /--port must be at most 65535/],
    [['--counts=users:5'], /--counts: 'users' is not a collection/],
    [['--faults=teapot:0.5'], /--faults: 'teapot:0.5' is not kind:probability or kind@request/],
    [['--retry-after=1'], /need --faults/],
    [['--live=yes'], /--live takes no value/],
    [['--seed'], /--seed needs a value/],
    [['--appkey=k'], /--appkey and --token go together/],
    [['stray'], /unexpected argument 'stray'/],
    [['--clock-offset=soon'], /--clock-offset must be a number of seconds \(negative: behind\) or MIN:MAX, got 'soon'/],
    [['--clock-offset=5:-5'], /--clock-offset MIN:MAX needs MIN <= MAX, got '5:-5'/],
    [['--bursts=events:5'], /--bursts: 'events:5' is not COLLECTION:RECORDS@SECONDS/],
    [['--bursts=users:5@-1'], /--bursts: 'users' is not a collection/],
    [['--late-writes=0.1:60'], /--late-writes needs --live/],
    [['--deletions=events:1', '--transcript-changes=2'], /--deletions, --transcript-changes need --live/],
    [['--live', '--late-writes=often'], /--late-writes must be FRACTION:SECONDS or FRACTION:MIN-MAX/],
    [['--live', '--deletions=users:1'], /--deletions: 'users' is not a collection/],
    [['--clock-offset=1:2:3'], /--clock-offset must be SECONDS or MIN:MAX/],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(CliArgsError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
