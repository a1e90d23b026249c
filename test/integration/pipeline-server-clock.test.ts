/**
 * The tail against the simulator over real HTTP when the server's clock is not ours: its
 * stamps and its Date header run 150 s behind or ahead of the function's clock. Every
 * version the server stamped before the watermark lands, and the watermark follows the
 * server's Date minus the settle margin.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runTick } from '../../functions/pipeline/orchestrate.js';
import { startAwsEmulators, type AwsTestEnv } from '../support/awsEmulators.js';
import { startHarness, versionsOf, type Harness } from '../support/pipelineHarness.js';

const SETTLE = 10;
let aws: AwsTestEnv;
let harness: Harness | undefined;
beforeAll(async () => {
  aws = await startAwsEmulators();
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});
afterAll(async () => {
  await aws.close();
});

describe.each([
  ['150 s behind', -150],
  ['150 s ahead', 150],
])('the tail with the simulator clock %s', (_, offset) => {
  it('lands every version stamped before the watermark, and keeps the watermark on the server clock', async () => {
    // Prepare: a server creating about an event a second on its own clock.
    harness = await startHarness(aws, {
      collections: ['events'],
      simulator: {
        clockOffsetSeconds: offset,
        history: { days: 1, counts: { contacts: 5, events: 50, campaigns: 2, lessons: 2, message_reports: 2, tags: 2, triggers: 2, trigger_logs: 2 } },
        live: { intervalMs: 0, createsPerMinute: { events: 60 }, updatesPerMinute: { events: 0 } },
      },
    });
    const h = harness;
    const deps = () => h.deps({ policy: { settleSeconds: SETTLE } });

    // Act: twelve ticks, a minute apart.
    for (let tick = 0; tick < 12; tick++) {
      const result = await runTick(h.sources, deps());
      expect(result.runs.map((run) => run.status)).not.toContain('failed');
      h.clock.ms += 60_000;
    }

    // Assess
    const [cp] = await h.res.checkpoints.list();
    const serverNow = Math.floor(h.sim.now() / 1000);
    const watermark = cp!.watermark!;
    // Behind the server's settled time, by no more than the last tick's minute.
    expect(watermark).toBeLessThanOrEqual(serverNow - SETTLE);
    expect(watermark).toBeGreaterThanOrEqual(serverNow - SETTLE - 60 - 1);
    expect(Math.abs(cp!.serverClock!.offsetSeconds - offset)).toBeLessThanOrEqual(1);
    const expected = h.sim.truth.expectedQuery('events', { start: 0, end: watermark }, serverNow).map((v) => `${v._id}@${v.updated_at}`);
    expect(expected.length).toBeGreaterThan(600);
    const landed = new Set(versionsOf(await h.landed(), 'events'));
    expect(expected.filter((version) => !landed.has(version))).toEqual([]);
  });
});
