import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MockAgent } from 'undici';
import { prefetch } from '../../functions/conveyour/prefetch.js';
import { fastClient, isStreamPath, mockAgent, ORIGIN, pageBody, records, WINDOW } from './conveyour-fixtures.js';

/** Counts how many items were requested from it, and whether it was returned. */
function countingSource(count: number, failAt?: number) {
  const state = { requested: 0, returned: false };
  async function* items(): AsyncGenerator<number> {
    try {
      for (let i = 0; i < count; i++) {
        state.requested += 1;
        await Promise.resolve();
        if (i === failAt) throw new Error(`item ${i} failed`);
        yield i;
      }
    } finally {
      state.returned = true;
    }
  }
  return { state, iterable: items() };
}

describe('prefetch', () => {
  it('yields every item in order', async () => {
    const { iterable } = countingSource(5);
    const seen: number[] = [];
    for await (const item of prefetch(iterable, 2)) seen.push(item);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('has the next item requested while the consumer holds the current one', async () => {
    const { state, iterable } = countingSource(5);
    const iterator = prefetch(iterable, 1)[Symbol.asyncIterator]();
    await iterator.next();
    await expect.poll(() => state.requested).toBe(2);
    await iterator.return?.();
  });

  it('requests nothing ahead with depth 0', async () => {
    const { state, iterable } = countingSource(5);
    const iterator = prefetch(iterable, 0)[Symbol.asyncIterator]();
    await iterator.next();
    expect(state.requested).toBe(1);
    await iterator.return?.();
  });

  it('surfaces a failed read-ahead only when the consumer reaches it', async () => {
    const { iterable } = countingSource(5, 2);
    const seen: number[] = [];
    const run = (async () => {
      for await (const item of prefetch(iterable, 2)) seen.push(item);
    })();
    await expect(run).rejects.toThrow('item 2 failed');
    expect(seen).toEqual([0, 1]);
  });

  it('returns the source when the consumer stops early', async () => {
    const { state, iterable } = countingSource(5);
    for await (const item of prefetch(iterable, 1)) if (item === 1) break;
    expect(state.returned).toBe(true);
  });

  it('rejects a negative depth', async () => {
    await expect(prefetch(countingSource(1).iterable, -1).next()).rejects.toThrow('prefetch depth must be an integer >= 0, got -1');
  });
});

describe('prefetch over the HTTP client', () => {
  let agent: MockAgent;
  beforeEach(() => {
    agent = mockAgent();
  });
  afterEach(async () => {
    await agent.close();
  });

  it('starts the request for page N+1 before the consumer releases page N', async () => {
    // Prepare
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: isStreamPath }).reply(200, pageBody(records('a'), 'q1', 'c1'));
    pool.intercept({ path: isStreamPath }).reply(200, pageBody(records('b'), 'q1', 'c2')).delay(20);
    pool.intercept({ path: isStreamPath }).reply(200, pageBody(records('c'), 'q1'));
    const requests = () => agent.getCallHistory()?.calls().length ?? 0;
    const requestsWhileHolding: number[] = [];
    // Act
    for await (const page of prefetch(fastClient(agent).pages({ collection: 'events', window: WINDOW }), 1)) {
      if (page.nextCursor) await expect.poll(requests).toBe(page.sequence + 2);
      requestsWhileHolding.push(requests());
    }
    // Assess
    expect(requestsWhileHolding).toEqual([2, 3, 3]);
  });
});
