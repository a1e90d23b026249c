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

  it('publishes EMF metrics per source and collection for a run that landed records, and logs its window', () => {
    const busy = run({ status: 'caught-up', records: 120, pages: 2, files: 1, bytes: 2048 });

    reportInvocation(createLogger(), createMetrics(), { runs: [busy, run({ key: { source: 'acme', collection: 'tags' } })], continuations: 0, failures: [] }, options);

    const summary = JSON.parse(lines.find((line) => line.includes('tick done'))!);
    expect(summary.runs).toEqual([expect.objectContaining({ collection: 'events', records: 120, window: busy.window, lagSeconds: 60 })]);
    const emf = lines.map((line) => JSON.parse(line)).filter((entry) => entry._aws);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ source: 'acme', collection: 'events', RecordsLanded: 120, PagesFetched: 2, LagSeconds: 60 });
    expect(emf[0]._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'ConveYourStream', Dimensions: [expect.arrayContaining(['source', 'collection'])] });
  });

  it('publishes lag for an idle collection only once it is behind the floor', () => {
    reportInvocation(createLogger(), createMetrics(), { runs: [run({ watermark: NOW_MS / 1000 - 600 })], continuations: 0, failures: [] }, options);

    const emf = lines.map((line) => JSON.parse(line)).filter((entry) => entry._aws);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ LagSeconds: 600, RecordsLanded: 0 });
  });
});
