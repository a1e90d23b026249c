import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRequestPacer } from '../../functions/conveyour/pacer.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Starts `count` takes at once; returns the fake time at which each was let through. */
async function releaseTimes(take: () => Promise<void>, count: number, untilMs: number): Promise<number[]> {
  const released: number[] = [];
  for (let i = 0; i < count; i++) void take().then(() => released.push(Date.now()));
  await vi.advanceTimersByTimeAsync(untilMs);
  return released;
}

describe('createRequestPacer', () => {
  it('lets a burst through at once, then one request per interval', async () => {
    const pacer = createRequestPacer({ requestsPerSecond: 10, burst: 3 });

    const released = await releaseTimes(() => pacer.take(), 6, 1000);

    expect(released).toEqual([0, 0, 0, 100, 200, 300]);
  });

  it('never lets more than rate x time + burst through, however many wait', async () => {
    const pacer = createRequestPacer({ requestsPerSecond: 50, burst: 5 });

    const released = await releaseTimes(() => pacer.take(), 500, 2000);

    expect(released.length).toBeLessThanOrEqual(50 * 2 + 5);
    expect(released.length).toBeGreaterThanOrEqual(50 * 2);
  });

  it('gives the burst back after a quiet spell', async () => {
    const pacer = createRequestPacer({ requestsPerSecond: 10, burst: 2 });
    await releaseTimes(() => pacer.take(), 4, 1000);

    const later = await releaseTimes(() => pacer.take(), 2, 0);

    expect(later).toEqual([1000, 1000]);
  });

  it('rejects a waiting take with the signal’s reason when it aborts (the deadline came)', async () => {
    const pacer = createRequestPacer({ requestsPerSecond: 1 });
    await pacer.take();
    const deadline = new AbortController();

    const waiting = pacer.take(deadline.signal);
    deadline.abort(new Error('deadline'));

    await expect(waiting).rejects.toThrow('deadline');
  });

  it('names a bad setting and what would be valid', () => {
    expect(() => createRequestPacer({ requestsPerSecond: 0 })).toThrow('requestsPerSecond must be a number > 0, got 0');
    expect(() => createRequestPacer({ requestsPerSecond: 1, burst: 0.5 })).toThrow('burst must be an integer >= 1, got 0.5');
  });
});
