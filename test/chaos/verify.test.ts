/**
 * The chaos run's judges can fail: a duplicate from two different pages of one query is not
 * explained; a key written again with other records, a watermark or a read's position that goes
 * back, a skipped version and a version that never landed are each reported; and a bad flag of
 * `npm run test:chaos` is refused with a message naming it.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ConveYourRecord } from '../../functions/conveyour/types.js';
import { appliedPut, type AppliedWrite } from './awsFaults.js';
import { parseChaosFlags } from './flags.js';
import { appliedWriteViolations, explain, indexLanded, keyRewriteViolations, lostVersions, parseRange, type LandedObject } from './verify.js';

const object = (window: [number, number], generation: number, range: string, records: ConveYourRecord[] = [], run = 'r1', source = 'chaos'): LandedObject => ({
  key: `collection=events/dt=2026-01-15/${source}_${window[0]}-${window[1]}_r${run}_g${generation}_${range}.ndjson.gz`,
  source,
  collection: 'events',
  run,
  window: { start: window[0], end: window[1] },
  generation,
  range: parseRange(range),
  records,
});

const record = (id: string, updatedAt: number): ConveYourRecord => ({ _id: id, created_at: 1, updated_at: updatedAt }) as ConveYourRecord;
const ndjsonGz = (records: ConveYourRecord[]) => gzipSync(Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join('')));

describe('duplicates are explained, or not', () => {
  it.each([
    ['two windows that overlap', [object([0, 100], 0, 'p000000-000000'), object([40, 160], 0, 'p000000-000000')], { 'overlapping windows': 1 }],
    ['one window read again with a new query', [object([0, 100], 0, 'p000002-000002'), object([0, 100], 1, 'p000000-000001')], { 'window read again with a new query': 1 }],
    ['one window read by another run', [object([0, 100], 0, 'p000002-000002'), object([0, 100], 0, 'p000000-000001', [], 'r2')], { 'window read again with a new query': 1 }],
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
  const write = (version: number, watermark: number | undefined, records = 0, read?: { runId: string; queryId: string; position: number }): AppliedWrite => ({
    pk: 'chaos#events',
    version,
    watermark,
    records,
    inFlight: read !== undefined,
    window: read ? '100-160' : undefined,
    runId: read?.runId,
    generation: 0,
    queryId: read?.queryId,
    position: read?.position,
    leaseOwner: undefined,
  });

  it('accept versions one by one with the watermark and counters never going down, whatever order they were seen in', () => {
    expect(appliedWriteViolations([write(2, 100, 5), write(1, undefined, 0), write(3, 160, 9)])).toEqual([]);
  });

  it.each([
    ['a watermark that goes back', [write(1, 100), write(2, 90)], 'chaos#events: watermark 100 -> 90 at version 2'],
    ['a version never applied', [write(1, 100), write(3, 120)], 'chaos#events: applied write #2 has version 3'],
    ['counters that go down', [write(1, 100, 10), write(2, 100, 4)], 'chaos#events: records landed 10 -> 4 at version 2'],
    [
      'a read whose position goes back',
      [write(1, 100, 0, { runId: 'r1', queryId: 'q1', position: 3 }), write(2, 100, 0, { runId: 'r1', queryId: 'q1', position: 2 })],
      'chaos#events: position of run r1 in query q1 went 3 -> 2 at version 2',
    ],
  ])('flag %s', (_name, writes, violation) => {
    expect(appliedWriteViolations(writes)).toContain(violation);
  });

  it('let a new read (another query or run) start from its own beginning', () => {
    const writes = [write(1, 100, 0, { runId: 'r1', queryId: 'q1', position: 3 }), write(2, 100, 0, { runId: 'r1', queryId: 'q2', position: 1 }), write(3, 100, 0, { runId: 'r2', queryId: 'q2', position: 0 })];
    expect(appliedWriteViolations(writes)).toEqual([]);
  });
});

describe('keys written again', () => {
  const first = [record('a', 10), record('b', 11)];

  it('accept a PUT that holds the same records again (a retry of the same pages)', () => {
    expect(keyRewriteViolations(new Map([['k1', [appliedPut(ndjsonGz(first)), appliedPut(ndjsonGz(first))]]]))).toEqual([]);
  });

  it.each([
    ['another version of a record', [record('a', 10), record('b', 12)], 'k1: PUT #2 holds other records than the first (2 vs 2 records; from #2: b@12 where the first had b@11)'],
    ['one record more', [...first, record('c', 13)], 'k1: PUT #2 holds other records than the first (3 vs 2 records; from #3: c@13 where the first had none)'],
    ['one record fewer', [record('a', 10)], 'k1: PUT #2 holds other records than the first (1 vs 2 records; from #2: none where the first had b@11)'],
  ])('report a key rewritten with %s', (_name, rewritten, violation) => {
    expect(keyRewriteViolations(new Map([['k1', [appliedPut(ndjsonGz(first)), appliedPut(ndjsonGz(rewritten))]]]))).toEqual([violation]);
  });
});

describe('lost versions', () => {
  const landed = indexLanded([object([0, 100], 0, 'p000000-000000', [record('a', 10), record('b', 50)]), object([100, 160], 0, 'p000000-000000', [record('c', 120)])]);

  it('find nothing lost when every record of the initial state landed (that version or a later one) and every tail version landed', () => {
    expect(lostVersions(landed, 'chaos', 'events', [{ _id: 'a', updated_at: 10 }, { _id: 'b', updated_at: 20 }], [{ _id: 'c', updated_at: 120 }])).toEqual([]);
  });

  it('report a record of the initial state that never landed, and a tail version that did not land exactly', () => {
    const lost = lostVersions(landed, 'chaos', 'events', [{ _id: 'a', updated_at: 10 }, { _id: 'd', updated_at: 30 }], [{ _id: 'c', updated_at: 120 }, { _id: 'b', updated_at: 130 }]);
    expect(lost.map((version) => [version.description, version.initial])).toEqual([
      ['events:d@30', true],
      ['events:b@130', false],
    ]);
  });

  it('judge each source by its own landings', () => {
    expect(lostVersions(landed, 'chaos-b', 'events', [{ _id: 'a', updated_at: 10 }], []).map((version) => version.description)).toEqual(['events:a@10']);
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
    [['--profile=fast'], "--profile must be standard or quick or calm, got 'fast'"],
    [['--json=yes'], '--json takes no value'],
    [['--sed=7'], 'unknown flag --sed; valid: --seed, --duration, --max-duration, --versions, --profile, --json, --markdown, --help, --server-clock-offset'],
    [['--server-clock-offset=soon'], "--server-clock-offset must be a number of seconds (negative: behind) or MIN:MAX, got 'soon'"],
    [['--deletions=users:1'], "--deletions: 'users' is not a collection"],
    [['seed=7'], "unexpected argument 'seed=7'; flags are written --name=value"],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseChaosFlags(argv)).toThrow(message);
  });
});
