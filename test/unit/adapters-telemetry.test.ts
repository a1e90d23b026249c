import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, createMetrics, reportInvocation } from '../../functions/adapters/telemetry.js';
import type { RunResult } from '../../functions/pipeline/runCollection.js';

const NOW_MS = 1_700_000_000_000;
let lines: string[];

beforeEach(() => {
  lines = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter((line) => line.trim() !== ''));
      return true;
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

function run(overrides: Partial<RunResult>): RunResult {
  return {
    key: { source: 'acme', collection: 'events' },
    status: 'idle',
    runId: 'r1',
    window: { start: NOW_MS / 1000 - 120, end: NOW_MS / 1000 },
    records: 0,
    pages: 0,
    files: 0,
    bytes: 0,
    splits: 0,
    cursorRestarts: 0,
    watermark: NOW_MS / 1000 - 60,
    ...overrides,
  };
}

const options = { nowMs: NOW_MS, lagFloorSeconds: 180, retries: new Map<string, number>(), durationMs: 42, kind: 'tick' as const };

describe('telemetry', () => {
  it('writes one short log line and no metric for an idle tick', () => {
    const runs = ['events', 'contacts', 'tags'].map((collection) => run({ key: { source: 'acme', collection } }));

    reportInvocation(createLogger(), createMetrics(), { runs, continuations: 0, failures: [] }, options);

    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: 'tick done', collections: 3, idle: 3, failures: 0 });
    expect(lines[0]!.length).toBeLessThan(400);
    expect(lines[0]).not.toContain('_aws');
  });

  it('publishes healthy activity per source only, and logs the collection\'s window, records and lag', () => {
    const busy = run({ status: 'caught-up', records: 120, pages: 2, files: 1, bytes: 2048 });
    const alsoBusy = run({ key: { source: 'acme', collection: 'contacts' }, status: 'caught-up', records: 5, pages: 1, files: 1, bytes: 100 });

    reportInvocation(createLogger(), createMetrics(), { runs: [busy, alsoBusy, run({ key: { source: 'acme', collection: 'tags' } })], continuations: 0, failures: [] }, {
      ...options,
      retries: new Map([['acme', 3]]),
    });

    const summary = JSON.parse(lines.find((line) => line.includes('tick done'))!);
    expect(summary.retries).toEqual({ acme: 3 });
    expect(summary.runs).toEqual([
      expect.objectContaining({ collection: 'events', records: 120, files: 1, bytes: 2048, window: busy.window, lagSeconds: 60 }),
      expect.objectContaining({ collection: 'contacts', records: 5 }),
    ]);
    const emf = lines.map((line) => JSON.parse(line)).filter((entry) => entry._aws);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ source: 'acme', RecordsLanded: 125, PagesFetched: 3, Retries: 3 });
    expect(emf[0]).not.toHaveProperty('collection');
    expect(emf[0]).not.toHaveProperty('LagSeconds');
    expect(emf[0]._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'ConveYourStream', Dimensions: [expect.arrayContaining(['source'])] });
    expect(emf[0]._aws.CloudWatchMetrics[0].Dimensions[0]).not.toContain('collection');
  });

  it('publishes per collection only what needs attention: lag at or above the floor, failures, restarts, splits', () => {
    const behind = run({ watermark: NOW_MS / 1000 - 600 });
    const failed = run({ key: { source: 'acme', collection: 'contacts' }, status: 'failed', cursorRestarts: 1, splits: 2, error: { code: 'X', message: 'boom' } });

    reportInvocation(createLogger(), createMetrics(), { runs: [behind, failed], continuations: 0, failures: [] }, options);

    const emf = lines.map((line) => JSON.parse(line)).filter((entry) => entry._aws);
    expect(emf).toHaveLength(2);
    expect(emf[0]).toMatchObject({ source: 'acme', collection: 'events', LagSeconds: 600 });
    expect(emf[0]).not.toHaveProperty('RecordsLanded');
    expect(emf[0]).not.toHaveProperty('RunFailures');
    expect(emf[1]).toMatchObject({ source: 'acme', collection: 'contacts', RunFailures: 1, CursorRestarts: 1, WindowSplits: 2 });
    expect(emf[1]).not.toHaveProperty('LagSeconds');
  });

  it('publishes the open coverage gaps per source, summed over its collections, idle ones too, and never a zero', () => {
    const runs = [run({ openGaps: 2 }), run({ key: { source: 'acme', collection: 'tags' }, openGaps: 1 }), run({ key: { source: 'beta', collection: 'events' }, openGaps: 0 })];

    reportInvocation(createLogger(), createMetrics(), { runs, continuations: 0, failures: [] }, options);

    const emf = lines.map((line) => JSON.parse(line)).filter((entry) => entry._aws);
    expect(emf).toEqual([expect.objectContaining({ source: 'acme', CoverageGapsOpen: 3 })]);
    expect(emf[0]).not.toHaveProperty('collection');
  });

  it('publishes the lag of a collection that fails before its first success, from the window it could not read', () => {
    const neverLanded = run({ status: 'failed', watermark: undefined, window: { start: NOW_MS / 1000 - 3600, end: NOW_MS / 1000 }, error: { code: 'unauthorized', message: '401' } });
    const idleFresh = run({ key: { source: 'acme', collection: 'tags' }, watermark: undefined, window: { start: NOW_MS / 1000 - 3600, end: NOW_MS / 1000 } });

    reportInvocation(createLogger(), createMetrics(), { runs: [neverLanded, idleFresh], continuations: 0, failures: [] }, options);

    const emf = lines.map((line) => JSON.parse(line)).filter((entry) => entry._aws);
    expect(emf).toEqual([expect.objectContaining({ collection: 'events', RunFailures: 1, LagSeconds: 3600 })]);
  });

  it('publishes the server clock offset per source, signed, once it is 3 s or more either way', () => {
    const behind = run({ serverClock: { offsetSeconds: -90, observedAtMs: NOW_MS } });
    const inStep = run({ key: { source: 'beta', collection: 'events' }, serverClock: { offsetSeconds: 2, observedAtMs: NOW_MS } });

    reportInvocation(createLogger(), createMetrics(), { runs: [behind, inStep, run({ key: { source: 'acme', collection: 'tags' } })], continuations: 0, failures: [] }, options);

    const emf = lines.map((line) => JSON.parse(line)).filter((entry) => entry._aws);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ source: 'acme', ClockOffsetSeconds: -90 });
    expect(emf[0]).not.toHaveProperty('collection');
    const summary = JSON.parse(lines.find((line) => line.includes('tick done'))!);
    expect(summary.runs ?? []).toEqual([]);
  });

  it('measures lag on the server clock: a watermark 90 s behind a server 90 s behind us is no lag', () => {
    const failed = run({ status: 'failed', watermark: NOW_MS / 1000 - 90 - 30, serverClock: { offsetSeconds: -90, observedAtMs: NOW_MS }, error: { code: 'X', message: 'boom' } });

    reportInvocation(createLogger(), createMetrics(), { runs: [failed], continuations: 0, failures: [] }, options);

    const summary = JSON.parse(lines.find((line) => line.includes('tick done'))!);
    expect(summary.runs[0]).toMatchObject({ lagSeconds: 30, clockOffsetSeconds: -90 });
  });
});
