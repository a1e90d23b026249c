/**
 * The chaos run's judges can fail: a duplicate from two different pages of one query is not
 * explained, a watermark that goes back or a skipped version is a violation, and a bad flag of
 * `npm run test:chaos` is refused with a message naming it.
 */
import { describe, expect, it } from 'vitest';
import type { AppliedWrite } from './awsFaults.js';
import { parseChaosFlags } from './flags.js';
import { appliedWriteViolations, explain, parseRange, type LandedObject } from './verify.js';

const object = (window: [number, number], generation: number, range: string): LandedObject => ({
  key: `collection=events/dt=2026-01-15/chaos_${window[0]}-${window[1]}_g${generation}_${range}.ndjson.gz`,
  collection: 'events',
  window: { start: window[0], end: window[1] },
  generation,
  range: parseRange(range),
  records: [],
});

describe('duplicates are explained, or not', () => {
  it.each([
    ['two windows that overlap', [object([0, 100], 0, 'p000000-000000'), object([40, 160], 0, 'p000000-000000')], { 'overlapping windows': 1 }],
    ['one window read again with a new query', [object([0, 100], 0, 'p000002-000002'), object([0, 100], 1, 'p000000-000001')], { 'window read again with a new query': 1 }],
    ['the same pages read again', [object([0, 100], 0, 'p000003-000005'), object([0, 100], 0, 'p000004-000004')], { 'pages read again (retry)': 1 }],
    ['transcripts re-read from an overlapping contact range', [object([0, 100], 0, 'c0i3-c1i2'), object([0, 100], 0, 'c1i0-c1i5')], { 'pages read again (retry)': 1 }],
  ])('%s', (_name, copies, reasons) => {
    expect(explain(copies)).toEqual(reasons);
  });

  it('leaves unexplained a version on two different pages of one query', () => {
    expect(explain([object([0, 100], 0, 'p000001-000001'), object([0, 100], 0, 'p000003-000004')])).toBeUndefined();
  });

  it('refuses a range it cannot read', () => {
    expect(() => parseRange('x1-2')).toThrow("unknown range metadata 'x1-2'");
  });
});

describe('applied checkpoint writes', () => {
  const write = (version: number, watermark: number | undefined, records = 0): AppliedWrite => ({
    pk: 'chaos#events',
    version,
    watermark,
    records,
    inFlight: false,
    window: undefined,
    leaseOwner: undefined,
  });

  it('accept versions one by one with the watermark and counters never going down, whatever order they were seen in', () => {
    expect(appliedWriteViolations([write(2, 100, 5), write(1, undefined, 0), write(3, 160, 9)])).toEqual([]);
  });

  it.each([
    ['a watermark that goes back', [write(1, 100), write(2, 90)], 'chaos#events: watermark 100 -> 90 at version 2'],
    ['a version never applied', [write(1, 100), write(3, 120)], 'chaos#events: applied write #2 has version 3'],
    ['counters that go down', [write(1, 100, 10), write(2, 100, 4)], 'chaos#events: records landed 10 -> 4 at version 2'],
  ])('flag %s', (_name, writes, violation) => {
    expect(appliedWriteViolations(writes)).toContain(violation);
  });
});

describe('npm run test:chaos flags', () => {
  it('reads every flag', () => {
    expect(parseChaosFlags(['--seed=7', '--duration=60', '--max-duration=90', '--versions=5000', '--profile=quick', '--markdown'])).toEqual({
      seed: 7,
      durationSec: 60,
      maxDurationSec: 90,
      versions: 5000,
      profile: 'quick',
      output: 'markdown',
    });
  });

  it('reads the simulator modes into simulator options', () => {
    const flags = parseChaosFlags(['--seed=7', '--server-clock-offset=-150', '--bursts=events:500@300', '--late-writes=0.05:90-300', '--deletions=events:2', '--transcript-changes=3']);
    expect(flags).toMatchObject({
      seed: 7,
      simulator: {
        clockOffsetSeconds: -150,
        bursts: [{ collection: 'events', records: 500, atSeconds: 300 }],
        live: { lateWrites: { fraction: 0.05, delaySeconds: { min: 90, max: 300 } }, deletionsPerMinute: { events: 2 }, transcriptChangesPerMinute: 3 },
        argv: ['--server-clock-offset=-150', '--bursts=events:500@300', '--late-writes=0.05:90-300', '--deletions=events:2', '--transcript-changes=3'],
      },
    });
    expect(parseChaosFlags(['--seed=7'])).not.toHaveProperty('simulator');
  });

  it.each([
    [['--seed=-1'], "--seed must be an integer from 0 to 4294967295, got '-1'"],
    [['--duration'], '--duration needs a value, e.g. --duration=7'],
    [['--versions=lots'], "--versions must be an integer from 100 to 5000000, got 'lots'"],
    [['--profile=fast'], "--profile must be standard or quick, got 'fast'"],
    [['--json=yes'], '--json takes no value'],
    [['--sed=7'], 'unknown flag --sed; valid: --seed, --duration, --max-duration, --versions, --profile, --json, --markdown, --help, --server-clock-offset'],
    [['--server-clock-offset=soon'], "--server-clock-offset must be a number of seconds (negative: behind) or MIN:MAX, got 'soon'"],
    [['--deletions=users:1'], "--deletions: 'users' is not a collection"],
    [['seed=7'], "unexpected argument 'seed=7'; flags are written --name=value"],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseChaosFlags(argv)).toThrow(message);
  });
});
