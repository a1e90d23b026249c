/**
 * The decisions of one collection run, as pure steps: each takes what the run knows now and
 * returns the next thing to do, which runCollection.ts (the driver) then does. No step reads
 * a clock, a budget or a store: whatever it needs is an argument, so every transition is a
 * unit test without a server.
 *
 *   openRun ──stop──────────────────────────────► lease-held | no-work
 *      │ resume                 │ new
 *      │                  openWindow ──stop─────► caught-up (a bounded lane already read)
 *      │                        │ peek
 *      │                  afterPeek ──stop──────► idle (nothing new, nothing written)
 *      │                        │ ──finish──────► idle | caught-up (one write)
 *      ▼                        ▼ claim
 *   whenSlotHeld ──stop─────────────────────────► budget-spent
 *      │ claim
 *      ▼
 *   read the window ─► afterWindow ──release────► caught-up | budget-spent
 *      ▲                     │ save
 *      └──── afterSave ◄─────┘  ──release───────► budget-spent
 *
 * Any error goes through failedBeforeClaim / failedAfterClaim (errors.ts `failurePolicy`).
 */
import type { QuerySpec, QueryWindow } from '../conveyour/types.js';
import { TRANSCRIPTS } from '../conveyour/collections.js';
import {
  afterCursorExpired,
  afterWindowExhausted,
  beginRun,
  matchedInWindow,
  prepareToRead,
  recordError,
  shouldPersistIdleAdvance,
  type Checkpoint,
  type CheckpointKey,
  type ServerClockReading,
  type WindowPolicy,
} from './checkpoint.js';
import { openGapCount } from './coverageGaps.js';
import { describeError, failurePolicy } from './errors.js';
import { serverNowSeconds } from './serverClock.js';
import type { Totals, WindowEnd } from './window.js';

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
  /** Coverage gaps open on the checkpoint the run ended with (coverageGaps.ts), published as a metric; absent when unknown. */
  openGaps?: number;
  /** The server's clock as the run last saw it: its watermark is in that clock's time. */
  serverClock?: ServerClockReading;
  error?: { code: string; message: string };
}

/** What the run has seen beyond its checkpoint: the run it claimed, the window it last read. */
export interface Seen {
  runId?: string | undefined;
  window?: QueryWindow | undefined;
  /** The server's clock as the peek at a new window read it, before (or without) any write. */
  serverClock?: ServerClockReading | undefined;
}

export function noTotals(): Totals {
  return { records: 0, pages: 0, files: 0, bytes: 0, splits: 0, cursorRestarts: 0 };
}

/** The run's report from its last checkpoint (as written, or as stored when nothing was). */
export function runResult(key: CheckpointKey, status: RunStatus, cp: Checkpoint, totals: Totals, seen: Seen = {}, error?: { code: string; message: string }): RunResult {
  const serverClock = seen.serverClock ?? cp.serverClock;
  return {
    key,
    status,
    runId: seen.runId ?? cp.inFlight?.runId,
    window: cp.inFlight?.window ?? seen.window,
    ...totals,
    watermark: cp.watermark,
    openGaps: openGapCount(cp),
    ...(serverClock ? { serverClock } : {}),
    ...(error ? { error } : {}),
  };
}

/** A run with work in flight carries it on; otherwise a tick opens a new window. */
export function openRun(
  stored: Checkpoint,
  mode: 'tick' | 'continue',
  owner: string,
  nowMs: number,
): { kind: 'stop'; status: 'lease-held' | 'no-work' } | { kind: 'resume' } | { kind: 'new' } {
  if (stored.lease && stored.lease.owner !== owner && stored.lease.expiresAtMs > nowMs) return { kind: 'stop', status: 'lease-held' };
  if (stored.inFlight) return { kind: 'resume' };
  return mode === 'continue' ? { kind: 'stop', status: 'no-work' } : { kind: 'new' };
}

/**
 * The one place a run's window is opened (checkpoint.ts `beginRun`), and what to peek at
 * before claiming it: an idle collection then costs one API call and no write at all.
 */
export function openWindow(
  stored: Checkpoint,
  nowMs: number,
  runId: string,
  policy: WindowPolicy,
): { kind: 'stop'; status: 'caught-up' } | { kind: 'peek'; draft: Checkpoint; spec: QuerySpec; keepsPage: boolean } {
  // The window asks for the server's now as last measured; the response that opens it settles its end (serverClock.ts).
  const draft = beginRun(stored, serverNowSeconds(nowMs, stored.serverClock), nowMs, runId, policy);
  // A bounded lane already read to its end: nothing to do, ever again.
  if (!draft.inFlight) return { kind: 'stop', status: 'caught-up' };
  const window = draft.inFlight.window;
  // lesson_transcripts peeks at the window's contacts; its reader opens its own queries.
  if (draft.collection === TRANSCRIPTS) return { kind: 'peek', draft, spec: { collection: 'contacts', window }, keepsPage: false };
  return { kind: 'peek', draft, spec: { collection: draft.collection, window }, keepsPage: true };
}

/**
 * After the peek at a new run's window: `empty` when it found no record and no further page.
 * `draft` is settled already (serverClock.ts `settleOnOpeningPage`): its target end is what the
 * opening response proved, which may lie before the window's end and even, with the clock
 * stepped back, before the stored watermark.
 */
export function afterPeek(
  stored: Checkpoint,
  draft: Checkpoint,
  empty: boolean,
  times: { startedMs: number; nowMs: number },
  policy: WindowPolicy & { idleCheckpointMs: number },
):
  | { kind: 'stop'; status: 'idle'; watermark: number }
  | { kind: 'finish'; checkpoint: Checkpoint; status: 'idle' | 'caught-up' }
  | { kind: 'claim'; checkpoint: Checkpoint } {
  if (!empty) return { kind: 'claim', checkpoint: draft };
  // The window up to its settled end was empty, so everything before that has landed: report that,
  // not the stored watermark, which an idle collection persists only every idleCheckpointMs and
  // would make telemetry see it minutes behind (and publish lag metrics every minute). Never
  // behind the stored watermark: a watermark only moves forward.
  if (!shouldPersistIdleAdvance(stored, times.startedMs, policy.idleCheckpointMs)) {
    return { kind: 'stop', status: 'idle', watermark: Math.max(stored.watermark ?? 0, draft.inFlight!.targetEnd) };
  }
  const checkpoint = afterWindowExhausted(prepareToRead(draft), 0, policy, times.nowMs).checkpoint;
  // A bounded lane with nothing in it is done, not idle: it will never be read again.
  return { kind: 'finish', checkpoint, status: draft.bounds ? 'caught-up' : 'idle' };
}

/**
 * A paging slot is held (the wait may have used the time up). Out of time, a resumed run stays
 * as stored and a new one is stored in flight, unleased: either way a continuation carries on.
 */
export function whenSlotHeld(
  next: Checkpoint,
  resumed: boolean,
  budgetAllows: boolean,
): { kind: 'claim'; checkpoint: Checkpoint } | { kind: 'stop'; status: 'budget-spent'; write: Checkpoint | undefined } {
  if (budgetAllows) return { kind: 'claim', checkpoint: prepareToRead(next) };
  return { kind: 'stop', status: 'budget-spent', write: resumed ? undefined : prepareToRead(next) };
}

/** Something the driver reports (log and totals): the run's course changed within the window's rules. */
export type WindowNote = { kind: 'cursor-restart' } | { kind: 'split' } | { kind: 'unsplittable'; message: string };

/**
 * A window read ended. The run either lets go (done, or out of time) or saves the next read's
 * start (the next window, a split half, or the same window again after an expired cursor).
 */
export function afterWindow(
  end: WindowEnd,
  policy: WindowPolicy,
  nowMs: number,
): { step: { kind: 'release'; checkpoint: Checkpoint; status: 'caught-up' | 'budget-spent' } | { kind: 'save'; checkpoint: Checkpoint }; note?: WindowNote } {
  if (end.kind === 'budget-spent') return { step: { kind: 'release', checkpoint: end.checkpoint, status: 'budget-spent' } };
  if (end.kind === 'cursor-expired') return { step: { kind: 'save', checkpoint: prepareToRead(afterCursorExpired(end.checkpoint)) }, note: { kind: 'cursor-restart' } };
  const outcome = afterWindowExhausted(end.checkpoint, matchedInWindow(end.checkpoint), policy, nowMs);
  if (outcome.kind === 'complete') return { step: { kind: 'release', checkpoint: outcome.checkpoint, status: 'caught-up' } };
  const step = { kind: 'save' as const, checkpoint: prepareToRead(outcome.checkpoint) };
  if (outcome.kind === 'split') return { step, note: { kind: 'split' } };
  // One second holding more than the cap: the outcome moved on past it and recorded why.
  if (outcome.kind === 'unsplittable') return { step, note: { kind: 'unsplittable', message: outcome.checkpoint.counters.lastError?.message ?? 'unsplittable window' } };
  return { step };
}

/** After the save that starts the next read: read on, or let go if no step fits in the time left. */
export function afterSave(budgetAllows: boolean): { kind: 'read' } | { kind: 'release'; status: 'budget-spent' } {
  return budgetAllows ? { kind: 'read' } : { kind: 'release', status: 'budget-spent' };
}

export type FailureStep =
  /** Nothing to write: the checkpoint stays as the store holds it. */
  | { kind: 'stop'; status: 'lease-held' | 'lease-lost' | 'budget-spent' | 'idle' }
  /** Write `checkpoint` and let go: progress as the store holds it, and why the run stopped. */
  | { kind: 'record'; checkpoint: Checkpoint; status: 'failed' | 'budget-spent'; error?: { code: string; message: string } };

/** An error before the lease was claimed (reading the peek, waiting for a slot, the claim itself). */
export function failedBeforeClaim(error: unknown, stored: Checkpoint, nowMs: number): FailureStep {
  const failure = failurePolicy(error, { claimed: false, writesStopped: false });
  if (failure.policy === 'stop-quietly') {
    // Stopped at the deadline before anything was claimed: the checkpoint is as it was. One in flight is continued; a new run waits for the next tick.
    if (failure.reason === 'deadline') return { kind: 'stop', status: stored.inFlight ? 'budget-spent' : 'idle' };
    return { kind: 'stop', status: failure.reason };
  }
  // Recorded on the checkpoint as stored (nothing else changes), so `status` shows it; the next tick retries with a new query anyway.
  const described = describeError(error);
  return { kind: 'record', checkpoint: recordError(stored, described, nowMs), status: 'failed', error: described };
}

/** An error while the lease is held. `persisted`: the checkpoint as last written, not progress in memory that never landed. */
export function failedAfterClaim(error: unknown, persisted: Checkpoint, nowMs: number, writesStopped: boolean): FailureStep {
  const failure = failurePolicy(error, { claimed: true, writesStopped });
  if (failure.policy === 'stop-quietly') {
    // The window reader saves what a stopped fetch left; a stop that reaches the run saves the store's own state.
    if (failure.reason === 'deadline') return { kind: 'record', checkpoint: persisted, status: 'budget-spent' };
    return { kind: 'stop', status: failure.reason };
  }
  const described = describeError(error);
  // A cursor that cannot be followed (expired, or stalled): the next run reads the window again with a new query.
  const reread = failure.policy === 'restart-window' || failure.rereadWindow;
  return { kind: 'record', checkpoint: recordError(reread ? afterCursorExpired(persisted) : persisted, described, nowMs), status: 'failed', error: described };
}

/**
 * A run's status when an error escaped the run itself (its checkpoint could not even be read or
 * written), through the one failure policy: nothing was claimed that we could still write to.
 * A deadline this early is `idle`, not `budget-spent`: we do not know that anything is in flight,
 * and the next tick resumes from the store either way.
 */
export function escapedRunStatus(error: unknown): 'failed' | 'lease-held' | 'lease-lost' | 'idle' {
  const failure = failurePolicy(error, { claimed: false, writesStopped: false });
  if (failure.policy !== 'stop-quietly') return 'failed';
  return failure.reason === 'deadline' ? 'idle' : failure.reason;
}

/**
 * A budget-spent run whose continuation could not be sent, through the one failure policy. The
 * cursor is in the checkpoint, so the next tick resumes either way; the error stays on the result
 * so the report shows the chain broke. A send the deadline stopped keeps `budget-spent`.
 */
export function continuationFailed(run: RunResult, error: unknown): RunResult {
  const failure = failurePolicy(error, { claimed: false, writesStopped: false });
  const status = failure.policy === 'stop-quietly' && failure.reason === 'deadline' ? 'budget-spent' : 'failed';
  return { ...run, status, error: describeError(error) };
}
