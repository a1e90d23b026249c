/**
 * The pipeline core through the real SDK clients against the in-process emulators, paging the
 * simulator over real HTTP: full catch-up, idle runs, and the landing zone's contract.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { COLLECTIONS, type CollectionName } from '../../functions/conveyour/collections.js';
import { runTick } from '../../functions/pipeline/orchestrate.js';
import { startAwsEmulators, type AwsTestEnv } from '../support/awsEmulators.js';
import { SOURCE, startHarness, versionsOf, type Harness } from '../support/pipelineHarness.js';

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

function expectedVersions(h: Harness, collection: CollectionName, nowSec: number): string[] {
  return h.sim.truth.expectedQuery(collection, { start: 0, end: nowSec }, nowSec).map((v) => `${v._id}@${v.updated_at}`);
}

describe('pipeline catch-up against the emulators', () => {
  it('lands every version of all nine collections exactly once on a first full catch-up', async () => {
    harness = await startHarness(aws, { collections: [...COLLECTIONS] });
    const nowSec = Math.floor(harness.clock.ms / 1000);

    const result = await runTick(harness.sources, harness.deps());

    expect(result.runs.map((run) => run.status)).toEqual(COLLECTIONS.map(() => 'caught-up'));
    const landed = await harness.landed();
    for (const collection of COLLECTIONS) {
      const expected = expectedVersions(harness, collection, nowSec);
      expect(expected.length, collection).toBeGreaterThan(0);
      expect(versionsOf(landed, collection).sort(), collection).toEqual([...expected].sort());
    }
    const checkpoints = await harness.res.checkpoints.list();
    expect(checkpoints).toHaveLength(COLLECTIONS.length);
    for (const cp of checkpoints) {
      expect(cp.watermark).toBe(nowSec);
      expect(cp.inFlight).toBeUndefined();
      expect(cp.lease).toBeUndefined();
    }
  });

  it('lands the records exactly as the API served them, in Hive-style keys by the UTC date of updated_at', async () => {
    harness = await startHarness(aws, { collections: ['events', 'lesson_transcripts'] });

    await runTick(harness.sources, harness.deps());

    const landed = await harness.landed();
    for (const object of landed) {
      const [, collection, dt] = /^raw\/collection=([a-z_]+)\/dt=(\d{4}-\d{2}-\d{2})\/sim_\d+-\d+_r[A-Za-z0-9-]+_g\d+_[a-z0-9-]+\.ndjson\.gz$/.exec(object.key) ?? [];
      expect(collection, object.key).toBeDefined();
      expect(object.records.length).toBeGreaterThan(0);
      expect(object.metadata).toMatchObject({ source: SOURCE, collection, records: String(object.records.length) });
      for (const record of object.records) {
        expect(new Date(record.updated_at! * 1000).toISOString().slice(0, 10)).toBe(dt);
        if (collection === 'events') expect(record).toEqual(harness.sim.truth.record('events', record._id, record.updated_at!));
      }
    }
    const transcripts = landed.filter((o) => o.key.includes('collection=lesson_transcripts/')).flatMap((o) => o.records);
    expect(transcripts.length).toBeGreaterThan(0);
    for (const transcript of transcripts) expect((transcript.contact as { _id: string })._id).toBe(transcript.con_id);
  });

  it('lands nothing new and writes no checkpoint when a second run finds no new data', async () => {
    harness = await startHarness(aws, { collections: ['events', 'contacts'] });
    // A quiet collection: its last change is older than the overlap the next window re-reads.
    harness.clock.ms += 120_000;
    await runTick(harness.sources, harness.deps());
    const before = await harness.landed();
    const checkpointsBefore = await harness.res.checkpoints.list();
    harness.clock.ms += 60_000;

    const second = await runTick(harness.sources, harness.deps());

    expect(second.runs.map((run) => run.status)).toEqual(['idle', 'idle']);
    expect((await harness.landed()).map((o) => o.key).sort()).toEqual(before.map((o) => o.key).sort());
    expect(await harness.res.checkpoints.list()).toEqual(checkpointsBefore);
  });

  it('re-reads the overlap before the watermark: its records land again, and only those', async () => {
    harness = await startHarness(aws, { collections: ['events'] });
    const first = Math.floor(harness.clock.ms / 1000);
    await runTick(harness.sources, harness.deps());
    const once = versionsOf(await harness.landed());
    harness.clock.ms += 60_000;

    await runTick(harness.sources, harness.deps());

    const twice = versionsOf(await harness.landed());
    const seen = new Set(once);
    const again = twice.filter((version) => seen.has(version));
    expect(again.length - once.length).toBeGreaterThan(0);
    const overlap = harness.sim.truth.versions({ collection: 'events', from: first - 60, to: first }).map((v) => `${v._id}@${v.updated_at}`);
    expect(again.length - once.length).toBe(overlap.length);
    expect(new Set(twice)).toEqual(seen);
  });

  it('lands a change made after the first run in the next tail window', async () => {
    harness = await startHarness(aws, { collections: ['events'], simulator: { live: { intervalMs: 0, createsPerMinute: { events: 30 }, updatesPerMinute: { events: 30 } } } });
    await runTick(harness.sources, harness.deps());
    harness.clock.ms += 120_000;
    const added = harness.sim.advanceLive();
    expect(added).toBeGreaterThan(0);
    const fresh = harness.sim.truth.versions({ collection: 'events', from: Math.floor(harness.clock.ms / 1000) - 120 });

    const second = await runTick(harness.sources, harness.deps());

    expect(second.runs[0]?.status).toBe('caught-up');
    const landed = new Set(versionsOf(await harness.landed(), 'events'));
    for (const version of fresh) expect(landed.has(`${version._id}@${version.updated_at}`)).toBe(true);
  });
});
