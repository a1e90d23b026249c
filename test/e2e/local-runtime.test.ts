/**
 * End to end through the local runtime: the real handlers on the emulators, the simulator in
 * live mode. After several ticks with changes between them, every version the simulator holds
 * for the covered time is in the landing zone, and every duplicate is explained by two
 * overlapping windows.
 */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLLECTIONS } from '../../functions/conveyour/collections.js';
import type { ConveYourRecord } from '../../functions/conveyour/types.js';
import { startLocalRuntime, type LocalRuntime, type TickOutcome } from '../../infra/local/runtime.js';
import { waitFor } from '../support/waitFor.js';
import { listKeys } from '../support/listKeys.js';

let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await startLocalRuntime({
    simulator: {
      seed: 11,
      history: { days: 4, counts: { contacts: 150, events: 1_500, campaigns: 10, lessons: 12, message_reports: 80, tags: 6, triggers: 10, trigger_logs: 60 } },
      pageSize: 200,
      // Live changes only when the test says so: the truth then holds exactly what each tick could see.
      live: { intervalMs: 0, createsPerMinute: { events: 600, contacts: 120 }, updatesPerMinute: { events: 600, contacts: 120 } },
    },
    functionTimeoutMs: 60_000,
    // The test spans seconds of real time: with the default 10 s settle margin no live change would
    // be under a watermark yet. The margin has its own tests (pipeline-server-clock.test.ts).
    env: { SETTLE_SECONDS: '0' },
  });
});
afterAll(async () => {
  await runtime.close();
});

interface Landed {
  key: string;
  window: [number, number];
  records: ConveYourRecord[];
}

async function landed(): Promise<Landed[]> {
  const { s3 } = runtime.clients;
  const out: Landed[] = [];
  for (const key of await listKeys(s3, runtime.resources.bucket)) {
    const object = await s3.send(new GetObjectCommand({ Bucket: runtime.resources.bucket, Key: key }));
    const text = gunzipSync(Buffer.from(await object.Body!.transformToByteArray())).toString('utf8');
    out.push({
      key,
      window: [Number(object.Metadata!['window-start']), Number(object.Metadata!['window-end'])],
      records: text.trimEnd().split('\n').map((line) => JSON.parse(line) as ConveYourRecord),
    });
  }
  return out;
}

async function tickUntilCaughtUp(): Promise<TickOutcome> {
  return waitFor(async () => {
    const outcome = await runtime.tick();
    return outcome.runs.every((run) => run.status === 'caught-up' || run.status === 'idle') ? outcome : undefined;
  }, 'every collection caught up', 60_000, 10);
}

describe('the local runtime end to end', () => {
  it('lands every version of every collection seen over several live ticks; duplicates come only from overlapping windows', async () => {
    const sim = runtime.simulator!;
    const first = await tickUntilCaughtUp();
    expect(first.collections).toBe(COLLECTIONS.length);
    // W1: where the first catch-up ended, per collection. Its query saw the state at W1 or a little later.
    const firstWatermark = new Map((await runtime.checkpoints()).map((cp) => [cp.collection, cp.watermark!]));
    for (let round = 0; round < 3; round++) {
      await waitFor(() => sim.advanceLive() > 0 || undefined, 'live changes');
      await tickUntilCaughtUp();
    }

    const objects = await landed();
    const copies = new Map<string, Landed[]>();
    const latestLanded = new Map<string, number>();
    for (const object of objects) {
      const collection = /collection=([a-z_]+)\//.exec(object.key)![1]!;
      for (const record of object.records) {
        const id = `${collection}:${record._id}@${record.updated_at}`;
        copies.set(id, [...(copies.get(id) ?? []), object]);
        const recordKey = `${collection}:${record._id}`;
        latestLanded.set(recordKey, Math.max(latestLanded.get(recordKey) ?? 0, record.updated_at!));
      }
    }
    const finalWatermark = new Map((await runtime.checkpoints()).map((cp) => [cp.collection, cp.watermark!]));
    let tailVersions = 0;
    for (const collection of COLLECTIONS) {
      const w1 = firstWatermark.get(collection)!;
      // The initial state: each record as of W1, or a later version of it (one superseded before the query looked is unobservable).
      const initial = sim.truth.stateAt(collection, w1).filter((v) => (latestLanded.get(`${collection}:${v._id}`) ?? -1) < v.updated_at);
      expect(initial, `${collection}: records of the initial state missing`).toEqual([]);
      // The tail: every version after W1 up to the collection's watermark, exactly.
      const tail = sim.truth.versions({ collection, from: w1 + 1, to: finalWatermark.get(collection)! });
      tailVersions += tail.length;
      const missing = tail.filter((v) => !copies.has(`${collection}:${v._id}@${v.updated_at}`));
      expect(missing, `${collection}: ${missing.length} of ${tail.length} tail versions missing`).toEqual([]);
    }
    expect(tailVersions).toBeGreaterThan(0);

    let duplicates = 0;
    let total = 0;
    for (const [id, holders] of copies) {
      total += holders.length;
      if (holders.length < 2) continue;
      duplicates += holders.length - 1;
      // Explained when each copy came from a different window that matched it: created or updated in it
      // (for transcripts, their contact was), i.e. the windows overlap on it.
      expect(new Set(holders.map((h) => h.window.join('-'))).size, id).toBe(holders.length);
      for (const holder of holders) {
        const record = holder.records.find((r) => id.endsWith(`${r._id}@${r.updated_at}`))!;
        const matched = (id.startsWith('lesson_transcripts:') ? (record.contact as ConveYourRecord) : record) as ConveYourRecord;
        const [start, end] = holder.window;
        const within = (t: unknown) => typeof t === 'number' && t >= start && t < end;
        expect(within(matched.created_at) || within(matched.updated_at), `${id} unexplained in [${start}, ${end})`).toBe(true);
      }
    }
    expect(duplicates / total).toBeLessThan(0.5);
    for (const cp of await runtime.checkpoints()) {
      expect(cp.inFlight, `${cp.collection} still in flight`).toBeUndefined();
      expect(cp.counters.lastError).toBeUndefined();
    }
  });
});
