/**
 * Ctrl-C of `npm start`: draining the local runtime ends every run in flight at its next step,
 * so each saves its progress and releases its lease. Before, a stopped process left its leases
 * held for the function timeout plus slack, and the next `npm start -- --once` ticked against
 * them for minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime.js';
import { waitFor } from '../support/waitFor.js';

let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await startLocalRuntime({
    simulator: { seed: 3, pageSize: 20, history: { days: 3, counts: { contacts: 400, events: 4_000, campaigns: 5, lessons: 5, message_reports: 200, tags: 5, triggers: 5, trigger_logs: 200 } } },
    functionTimeoutMs: 120_000,
    env: { FLUSH_BYTES: '1' },
  });
});
afterAll(async () => {
  await runtime.close();
});

describe('draining the local runtime', () => {
  it('ends the runs in flight at their next step: each saves and releases its lease', async () => {
    const ticking = runtime.tick();
    await waitFor(async () => (await runtime.checkpoints()).some((cp) => cp.lease && cp.inFlight) || undefined, 'a run holding its lease', 30_000, 20);

    expect(await runtime.drain(30_000)).toBe(true);
    const outcome = await ticking;

    const held = (await runtime.checkpoints()).filter((cp) => cp.lease).map((cp) => `${cp.collection} held by ${cp.lease!.owner}`);
    expect(held).toEqual([]);
    expect(outcome.runs.some((run) => run.status === 'budget-spent')).toBe(true);
    expect(runtime.host.running).toBe(0);
  }, 90_000);
});
