/**
 * Crashes, races and lost messages, through the real SDK clients against the emulators and the
 * simulator over HTTP. Each test stops the world between two effects and checks that nothing is
 * lost and the checkpoint never moves backwards.
 */
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCollection } from '../../functions/pipeline/runCollection.js';
import { runTick } from '../../functions/pipeline/orchestrate.js';
import { Budget } from '../../functions/pipeline/budget.js';
import { startAwsEmulators, type AwsTestEnv } from '../support/awsEmulators.js';
import { checkMonotonic, CrashError, HookedSink, RecordingStore } from '../support/faultyPorts.js';
import { SOURCE, startHarness, testPolicy, versionsOf, type Harness } from '../support/pipelineHarness.js';

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

const key = { source: SOURCE, collection: 'events' };

function expected(h: Harness, nowSec: number): string[] {
  return h.sim.truth.expectedQuery('events', { start: 0, end: nowSec }, nowSec).map((v) => `${v._id}@${v.updated_at}`).sort();
}

function distinct(versions: string[]): string[] {
  return [...new Set(versions)].sort();
}

/** Run deps for one invocation on the harness, with decorated ports and an optional budget. */
function invocation(h: Harness, owner: string, ports: { store?: RecordingStore; sink?: HookedSink; remainingMs?: () => number; flushBytes?: number } = {}) {
  const deps = h.deps({ policy: { flushBytes: ports.flushBytes ?? 1 } });
  return {
    ...deps,
    source: h.client,
    store: ports.store ?? deps.store,
    sink: ports.sink ?? deps.sink,
    owner,
    budget: new Budget({ remainingMs: ports.remainingMs ?? (() => 600_000), safetyMarginMs: 1_000, initialStepEstimateMs: 100 }),
  };
}

describe('pipeline under failures', () => {
  it('survives a crash after the S3 write and before the checkpoint: the retry rewrites the same key and nothing is lost', async () => {
    harness = await startHarness(aws);
    const nowSec = Math.floor(harness.clock.ms / 1000);
    const store = new RecordingStore(harness.res.checkpoints);
    const sink = new HookedSink(harness.res.sink);
    let saves = 0;
    store.before = (_next, kind) => (kind === 'save' && ++saves === 3 ? new CrashError('process died before the checkpoint write') : undefined);

    const crashed = await runCollection(key, 'tick', invocation(harness, 'first', { store, sink }));
    expect(crashed.status).toBe('failed');
    const lastKeyBeforeCrash = sink.keys.at(-1)!;
    store.before = undefined;

    const retried = await runCollection(key, 'tick', invocation(harness, 'second', { store, sink }));

    expect(retried.status).toBe('caught-up');
    expect(sink.keys.filter((k) => k === lastKeyBeforeCrash)).toHaveLength(2);
    expect(distinct(versionsOf(await harness.landed()))).toEqual(expected(harness, nowSec));
    expect(versionsOf(await harness.landed())).toHaveLength(expected(harness, nowSec).length);
    checkMonotonic(store.writes);
  });

  it('resumes a run whose invocation died mid-cursor holding the lease, once the lease expires', async () => {
    harness = await startHarness(aws);
    const nowSec = Math.floor(harness.clock.ms / 1000);
    const store = new RecordingStore(harness.res.checkpoints);
    let saves = 0;
    // The process dies after 3 checkpointed pages: no further write, not even the lease release.
    // Its lease (remaining time + slack, as deployed: about the function timeout) is shorter than the cursor's lifetime.
    store.before = (_next, kind) => (kind === 'save' && ++saves > 3 ? new CrashError('process died') : undefined);
    await runCollection(key, 'tick', invocation(harness, 'dead', { store, remainingMs: () => 120_000 }));
    const orphan = await harness.res.checkpoints.load(key);
    expect(orphan?.lease?.owner).toBe('dead');
    expect(orphan?.inFlight?.query?.next?.sequence).toBe(3);
    store.before = undefined;

    const tooEarly = await runCollection(key, 'tick', invocation(harness, 'tick-1', { store }));
    expect(tooEarly.status).toBe('lease-held');
    harness.clock.ms = orphan!.lease!.expiresAtMs + 1;
    const resumed = await runCollection(key, 'tick', invocation(harness, 'tick-2', { store }));

    expect(resumed).toMatchObject({ status: 'caught-up', cursorRestarts: 0 });
    expect(resumed.pages).toBe(expected(harness, nowSec).length / 100 - 3);
    const landed = versionsOf(await harness.landed());
    expect(distinct(landed)).toEqual(expected(harness, nowSec));
    expect(landed).toHaveLength(expected(harness, nowSec).length);
    checkMonotonic(store.writes);
  });

  it('lets exactly one of two racing invocations page a collection, with nothing doubled', async () => {
    harness = await startHarness(aws);
    const nowSec = Math.floor(harness.clock.ms / 1000);

    const [a, b] = await Promise.all([
      runCollection(key, 'tick', invocation(harness, 'racer-a')),
      runCollection(key, 'tick', invocation(harness, 'racer-b')),
    ]);

    const statuses = [a.status, b.status].sort();
    expect(statuses[0]).toBe('caught-up');
    expect(['lease-held', 'lease-lost']).toContain(statuses[1]);
    const landed = versionsOf(await harness.landed());
    expect(landed).toHaveLength(expected(harness, nowSec).length);
    expect(distinct(landed)).toEqual(expected(harness, nowSec));
  });

  it('stops a zombie whose lease expired and was taken over before it can move the checkpoint', async () => {
    harness = await startHarness(aws);
    const nowSec = Math.floor(harness.clock.ms / 1000);
    const store = new RecordingStore(harness.res.checkpoints);
    const zombieSink = new HookedSink(harness.res.sink);
    const h = harness;
    let rescuer: Awaited<ReturnType<typeof runCollection>> | undefined;
    // The zombie stalls after its first object; its lease expires; a new invocation takes over and finishes.
    zombieSink.after = async (_object, count) => {
      if (count !== 1) return;
      const held = await h.res.checkpoints.load(key);
      h.clock.ms = held!.lease!.expiresAtMs + 1;
      rescuer = await runCollection(key, 'tick', invocation(h, 'rescuer', { store }));
    };

    const zombie = await runCollection(key, 'tick', invocation(harness, 'zombie', { store, sink: zombieSink }));

    expect(rescuer?.status).toBe('caught-up');
    expect(zombie.status).toBe('lease-lost');
    const final = await harness.res.checkpoints.load(key);
    expect(final?.inFlight).toBeUndefined();
    expect(store.writes.filter((w) => w.lease?.owner === 'zombie' || w.version > final!.version)).toHaveLength(1);
    expect(distinct(versionsOf(await harness.landed()))).toEqual(expected(harness, nowSec));
    checkMonotonic(store.writes);
  });

  it('ends a tick before its deadline when ConveYour hangs past it: pages landed are checkpointed, a continuation is sent, the next run loses nothing', async () => {
    harness = await startHarness(aws);
    const nowSec = Math.floor(harness.clock.ms / 1000);
    const h = harness;
    // Every request after the first page is read and never answered.
    harness.sim.setFaults({ schedule: Array.from({ length: 40 }, (_, index) => ({ request: index + 2, kind: 'hang' as const })) });
    const deadlineAt = Date.now() + 4_000;
    const remainingMs = () => deadlineAt - Date.now();
    const store = new RecordingStore(harness.res.checkpoints);

    const first = await runTick(harness.sources, { ...harness.deps({ policy: { flushBytes: 1 } }), store, remainingMs });

    expect(remainingMs()).toBeGreaterThan(0);
    expect(first.runs[0]?.status).toBe('budget-spent');
    expect(first.continuations).toBe(1);
    const received = await aws.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: h.res.queueUrl, WaitTimeSeconds: 1 }));
    expect(received.Messages).toHaveLength(1);
    const saved = await harness.res.checkpoints.load(key);
    expect(saved?.lease).toBeUndefined();
    expect(saved?.inFlight?.query?.next?.sequence).toBe(1);

    harness.sim.setFaults(undefined);
    harness.clock.ms += 60_000;
    const second = await runTick(harness.sources, { ...harness.deps({ policy: { flushBytes: 1 } }), store });

    expect(second.runs[0]?.status).toBe('caught-up');
    expect(distinct(versionsOf(await harness.landed()))).toEqual(expected(harness, nowSec));
    checkMonotonic(store.writes);
  });

  it('resumes from the checkpointed cursor at the next tick when a continuation message is lost', async () => {
    harness = await startHarness(aws);
    const nowSec = Math.floor(harness.clock.ms / 1000);
    let remaining = 3_000;
    const h = harness;
    // Time runs out after a few pages; the floor leaves the final writes (and the deadline's timers) the real time they need.
    const tickDeps = { ...harness.deps({ policy: { flushBytes: 1 } }), remainingMs: () => (remaining = Math.max(1_020, remaining - 400)) };

    const first = await runTick(harness.sources, tickDeps);
    expect(first.runs[0]?.status).toBe('budget-spent');
    expect(first.continuations).toBe(1);
    const received = await aws.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: h.res.queueUrl, WaitTimeSeconds: 1 }));
    expect(received.Messages).toHaveLength(1);
    await aws.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: h.res.queueUrl, ReceiptHandle: received.Messages![0]!.ReceiptHandle! }));
    const saved = await harness.res.checkpoints.load(key);
    harness.clock.ms += 60_000;

    const second = await runTick(harness.sources, harness.deps({ policy: { flushBytes: 1 } }));

    expect(second.runs[0]?.status).toBe('caught-up');
    expect(second.runs[0]?.runId).toBe(saved?.inFlight?.runId);
    const landed = versionsOf(await harness.landed());
    expect(landed).toHaveLength(expected(harness, nowSec).length);
    expect(distinct(landed)).toEqual(expected(harness, nowSec));
  });

  it('splits a window whose query returned the cap until none does, landing every version', async () => {
    harness = await startHarness(aws, { simulator: { queryCap: 200 } });
    const nowSec = Math.floor(harness.clock.ms / 1000);

    const result = await runTick(harness.sources, harness.deps({ policy: { queryCap: 200 } }));

    expect(result.runs[0]).toMatchObject({ status: 'caught-up' });
    expect(result.runs[0]!.splits).toBeGreaterThanOrEqual(3);
    expect(distinct(versionsOf(await harness.landed()))).toEqual(expected(harness, nowSec));
  });

  it('reads the window again from its start after an expired cursor, losing nothing', async () => {
    harness = await startHarness(aws);
    const nowSec = Math.floor(harness.clock.ms / 1000);
    harness.sim.setFaults({ schedule: [{ request: 4, kind: 'expire' }] });

    const result = await runTick(harness.sources, harness.deps({ policy: { flushBytes: 1 } }));

    expect(result.runs[0]).toMatchObject({ status: 'caught-up', cursorRestarts: 1 });
    const landed = await harness.landed();
    expect(distinct(versionsOf(landed))).toEqual(expected(harness, nowSec));
    expect(new Set(landed.map((o) => o.metadata.generation))).toEqual(new Set(['0', '1']));
  });

  it.each([
    ['a next page that hands back its own cursor', [{ request: 3, kind: 'freeze' as const }]],
    ['an empty page that still claims more', [{ request: 3, kind: 'stall' as const }]],
  ])('stops at %s with a stalled-cursor failure, never a false completion, and the next tick lands everything', async (_name, schedule) => {
    harness = await startHarness(aws);
    const nowSec = Math.floor(harness.clock.ms / 1000);
    harness.sim.setFaults({ schedule });

    const stalled = await runTick(harness.sources, harness.deps());

    expect(stalled.runs[0]).toMatchObject({ status: 'failed', error: { code: 'CONVEYOUR_STALLED_CURSOR' } });
    const cp = await harness.res.checkpoints.load(key);
    expect(cp?.watermark).toBeUndefined();
    expect(cp?.counters.lastError?.code).toBe('CONVEYOUR_STALLED_CURSOR');
    harness.sim.setFaults(undefined);
    harness.clock.ms += 60_000;

    const next = await runTick(harness.sources, harness.deps());

    expect(next.runs[0]?.status).toBe('caught-up');
    expect(distinct(versionsOf(await harness.landed()))).toEqual(expected(harness, nowSec));
    expect((await harness.res.checkpoints.load(key))?.counters.lastError).toBeUndefined();
  });

  it('never leaves a completed run with a cursor or query id behind', async () => {
    harness = await startHarness(aws, { collections: ['events', 'contacts', 'lesson_transcripts'] });
    harness.sim.setFaults({ seed: 3, rate: { '503': 0.1, reset: 0.05, truncate: 0.05, '429': 0.05 }, retryAfterSeconds: 0 });

    const result = await runTick(harness.sources, harness.deps());

    expect(result.runs.map((r) => r.status)).toEqual(['caught-up', 'caught-up', 'caught-up']);
    for (const cp of await harness.res.checkpoints.list()) expect(cp.inFlight).toBeUndefined();
    expect(testPolicy.maxHops).toBeLessThan(16);
  });
});
