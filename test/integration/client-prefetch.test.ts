/** Read-ahead over real HTTP: page N+1 is on the wire while the consumer still holds page N. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConveYourClient } from '../../functions/conveyour/client.js';
import { prefetch } from '../../functions/conveyour/prefetch.js';
import { streamCollection } from '../../functions/conveyour/stream.js';
import type { Simulator } from '../../infra/local/simulator/index.js';
import { NOW, smallSimulator, testClient, versionKey, WINDOW } from './client-fixtures.js';

let sim: Simulator;
let client: ConveYourClient;

beforeAll(async () => {
  // Latency makes a request visibly in flight: it has reached the server well before it is answered.
  sim = await smallSimulator({ latencyMs: 40 });
});
afterEach(async () => {
  await client.close();
});
afterAll(async () => {
  await sim.close();
});

describe('prefetch against the simulator', () => {
  it('has the request for page N+1 reach the server before the consumer releases page N', async () => {
    // Prepare
    ({ client } = testClient(sim));
    const before = sim.stats().requests;
    const arrivedWhileHolding: number[] = [];
    const read: string[] = [];
    // Act
    for await (const page of prefetch(client.pages({ collection: 'events', window: WINDOW }), 1)) {
      if (page.nextCursor) await expect.poll(() => sim.stats().requests - before).toBe(page.sequence + 2);
      arrivedWhileHolding.push(sim.stats().requests - before);
      read.push(...page.records.map(versionKey));
    }
    // Assess: while holding page N, N+2 requests had arrived (pages 0..N+1); the last page asks for nothing more.
    const pages = arrivedWhileHolding.length;
    expect(arrivedWhileHolding).toEqual([...Array.from({ length: pages - 1 }, (_, n) => n + 2), pages]);
    expect(read).toEqual(sim.truth.expectedQuery('events', WINDOW, NOW).map(versionKey));
  });

  it('overlaps in streamCollection by default', async () => {
    ({ client } = testClient(sim));
    const before = sim.stats().requests;
    const iterator = streamCollection(client, { collection: 'events', window: WINDOW })[Symbol.asyncIterator]();
    const first = await iterator.next();
    await expect.poll(() => sim.stats().requests - before).toBe(2);
    expect(first.value?.page.sequence).toBe(0);
    await iterator.return?.();
  });
});
