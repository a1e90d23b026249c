/**
 * The one window loop (window.ts) over the pages reader, against the in-memory fakes: when it
 * fetches, lands and saves, and how a window's read ends.
 */
import { describe, expect, it } from 'vitest';
import { CursorExpiredError } from '../../functions/conveyour/errors.js';
import { beginRun, emptyCheckpoint, prepareToRead } from '../../functions/pipeline/checkpoint.js';
import { LeaseLostError } from '../../functions/pipeline/errors.js';
import { Lease } from '../../functions/pipeline/lease.js';
import { pagesReader } from '../../functions/pipeline/pagesWindow.js';
import { noTotals } from '../../functions/pipeline/runSteps.js';
import { readWindow } from '../../functions/pipeline/window.js';
import { fixture } from '../support/pipelineFixture.js';
import { makeRecords } from '../support/scriptedPageSource.js';

const NOW_MS = 1_700_000_000_000;
const NOW = NOW_MS / 1000;
const key = { source: 'acme', collection: 'events' };

async function claimedWindow(options: Parameters<typeof fixture>[0]) {
  const world = fixture({ nowMs: NOW_MS, ...options });
  const deps = world.deps();
  const lease = new Lease(world.store, deps.owner, deps.clock, () => 60_000);
  const claimed = await lease.claim(prepareToRead(beginRun(emptyCheckpoint(key), NOW, NOW_MS, 'run-1', deps.policy)));
  const totals = noTotals();
  const read = () => readWindow(claimed, { deps, lease, totals }, () => pagesReader(claimed, deps));
  return { ...world, claimed, totals, read };
}

describe('readWindow', () => {
  it('merges pages into one flush up to the flush size, and leaves the last flush for the caller to checkpoint', async () => {
    const records = makeRecords(50, { from: NOW - 500, step: 10 });
    const { read, sink, store, totals } = await claimedWindow({ records: () => records, policy: { flushBytes: 2_500 } });
    const writesBefore = store.writes.length;

    const end = await read();

    expect(end.kind).toBe('exhausted');
    expect(end.checkpoint.inFlight?.query).toMatchObject({ next: undefined, pages: 5, records: 50 });
    expect(sink.puts.length).toBeLessThan(5);
    expect(totals).toMatchObject({ pages: 5, records: 50, files: sink.puts.length });
    // Every flush but the last saved the checkpoint past it; the last one is the caller's to write.
    expect(store.writes.length - writesBefore).toBe(sink.puts.length - 1);
    expect(store.writes.at(-1)?.inFlight?.query?.next).toBeDefined();
  });

  it('lands the pages fetched before an expired cursor and reports it, for the window to be read again', async () => {
    const records = makeRecords(30, { from: NOW - 300, step: 10 });
    const { read, sink } = await claimedWindow({
      records: () => records,
      policy: { flushBytes: Number.MAX_SAFE_INTEGER },
      source: {
        beforePage: ({ sequence }) => {
          if (sequence === 2) throw new CursorExpiredError('gone');
        },
      },
    });

    const end = await read();

    expect(end.kind).toBe('cursor-expired');
    expect(sink.records()).toHaveLength(20);
    expect(end.checkpoint.inFlight?.query?.next?.sequence).toBe(2);
  });

  it('stops when the budget allows no further step, saving the cursor of the next page', async () => {
    const records = makeRecords(30, { from: NOW - 300, step: 10 });
    let remaining = 3_000;
    const { read, store, source } = await claimedWindow({
      records: () => records,
      remainingMs: () => remaining,
      source: { beforePage: () => void (remaining -= 1_000) },
    });

    const end = await read();

    expect(end.kind).toBe('budget-spent');
    expect(source.requests).toHaveLength(2);
    expect((await store.load(key))?.inFlight?.query?.next?.sequence).toBe(2);
  });

  it('leaves a lost lease to the run: nothing more is written', async () => {
    const records = makeRecords(30, { from: NOW - 300, step: 10 });
    const { read, store, sink } = await claimedWindow({ records: () => records });
    store.failNextWrite = () => new LeaseLostError('taken over');

    await expect(read()).rejects.toBeInstanceOf(LeaseLostError);
    expect(sink.puts).toHaveLength(1);
  });
});
