/**
 * One invocation's work on one (source, collection): claim the lease, page the window's
 * cursor while the budget lasts, land each batch in S3, then move the checkpoint past it.
 *
 * Order of effects, the whole of the safety argument:
 *   fetch page(s) -> PUT objects -> conditional checkpoint write
 * A crash between any two leaves the checkpoint behind the data, never ahead: the next run
 * re-reads from the checkpoint, by the same cursor onto the same keys, or under a new
 * generation when it must open a query again (checkpoint.ts `prepareToRead`).
 *
 * This file is the driver: it performs the I/O in that order. What to do next is decided by
 * the pure steps of runSteps.ts, and a window is read by the one loop of window.ts.
 */
import { TRANSCRIPTS } from '../conveyour/collections.js';
import type { Page } from '../conveyour/types.js';
import { emptyCheckpoint, type Checkpoint, type CheckpointKey } from './checkpoint.js';
import { describeError } from './errors.js';
import { Lease } from './lease.js';
import { fetchOptions, pagesReader, type Peeked } from './pagesWindow.js';
import type { RunDeps } from './ports.js';
import { settleOnOpeningPage } from './serverClock.js';
import {
  afterPeek,
  afterSave,
  afterWindow,
  failedAfterClaim,
  failedBeforeClaim,
  noTotals,
  openRun,
  openWindow,
  runResult,
  whenSlotHeld,
  type FailureStep,
  type RunResult,
  type RunStatus,
  type Seen,
  type WindowNote,
} from './runSteps.js';
import { transcriptsReader } from './transcriptsWindow.js';
import { readWindow, type Totals, type WindowEnd } from './window.js';

export type { RunDeps, RunPolicy } from './ports.js';
export type { RunResult, RunStatus } from './runSteps.js';

export async function runCollection(key: CheckpointKey, mode: 'tick' | 'continue', deps: RunDeps): Promise<RunResult> {
  const slot: { release?: () => void } = {};
  try {
    const totals = noTotals();
    const stored = (await deps.store.load(key)) ?? { ...emptyCheckpoint(key), ...(deps.bounds ? { bounds: deps.bounds } : {}) };
    const lease = new Lease(deps.store, deps.owner, deps.clock, () => deps.budget.remainingMs() + deps.policy.leaseSlackMs, { signal: deps.budget.writeSignal });
    const claimed = await claim(key, stored, mode, deps, lease, slot, totals);
    if ('status' in claimed) return claimed;
    return await readClaimed(key, claimed.checkpoint, claimed.peeked, deps, lease, totals);
  } finally {
    slot.release?.();
  }
}

/** Up to the claim: decide whether there is work, peek at a new window, wait for a paging slot, claim. */
async function claim(
  key: CheckpointKey,
  stored: Checkpoint,
  mode: 'tick' | 'continue',
  deps: RunDeps,
  lease: Lease,
  slot: { release?: () => void },
  totals: Totals,
): Promise<RunResult | { checkpoint: Checkpoint; peeked: Peeked | undefined }> {
  const startedMs = deps.clock.nowMs();
  const report = (status: RunStatus, cp: Checkpoint, seen?: Seen) => runResult(key, status, cp, totals, seen);
  const opening = openRun(stored, mode, deps.owner, startedMs);
  if (opening.kind === 'stop') return report(opening.status, stored);
  let peeked: Peeked | undefined;
  try {
    let next = stored;
    if (opening.kind === 'new') {
      const window = openWindow(stored, startedMs, deps.newRunId(), deps.policy);
      if (window.kind === 'stop') return report(window.status, stored);
      const peek = await peekAt(window.spec, window.keepsPage, deps);
      peeked = peek.peeked;
      // The opening response's Date caps what the window may claim (serverClock.ts).
      const draft = settleOnOpeningPage(window.draft, peek.first, deps);
      const after = afterPeek(stored, draft, peek.empty, { startedMs, nowMs: deps.clock.nowMs() }, deps.policy);
      const seen = { window: draft.inFlight!.window, serverClock: draft.serverClock };
      if (after.kind === 'stop') return { ...report(after.status, stored, seen), watermark: after.watermark };
      if (after.kind === 'finish') return report(after.status, await lease.claimReleased(after.checkpoint), seen);
      next = after.checkpoint;
    }
    // The peeked page waits with its cursor; should that expire meanwhile, the window restarts as after any expiry.
    slot.release = await deps.pagingSlots?.acquire();
    const step = whenSlotHeld(next, opening.kind === 'resume', deps.budget.allowsAnotherStep());
    if (step.kind === 'stop') {
      await closePeeked(peeked);
      return report(step.status, step.write ? await lease.claimReleased(step.write) : stored);
    }
    return { checkpoint: await lease.claim(step.checkpoint), peeked };
  } catch (error) {
    await closePeeked(peeked);
    const step = failedBeforeClaim(error, stored, deps.clock.nowMs());
    if (step.kind === 'record') deps.log.error('collection run failed before claiming its lease', { source: key.source, collection: key.collection, error: step.error });
    return finishFailed(key, step, stored, totals, {}, (cp) => lease.claimReleased(cp), deps);
  }
}

/** One API call on the new window; its first page (undefined: none) is kept for the reader when it has records. */
async function peekAt(
  spec: Parameters<RunDeps['source']['pages']>[0],
  keepsPage: boolean,
  deps: RunDeps,
): Promise<{ empty: boolean; first: Page | undefined; peeked: Peeked | undefined }> {
  const iterator = deps.source.pages(spec, fetchOptions(deps))[Symbol.asyncIterator]();
  let first: IteratorResult<Page>;
  try {
    first = await iterator.next();
  } catch (error) {
    await iterator.return?.();
    throw error;
  }
  const empty = first.done === true || (first.value.records.length === 0 && !first.value.nextCursor);
  const page = first.done ? undefined : first.value;
  if (empty || !keepsPage || !page) {
    await iterator.return?.();
    return { empty, first: page, peeked: undefined };
  }
  return { empty, first: page, peeked: { iterator, first: page } };
}

/** From the claim on: read window after window until the run is done, out of time, or fails. */
async function readClaimed(key: CheckpointKey, claimed: Checkpoint, peeked: Peeked | undefined, deps: RunDeps, lease: Lease, totals: Totals): Promise<RunResult> {
  const seen: Seen = { runId: claimed.inFlight?.runId };
  const report = (status: RunStatus, cp: Checkpoint) => runResult(key, status, cp, totals, seen);
  let cp = claimed;
  try {
    for (;;) {
      seen.window = cp.inFlight?.window;
      const end = await readCurrent(cp, deps, lease, totals, peeked);
      peeked = undefined;
      const { step, note } = afterWindow(end, deps.policy, deps.clock.nowMs());
      if (note) noteWindow(note, end.checkpoint, deps, totals);
      cp = end.checkpoint;
      if (step.kind === 'release') {
        cp = await lease.release(step.checkpoint);
        return report(step.status, cp);
      }
      cp = await lease.save(step.checkpoint);
      const then = afterSave(deps.budget.allowsAnotherStep());
      if (then.kind === 'release') {
        cp = await lease.release(cp);
        return report(then.status, cp);
      }
    }
  } catch (error) {
    await closePeeked(peeked);
    const step = failedAfterClaim(error, lease.current ?? cp, deps.clock.nowMs(), deps.budget.writeSignal.aborted);
    if (step.kind === 'stop' && step.status === 'lease-lost') deps.log.warn('lease lost: another invocation took this collection over; stopping without writing', logFields(cp));
    if (step.kind === 'record' && step.error) deps.log.error('collection run failed', { ...logFields(cp), error: step.error });
    return finishFailed(key, step, cp, totals, seen, (next) => lease.release(next), deps);
  }
}

/** The current window, by the reader of its collection. */
function readCurrent(cp: Checkpoint, deps: RunDeps, lease: Lease, totals: Totals, peeked: Peeked | undefined): Promise<WindowEnd> {
  const io = { deps, lease, totals };
  if (cp.collection === TRANSCRIPTS) return readWindow(cp, io, () => transcriptsReader(cp, deps));
  return readWindow(cp, io, () => pagesReader(cp, deps, peeked));
}

function noteWindow(note: WindowNote, cp: Checkpoint, deps: RunDeps, totals: Totals): void {
  if (note.kind === 'cursor-restart') {
    totals.cursorRestarts += 1;
    deps.log.warn('cursor expired; reading the window again from its start', logFields(cp));
  } else if (note.kind === 'split') {
    totals.splits += 1;
    deps.log.warn('query returned the cap: splitting the window', { ...logFields(cp), cap: deps.policy.queryCap });
  } else {
    deps.log.error(note.message, logFields(cp));
  }
}

/** Writes what a failure step records (a failed write only logs: the store keeps what it holds), and reports. */
async function finishFailed(
  key: CheckpointKey,
  step: FailureStep,
  cp: Checkpoint,
  totals: Totals,
  seen: Seen,
  write: (next: Checkpoint) => Promise<Checkpoint>,
  deps: RunDeps,
): Promise<RunResult> {
  if (step.kind === 'stop') return runResult(key, step.status, cp, totals, seen);
  let written = cp;
  try {
    written = await write(step.checkpoint);
  } catch (writeError) {
    deps.log.warn('could not record the failure in the checkpoint', { source: key.source, collection: key.collection, error: describeError(writeError) });
  }
  return runResult(key, step.status, written, totals, seen, step.error);
}

async function closePeeked(peeked: Peeked | undefined): Promise<void> {
  await peeked?.iterator.return?.();
}

function logFields(cp: Checkpoint): Record<string, unknown> {
  return {
    source: cp.source,
    collection: cp.collection,
    runId: cp.inFlight?.runId,
    window: cp.inFlight?.window,
    generation: cp.inFlight?.generation,
    pageSequence: cp.inFlight?.query?.next?.sequence,
  };
}
