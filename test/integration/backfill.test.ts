/**
 * A backfill through the real SDK clients against the emulators and the simulator over HTTP:
 * 300,000 records over a year of monthly windows that each hold more than the (lowered) cap,
 * so every window splits. Workers take window messages from the SQS emulator, as the continue
 * function does; the tick's upkeep runs whenever the queue is empty.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients, type AwsClients } from '../../functions/adapters/awsClients.js';
import { DynamoBackfillStore } from '../../functions/adapters/dynamoBackfillStore.js';
import type { BackfillPlan } from '../../functions/backfill/plan.js';
import { driveBackfills, runBackfillWindow, startBackfill, type BackfillDeps } from '../../functions/backfill/worker.js';
import type { CheckpointStore } from '../../functions/pipeline/ports.js';
import { parseContinuationMessage } from '../../functions/pipeline/messages.js';
import { catalogOf } from '../../functions/pipeline/orchestrate.js';
import { startAwsEmulators, type AwsTestEnv } from '../support/awsEmulators.js';
import { checkMonotonic, CrashError, RecordingStore } from '../support/faultyPorts.js';
import { SOURCE, startHarness, versionsOf, type Harness } from '../support/pipelineHarness.js';

const DAY = 86_400;
let aws: AwsTestEnv;
let harness: Harness;
let plans: DynamoBackfillStore;
/**
 * The test's own calls (receive, delete, head, is-it-done) on clients of their own, patient with a
 * loaded machine: the pipeline's clients keep their production timeouts, and a connect that a busy
 * event loop delays past 3 s is the pipeline's failure to handle, not the driver's to throw.
 */
let driver: AwsClients;
let driverPlans: DynamoBackfillStore;

beforeAll(async () => {
  aws = await startAwsEmulators();
  harness = await startHarness(aws, {
    simulator: { queryCap: 10_000, pageSize: 1_000, history: { days: 366, counts: { events: 300_000, contacts: 50, campaigns: 5, lessons: 5, message_reports: 5, tags: 5, triggers: 5, trigger_logs: 5 } } },
  });
  plans = new DynamoBackfillStore(aws.clients.documents, harness.res.table);
  driver = createAwsClients({ region: aws.emulators.region, requestTimeoutMs: 30_000, connectionTimeoutMs: 30_000, endpoints: aws.emulators.endpoints, credentials: aws.emulators.credentials });
  driverPlans = new DynamoBackfillStore(driver.documents, harness.res.table);
}, 60_000);
afterAll(async () => {
  driver?.destroy();
  await harness.close();
  await aws.close();
});

/** The simulator's clock stands still (its data stays put); the pipeline's runs in real time, so leases expire. */
const startedAt = Date.now();
const clock = { nowMs: () => harness.clock.ms + (Date.now() - startedAt) };

let invocations = 0;
function backfillDeps(store: CheckpointStore, owner = `worker-${++invocations}`): BackfillDeps {
  return {
    ...harness.deps({ policy: { queryCap: 10_000, leaseSlackMs: 200, flushBytes: 1_000_000 } }),
    store,
    clock,
    owner,
    // Short invocations and leases: a crashed worker's window is taken over within seconds.
    remainingMs: () => 3_000,
    plans,
    stallMs: 1_500,
    throttleHoldMs: 1_000,
    throttledRecently: () => false,
  };
}

async function etagOf(key: string): Promise<string | undefined> {
  return (await driver.s3.send(new HeadObjectCommand({ Bucket: harness.res.bucket, Key: key }))).ETag;
}

/** How long the backfill may go without one checkpoint write before the test calls it stuck. */
const STUCK_MS = 60_000;

/**
 * Workers and the tick, until the plan is done. An invocation in `dead` died: it deletes no message.
 * The guard is on progress, not on total time: a loaded machine slows the backfill down (speed
 * is the benchmark's business), while a stuck one stops writing checkpoints.
 */
async function runToCompletion(plan: BackfillPlan, store: RecordingStore, workers: number, dead: Set<string>): Promise<void> {
  const { sqs } = driver;
  const catalog = catalogOf(harness.sources);
  const done = async () => (await driverPlans.load(plan))?.status === 'done';
  let writesSeen = store.writes.length;
  let progressAt = Date.now();
  const stuck = () => {
    if (store.writes.length !== writesSeen) [writesSeen, progressAt] = [store.writes.length, Date.now()];
    return Date.now() - progressAt > STUCK_MS;
  };
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (!(await done())) {
        if (stuck()) throw new Error(`backfill made no progress (no checkpoint write) for ${STUCK_MS / 1000} s`);
        const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: harness.res.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }));
        const message = received.Messages?.[0];
        if (!message) {
          await driveBackfills(backfillDeps(store));
          await new Promise((resolve) => setTimeout(resolve, 100));
          continue;
        }
        const owner = `worker-${++invocations}`;
        await runBackfillWindow(parseContinuationMessage(message.Body!, catalog), harness.sources, backfillDeps(store, owner));
        // A dead worker deletes nothing: its message comes back after the visibility timeout.
        if (dead.has(owner)) continue;
        await sqs.send(new DeleteMessageCommand({ QueueUrl: harness.res.queueUrl, ReceiptHandle: message.ReceiptHandle! }));
      }
    }),
  );
}

describe('backfill', () => {
  it('lands every version of 300,000 records over windows that must split, surviving a crash mid-backfill', async () => {
    const nowSec = Math.floor(harness.clock.ms / 1000);
    const range = { from: nowSec - 366 * DAY, to: nowSec };
    const store = new RecordingStore(harness.res.checkpoints);
    const dead = new Set<string>();
    let saves = 0;
    // One worker dies in the middle of its window, after a few checkpointed pages: from then on nothing
    // it writes lands (not even its lease release), and its message is not deleted.
    store.before = (next, kind, owner) => {
      if (kind === 'save' && owner !== undefined && dead.size === 0 && next.inFlight?.query && ++saves === 20) dead.add(owner);
      return owner !== undefined && dead.has(owner) ? new CrashError('worker died') : undefined;
    };

    const plan = await startBackfill({ source: SOURCE, collection: 'events', id: 'bf-a', ...range, concurrency: 4 }, { ...backfillDeps(store), plans });
    expect(plan.windows.length).toBe(13);
    await runToCompletion(plan, store, 4, dead);

    expect(dead.size).toBe(1);
    // It died holding its lease, mid-window: someone else had to take the window over.
    const orphaned = store.writes.filter((w) => w.lease !== undefined && dead.has(w.lease.owner)).at(-1);
    expect(orphaned?.inFlight).toBeDefined();
    const finished = (await plans.load(plan))!;
    expect(finished.completed).toEqual(plan.windows.map((_, i) => i));
    const expected = harness.sim.truth.expectedQuery('events', { start: range.from, end: range.to }, nowSec).map((v) => `${v._id}@${v.updated_at}`);
    expect(expected.length).toBeGreaterThanOrEqual(300_000 - 1_000);
    const landed = await harness.landed();
    expect(new Set(versionsOf(landed, 'events'))).toEqual(new Set(expected));
    const windows = (await harness.res.checkpoints.list()).filter((cp) => cp.lane?.startsWith('bf-bf-a-'));
    expect(windows).toHaveLength(13);
    expect(windows.every((cp) => cp.inFlight === undefined && cp.watermark === cp.bounds?.end)).toBe(true);
    // Every monthly window held more than the cap, so each was split and part of it read twice.
    expect(windows.reduce((sum, cp) => sum + cp.counters.records, 0)).toBeGreaterThan(expected.length);
    expect((await harness.res.checkpoints.load({ source: SOURCE, collection: 'events' }))?.watermark).toBeUndefined();
    checkMonotonic(store.writes);
    expect(await plans.active()).toEqual([]);
  }, 900_000);

  it('lands a second backfill of the same range as new files, never over the first one\'s', async () => {
    const nowSec = Math.floor(harness.clock.ms / 1000);
    const range = { from: nowSec - 60 * DAY, to: nowSec - 30 * DAY };
    const store = new RecordingStore(harness.res.checkpoints);
    const keysOf = async () => new Set((await harness.keys()).filter((k) => k.includes('collection=events/')));
    const before = await keysOf();

    const first = await startBackfill({ source: SOURCE, collection: 'events', id: 'bf-b', ...range, concurrency: 2 }, { ...backfillDeps(store), plans });
    await runToCompletion(first, store, 2, new Set());
    const afterFirst = await keysOf();
    const etags = new Map(await Promise.all([...afterFirst].map(async (key) => [key, await etagOf(key)] as const)));
    const second = await startBackfill({ source: SOURCE, collection: 'events', id: 'bf-c', ...range, concurrency: 3 }, { ...backfillDeps(store), plans });
    await runToCompletion(second, store, 3, new Set());

    expect(afterFirst.size).toBeGreaterThan(before.size);
    const afterSecond = await keysOf();
    const added = [...afterSecond].filter((key) => !afterFirst.has(key));
    // Snowpipe loads a file name once: the re-read is new files, and the first backfill's are untouched.
    expect(added.length).toBeGreaterThan(0);
    for (const [key, etag] of etags) expect(await etagOf(key)).toBe(etag);
    const expected = harness.sim.truth.expectedQuery('events', { start: range.from, end: range.to }, nowSec).map((v) => `${v._id}@${v.updated_at}`);
    const landed = new Set(versionsOf(await harness.landed(), 'events'));
    expect(expected.every((version) => landed.has(version))).toBe(true);
  }, 900_000);
});
