/**
 * Every transient fault the simulator can inject, over real HTTP: the client retries and
 * ends with exactly the records of the window, each version once, in query order.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConveYourClient } from '../../functions/conveyour/client.js';
import type { FaultKind, Simulator } from '../../infra/local/simulator/index.js';
import { collect, NOW, smallSimulator, testClient, versionKey, WINDOW } from './client-fixtures.js';

let sim: Simulator;
let client: ConveYourClient | undefined;

beforeAll(async () => {
  sim = await smallSimulator();
});
afterEach(async () => {
  sim.setFaults(undefined);
  await client?.close();
  client = undefined;
});
afterAll(async () => {
  await sim.close();
});

const expectedEvents = () => sim.truth.expectedQuery('events', WINDOW, NOW).map(versionKey);

/** What each fault looks like to the client, by the error code of the retry event. */
const transient: Array<[FaultKind, RegExp]> = [
  ['429', /CONVEYOUR_RETRIABLE_STATUS: .*HTTP 429/],
  ['500', /CONVEYOUR_RETRIABLE_STATUS: .*HTTP 500/],
  ['502', /CONVEYOUR_RETRIABLE_STATUS: .*HTTP 502/],
  ['503', /CONVEYOUR_RETRIABLE_STATUS: .*HTTP 503/],
  ['hang', /CONVEYOUR_NETWORK: .*no complete response within 300 ms/],
  ['reset', /CONVEYOUR_NETWORK: /],
  // Odd occurrences cut the body under a full Content-Length, even ones end chunked JSON early.
  ['truncate', /CONVEYOUR_(NETWORK|MALFORMED_RESPONSE): /],
  // Odd occurrences are HTML with 200, even ones HTML with 502.
  ['nonjson', /CONVEYOUR_(MALFORMED_RESPONSE|RETRIABLE_STATUS): /],
];

describe('ConveYourClient against the simulator: transient faults', () => {
  it('reads the window without faults, every version once', async () => {
    ({ client } = testClient(sim));
    const pages = await collect(client.pages({ collection: 'events', window: WINDOW }));
    expect(pages.length).toBeGreaterThan(3);
    expect(pages.flatMap((p) => p.records.map(versionKey))).toEqual(expectedEvents());
  });

  it.each(transient)('retries %s (first and next pages, both variants) to exactly the window', async (kind, seenAs) => {
    // Prepare: the first page and two next pages fail once each.
    const made = testClient(sim, { requestTimeoutMs: 300 });
    client = made.client;
    sim.setFaults({ schedule: [1, 3, 6].map((request) => ({ request, kind })), retryAfterSeconds: 0 });
    // Act
    const pages = await collect(client.pages({ collection: 'events', window: WINDOW }));
    // Assess
    expect(pages.flatMap((p) => p.records.map(versionKey))).toEqual(expectedEvents());
    expect(sim.stats().faults[kind]).toBe(3);
    const retries = made.events.filter((e) => e.type === 'retry');
    expect(retries.length).toBeGreaterThanOrEqual(3);
    for (const retry of retries) expect(retry.error).toMatch(seenAs);
  });

  it('reads exactly the window through a storm of mixed faults', async () => {
    ({ client } = testClient(sim, { requestTimeoutMs: 300, retry: { maxAttempts: 12, baseDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 20_000 } }));
    sim.setFaults({ seed: 5, rate: { '429': 0.1, '500': 0.05, '502': 0.05, '503': 0.05, hang: 0.03, reset: 0.05, truncate: 0.1, nonjson: 0.1 }, retryAfterSeconds: 0 });
    const pages = await collect(client.pages({ collection: 'events', window: WINDOW }));
    expect(pages.flatMap((p) => p.records.map(versionKey))).toEqual(expectedEvents());
    expect(sim.stats().faultsTotal).toBeGreaterThan(0);
  });

  it('waits out the Retry-After of a 429 before asking again', async () => {
    const made = testClient(sim);
    client = made.client;
    sim.setFaults({ schedule: [{ request: 2, kind: '429' }], retryAfterSeconds: 1 });
    await collect(client.pages({ collection: 'events', window: WINDOW }));
    expect(made.events.filter((e) => e.type === 'retry').map((e) => e.delayMs)).toEqual([1_000]);
  });
});
