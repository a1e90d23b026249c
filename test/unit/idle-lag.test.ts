/**
 * Found by the benchmark's cost model: an idle collection keeps
 * its stored watermark for up to IDLE_CHECKPOINT_SECONDS (900 s) to save writes, and an idle
 * run reports that stored watermark, so telemetry sees it 3 to 15 minutes behind, above the
 * 180 s lag floor, and publishes nine metrics for it every minute.
 *
 * Fixed: an idle run reports the end of the window it found empty as its watermark.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { createLogger, createMetrics, reportInvocation } from '../../functions/adapters/telemetry.js';
import { runCollection } from '../../functions/pipeline/runCollection.js';
import { fixture } from '../support/pipelineFixture.js';

let lines: string[];

beforeEach(() => {
  lines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter((line) => line.trim() !== ''));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

it('reports an up-to-date idle collection with one log line and no metric, five minutes after its last checkpoint', async () => {
  // Prepare: a first tick writes the idle checkpoint; five quiet minutes pass (under the 15-minute idle interval).
  const { deps, time } = fixture({ records: () => [] });
  await runCollection({ source: 'acme', collection: 'events' }, 'tick', deps());
  time.advance(5 * 60_000);

  // Act
  const idle = await runCollection({ source: 'acme', collection: 'events' }, 'tick', deps());
  reportInvocation(createLogger(), createMetrics(), { runs: [idle], continuations: 0, failures: [] }, {
    nowMs: time.ms,
    lagFloorSeconds: 180,
    retries: new Map(),
    durationMs: 5,
    kind: 'tick',
  });

  // Assess: nothing is missing (the window up to now was empty), so nothing lags.
  expect(idle.status).toBe('idle');
  expect(time.ms / 1000 - idle.watermark!).toBeLessThan(180);
  expect(lines).toHaveLength(1);
});
