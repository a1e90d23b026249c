/**
 * Coverage gaps through the real SDK clients against the emulators and the simulator over HTTP:
 * a second holding at least the query cap (the simulator's cap made small, so its history has
 * such seconds) becomes a gap that the checkpoint keeps, every other version lands, and an
 * acknowledgement removes it without racing a run that holds the lease.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runTick } from '../../functions/pipeline/orchestrate.js';
import { openGapCount } from '../../functions/pipeline/coverageGaps.js';
import { acknowledgeGaps } from '../../functions/pipeline/coverageGapsAck.js';
import { renderDetail } from '../../infra/local/statusView.js';
import { startAwsEmulators, type AwsTestEnv } from '../support/awsEmulators.js';
import { SOURCE, startHarness, versionsOf, type Harness } from '../support/pipelineHarness.js';

const CAP = 3;
const key = { source: SOURCE, collection: 'events' };

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

async function withDenseSeconds(): Promise<{ h: Harness; nowSec: number; versions: string[]; full: Map<number, string[]> }> {
  const h = await startHarness(aws, { simulator: { queryCap: CAP, history: { days: 0.002, updates: false, counts: { events: 80, contacts: 120, campaigns: 2, lessons: 2, message_reports: 2, tags: 2, triggers: 2, trigger_logs: 2 } } } });
  const nowSec = Math.floor(h.clock.ms / 1000);
  const all = h.sim.truth.expectedQuery('events', { start: 0, end: nowSec }, nowSec);
  const bySecond = new Map<number, string[]>();
  for (const v of all) bySecond.set(v.updated_at, [...(bySecond.get(v.updated_at) ?? []), `${v._id}@${v.updated_at}`]);
  const full = new Map([...bySecond].filter(([, versions]) => versions.length >= CAP));
  return { h, nowSec, versions: all.map((v) => `${v._id}@${v.updated_at}`), full };
}

describe('coverage gaps against the emulators and the simulator', () => {
  it('keeps each second at the cap as a gap and lands every version of every other second', async () => {
    const { h, nowSec, versions, full } = await withDenseSeconds();
    harness = h;
    // The seeded history has such seconds; without them this test would prove nothing.
    expect(full.size).toBeGreaterThanOrEqual(1);

    const result = await runTick(h.sources, h.deps({ policy: { queryCap: CAP } }));

    expect(result.runs[0]).toMatchObject({ status: 'caught-up', openGaps: full.size });
    const cp = await h.res.checkpoints.load(key);
    expect(cp?.coverageGaps?.open.map((gap) => gap.second).sort()).toEqual([...full.keys()].sort());
    expect(cp?.coverageGaps?.open[0]).toMatchObject({ collection: 'events', returned: CAP });
    expect(cp?.watermark).toBe(nowSec);
    const landed = new Set(versionsOf(await h.landed()));
    const outside = versions.filter((v) => !full.has(Number(v.split('@')[1])));
    expect(outside.filter((v) => !landed.has(v))).toEqual([]);
    for (const [second, inSecond] of full) expect(inSecond.filter((v) => landed.has(v)).length, `second ${second}`).toBe(CAP);
    expect(renderDetail([cp!], h.clock.ms)).toContain(`sim/events second ${[...full.keys()].sort()[0]} (`);
  }, 120_000);

  it('keeps the gaps through later successful ticks, until acknowledged', async () => {
    const { h, full } = await withDenseSeconds();
    harness = h;
    await runTick(h.sources, h.deps({ policy: { queryCap: CAP } }));
    h.clock.ms += 120_000;

    const later = await runTick(h.sources, h.deps({ policy: { queryCap: CAP } }));
    expect(later.runs[0]?.status).toMatch(/caught-up|idle/);
    const [first, ...rest] = [...full.keys()].sort();
    expect(openGapCount((await h.res.checkpoints.load(key))!)).toBe(full.size);

    const acknowledged = await acknowledgeGaps(key, { second: first! }, { store: h.res.checkpoints, clock: { nowMs: () => h.clock.ms }, sleep: async () => {}, maxWaitMs: 0 });

    expect(acknowledged.removed).toBe(1);
    const cp = await h.res.checkpoints.load(key);
    expect(cp?.coverageGaps?.open.map((gap) => gap.second).sort()).toEqual(rest);
    h.clock.ms += 120_000;
    await runTick(h.sources, h.deps({ policy: { queryCap: CAP } }));
    expect((await h.res.checkpoints.load(key))?.coverageGaps?.open.map((gap) => gap.second).sort()).toEqual(rest);
  }, 120_000);

  it('waits out a run holding the lease: the run keeps its lease and its writes, then the gap goes', async () => {
    const { h, full } = await withDenseSeconds();
    harness = h;
    await runTick(h.sources, h.deps({ policy: { queryCap: CAP } }));
    const stored = (await h.res.checkpoints.load(key))!;
    const leased = { ...stored, version: stored.version + 1, lease: { owner: 'tick-running', expiresAtMs: h.clock.ms + 30_000 } };
    await h.res.checkpoints.claim(leased, stored.version, h.clock.ms);
    const [second] = [...full.keys()];
    const waits: string[] = [];
    let runReleased = false;

    const acknowledged = await acknowledgeGaps(key, { second: second! }, {
      store: h.res.checkpoints,
      clock: { nowMs: () => h.clock.ms },
      sleep: async () => {
        // The running tick writes once more and releases its lease while the acknowledgement waits.
        if (runReleased) return;
        runReleased = true;
        await h.res.checkpoints.save({ ...leased, version: leased.version + 1, lease: undefined, counters: { ...leased.counters, records: leased.counters.records + 1 } }, 'tick-running');
      },
      maxWaitMs: 60_000,
      onWait: (owner) => waits.push(owner),
    });

    expect(waits).toEqual(['tick-running']);
    expect(acknowledged.removed).toBe(1);
    const cp = await h.res.checkpoints.load(key);
    expect(cp).toMatchObject({ version: leased.version + 2, counters: { records: stored.counters.records + 1 } });
    expect(cp?.coverageGaps?.open.map((gap) => gap.second)).not.toContain(second);
  }, 120_000);
});
