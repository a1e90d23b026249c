/**
 * One invocation's work on one (source, collection): claim the lease, page the window's
 * cursor while the budget lasts, land each batch in S3, then move the checkpoint past it.
 *
 * Order of effects, the whole of the safety argument:
 *   fetch page(s) -> PUT objects -> conditional checkpoint write
 * A crash between any two leaves the checkpoint behind the data, never ahead: the next run
 * re-reads from the checkpoint, by the same cursor onto the same keys, or under a new
 * generation when it must open a query again (checkpoint.ts `prepareToRead`).
 */
import { TRANSCRIPTS } from '../conveyour/collections.js';
import { DeadlineError, StalledCursorError } from '../conveyour/errors.js';
import type { Page, PageSource, QueryWindow } from '../conveyour/types.js';
import type { Budget } from './budget.js';
import {
  afterCursorExpired,
  afterWindowExhausted,
  matchedInWindow,
  prepareToRead,
  beginRun,
  emptyCheckpoint,
  recordError,
  shouldPersistIdleAdvance,
  type Checkpoint,
  type CheckpointKey,
  type WindowPolicy,
} from './checkpoint.js';
import { describeError, LeaseHeldError, LeaseLostError } from './errors.js';
import { Lease } from './lease.js';
import { fetchOptions, pageWindow, specOf } from './pagesWindow.js';
import type { CheckpointStore, Clock, Log, ObjectSink } from './ports.js';
import { serverNowSeconds, settleOnOpeningPage, type ServerClockReading } from './serverClock.js';
import { pageTranscriptsWindow } from './transcriptsWindow.js';
import type { Totals } from './window.js';
import type { Slots } from './slots.js';

export interface RunPolicy extends WindowPolicy {
  prefix: string;
  /** Pages are merged into one object per dt until this many uncompressed bytes. */
  flushBytes: number;
  /** An idle collection writes its checkpoint at most this often. */
  idleCheckpointMs: number;
  /** Added to the invocation's remaining time to form the lease: covers clock skew. */
  leaseSlackMs: number;
  /** lesson_transcripts: contacts whose transcripts are fetched in parallel. */
  transcriptConcurrency: number;
  /** A tail window ends this many seconds before the server's time (its HTTP Date): writes still turning visible. */
  settleSeconds: number;
}

export interface RunDeps {
  source: PageSource;
  store: CheckpointStore;
  sink: ObjectSink;
  clock: Clock;
  budget: Budget;
  log: Log;
  /** Unique per invocation: the lease owner. */
  owner: string;
  newRunId: () => string;
  policy: RunPolicy;
  /** A bounded lane's range, for its first run (later runs read it from the checkpoint). */
  bounds?: QueryWindow;
  /** Held from the claim to the end of a run that has work: how many collections page at once. A peek needs none. */
  pagingSlots?: Slots;
}

export type RunStatus =
  | 'caught-up' // the run's target range landed; the watermark moved
  | 'idle' // nothing new; the checkpoint may not even have been written
  | 'budget-spent' // progress saved; a continuation should carry on
  | 'lease-held' // another invocation is working on it
  | 'lease-lost' // our lease was taken over mid-run; we stopped without writing
  | 'no-work' // a continuation found nothing in flight
  | 'failed';

export interface RunResult extends Totals {
  key: CheckpointKey;
  status: RunStatus;
  runId: string | undefined;
  /** The last window the run worked on. */
  window: QueryWindow | undefined;
  watermark: number | undefined;
  /** The server's clock as the run last saw it: its watermark is in that clock's time. */
  serverClock?: ServerClockReading;
  error?: { code: string; message: string };
}


export async function runCollection(key: CheckpointKey, mode: 'tick' | 'continue', deps: RunDeps): Promise<RunResult> {
  const slot: { release?: () => void } = {};
  try {
    return await runHoldingSlot(key, mode, deps, slot);
  } finally {
    slot.release?.();
  }
}

async function runHoldingSlot(key: CheckpointKey, mode: 'tick' | 'continue', deps: RunDeps, slot: { release?: () => void }): Promise<RunResult> {
  const totals: Totals = { records: 0, pages: 0, files: 0, bytes: 0, splits: 0, cursorRestarts: 0 };
  const stored = (await deps.store.load(key)) ?? { ...emptyCheckpoint(key), ...(deps.bounds ? { bounds: deps.bounds } : {}) };
  let runId: string | undefined;
  let window: QueryWindow | undefined;
  let serverClock = stored.serverClock;
  const result = (status: RunStatus, cp: Checkpoint, error?: { code: string; message: string }): RunResult => ({
    key,
    status,
    runId: runId ?? cp.inFlight?.runId,
    window: cp.inFlight?.window ?? window,
    ...totals,
    watermark: cp.watermark,
    ...(serverClock ? { serverClock } : {}),
    ...(error ? { error } : {}),
  });

  const nowMs = deps.clock.nowMs();
  if (stored.lease && stored.lease.owner !== deps.owner && stored.lease.expiresAtMs > nowMs) return result('lease-held', stored);
  if (mode === 'continue' && !stored.inFlight) return result('no-work', stored);

  const lease = new Lease(deps.store, deps.owner, deps.clock, () => deps.budget.remainingMs() + deps.policy.leaseSlackMs, { signal: deps.budget.writeSignal });
  let cp: Checkpoint;
  let firstPage: IteratorResult<Page> | undefined;
  let peeked: AsyncIterator<Page> | undefined;
  try {
    if (stored.inFlight) {
      slot.release = await deps.pagingSlots?.acquire();
      // The wait for a slot may have used the time up: then the checkpoint stays as it is, and a continuation carries on.
      if (!deps.budget.allowsAnotherStep()) return result('budget-spent', stored);
      cp = await lease.claim(prepareToRead(stored));
    } else {
      // Peek before claiming: an idle collection costs one API call and no write at all.
      let draft = beginRun(stored, serverNowSeconds(nowMs, stored.serverClock), nowMs, deps.newRunId(), deps.policy);
      // A bounded lane already read to its end: nothing to do, ever again.
      if (!draft.inFlight) return result('caught-up', stored);
      // lesson_transcripts peeks at the window's contacts; its reader opens its own queries.
      const transcripts = draft.collection === TRANSCRIPTS;
      const spec = transcripts ? { collection: 'contacts', window: draft.inFlight!.window } : specOf(draft);
      peeked = deps.source.pages(spec, fetchOptions(deps))[Symbol.asyncIterator]();
      firstPage = await peeked.next();
      draft = settleOnOpeningPage(draft, firstPage.done ? undefined : firstPage.value, deps);
      serverClock = draft.serverClock;
      const empty = firstPage.done || (firstPage.value.records.length === 0 && !firstPage.value.nextCursor);
      if (empty || transcripts) {
        await peeked.return?.();
        peeked = undefined;
        firstPage = undefined;
      }
      if (empty) {
        window = draft.inFlight!.window;
        // The window up to now was empty, so everything before its end has landed: report that, not
        // the stored watermark, which an idle collection persists only every idleCheckpointMs and
        // would make telemetry see it minutes behind (and publish lag metrics every minute).
        if (!shouldPersistIdleAdvance(stored, nowMs, deps.policy.idleCheckpointMs)) return { ...result('idle', stored), watermark: Math.max(stored.watermark ?? 0, draft.inFlight!.targetEnd) };
        cp = await lease.claimReleased(afterWindowExhausted(prepareToRead(draft), 0, deps.policy, deps.clock.nowMs()).checkpoint);
        // A bounded lane with nothing in it is done, not idle: it will never be read again.
        return result(draft.bounds ? 'caught-up' : 'idle', cp);
      }
      // The peeked page waits with its cursor; should that expire meanwhile, the window restarts as after any expiry.
      slot.release = await deps.pagingSlots?.acquire();
      if (!deps.budget.allowsAnotherStep()) {
        // No time left to page: the run is stored in flight, unleased, for a continuation to carry on.
        await peeked?.return?.();
        peeked = undefined;
        firstPage = undefined;
        return result('budget-spent', await lease.claimReleased(prepareToRead(draft)));
      }
      cp = await lease.claim(prepareToRead(draft));
    }
  } catch (error) {
    await peeked?.return?.();
    if (error instanceof LeaseHeldError) return result('lease-held', stored);
    if (error instanceof LeaseLostError) return result('lease-lost', stored);
    // Stopped at the deadline before anything was claimed: the checkpoint is as it was. One in flight is continued; a new run waits for the next tick.
    if (error instanceof DeadlineError) return result(stored.inFlight ? 'budget-spent' : 'idle', stored);
    const described = describeError(error);
    deps.log.error('collection run failed before claiming its lease', { source: key.source, collection: key.collection, error: described });
    // Recorded on the checkpoint as stored (nothing else changes), so `status` shows it; the next tick retries.
    try {
      return result('failed', await lease.claimReleased(recordError(stored, described, deps.clock.nowMs())), described);
    } catch (recordFailure) {
      deps.log.warn('could not record the failure in the checkpoint', { source: key.source, collection: key.collection, error: describeError(recordFailure) });
      return result('failed', stored, described);
    }
  }

  runId = cp.inFlight?.runId;
  try {
    for (;;) {
      window = cp.inFlight?.window;
      const windowDone =
        cp.collection === TRANSCRIPTS
          ? await pageTranscriptsWindow(cp, deps, lease, totals)
          : await pageWindow(cp, deps, lease, totals, peeked && firstPage ? { iterator: peeked, first: firstPage } : undefined);
      peeked = undefined;
      firstPage = undefined;
      cp = windowDone.checkpoint;
      if (windowDone.kind === 'budget-spent') {
        cp = await lease.release(cp);
        return result('budget-spent', cp);
      }
      if (windowDone.kind === 'cursor-expired') {
        totals.cursorRestarts += 1;
        deps.log.warn('cursor expired; reading the window again from its start', { ...logFields(cp) });
        cp = await lease.save(prepareToRead(afterCursorExpired(cp)));
      } else {
        const outcome = afterWindowExhausted(cp, matchedInWindow(cp), deps.policy, deps.clock.nowMs());
        if (outcome.kind === 'split') {
          totals.splits += 1;
          deps.log.warn('query returned the cap: splitting the window', { ...logFields(cp), cap: deps.policy.queryCap });
        }
        if (outcome.kind === 'unsplittable') deps.log.error(outcome.checkpoint.counters.lastError?.message ?? 'unsplittable window', logFields(cp));
        if (outcome.kind === 'complete') {
          cp = await lease.release(outcome.checkpoint);
          return result('caught-up', cp);
        }
        cp = await lease.save(prepareToRead(outcome.checkpoint));
      }
      if (!deps.budget.allowsAnotherStep()) {
        cp = await lease.release(cp);
        return result('budget-spent', cp);
      }
    }
  } catch (error) {
    await peeked?.return?.();
    if (error instanceof LeaseLostError) {
      deps.log.warn('lease lost: another invocation took this collection over; stopping without writing', logFields(cp));
      return result('lease-lost', cp);
    }
    const described = describeError(error);
    deps.log.error('collection run failed', { ...logFields(cp), error: described });
    // Record the failure on what the store holds, not on progress in memory that never landed.
    const persisted = lease.current ?? cp;
    // A stalled cursor cannot be followed; the next run reads the window again with a new query.
    const failed = recordError(error instanceof StalledCursorError ? afterCursorExpired(persisted) : persisted, described, deps.clock.nowMs());
    try {
      cp = await lease.release(failed);
    } catch (releaseError) {
      deps.log.warn('could not record the failure in the checkpoint', { error: describeError(releaseError) });
    }
    return result('failed', cp, described);
  }
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
