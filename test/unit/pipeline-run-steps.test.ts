/**
 * The pure steps of a collection run (runSteps.ts), one transition per test, and the one
 * failure policy (errors.ts). No store, clock or source: each step gets what it needs.
 */
import { describe, expect, it } from 'vitest';
import { CursorExpiredError, DeadlineError, NetworkError, RetriesExhaustedError, StalledCursorError } from '../../functions/conveyour/errors.js';
import { afterFlush, beginRun, emptyCheckpoint, prepareToRead, type Checkpoint } from '../../functions/pipeline/checkpoint.js';
import { failurePolicy, LeaseHeldError, LeaseLostError } from '../../functions/pipeline/errors.js';
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
} from '../../functions/pipeline/runSteps.js';

const policy = { overlapSeconds: 60, initialStart: 0, queryCap: 100, idleCheckpointMs: 15 * 60_000 };
const key = { source: 'acme', collection: 'events' };
const NOW_MS = 1_700_000_000_000;
const NOW = NOW_MS / 1000;

function stored(overrides: Partial<Checkpoint> = {}): Checkpoint {
  return { ...emptyCheckpoint(key), version: 3, ...overrides };
}

/** A run in flight on [NOW - 600, NOW), claimed (its query opened). */
function inFlight(overrides: Partial<Checkpoint> = {}): Checkpoint {
  return prepareToRead(beginRun(stored({ watermark: NOW - 540, ...overrides }), NOW, NOW_MS, 'run-1', policy));
}

/** The window read to its end with `records` matched. */
function readToEnd(cp: Checkpoint, records: number): Checkpoint {
  return afterFlush(cp, { queryId: 'q1', next: undefined, pages: 1, records, files: 1, bytes: 10 }, NOW_MS);
}

describe('openRun', () => {
  it('yields to a live lease of another invocation', () => {
    const step = openRun(stored({ lease: { owner: 'other', expiresAtMs: NOW_MS + 1 } }), 'tick', 'me', NOW_MS);

    expect(step).toEqual({ kind: 'stop', status: 'lease-held' });
  });

  it('takes over a lease that expired, and its own', () => {
    const expired = openRun(stored({ lease: { owner: 'other', expiresAtMs: NOW_MS } }), 'tick', 'me', NOW_MS);
    const own = openRun(stored({ lease: { owner: 'me', expiresAtMs: NOW_MS + 60_000 } }), 'tick', 'me', NOW_MS);

    expect([expired.kind, own.kind]).toEqual(['new', 'new']);
  });

  it('resumes a run in flight, from a tick or a continuation', () => {
    const cp = inFlight();

    expect([openRun(cp, 'tick', 'me', NOW_MS), openRun(cp, 'continue', 'me', NOW_MS)]).toEqual([{ kind: 'resume' }, { kind: 'resume' }]);
  });

  it('finds no work for a continuation when nothing is in flight', () => {
    expect(openRun(stored(), 'continue', 'me', NOW_MS)).toEqual({ kind: 'stop', status: 'no-work' });
  });
});

describe('openWindow', () => {
  it('opens the tail window from the watermark minus the overlap to now, and keeps the peeked page', () => {
    const step = openWindow(stored({ watermark: NOW - 1000 }), NOW_MS, 'run-7', policy);

    expect(step).toMatchObject({ kind: 'peek', spec: { collection: 'events', window: { start: NOW - 1060, end: NOW } }, keepsPage: true });
    expect(step.kind === 'peek' && step.draft.inFlight?.runId).toBe('run-7');
  });

  it("peeks at lesson_transcripts' contacts and lets its reader open its own queries", () => {
    const step = openWindow({ ...stored(), collection: 'lesson_transcripts' }, NOW_MS, 'run-7', policy);

    expect(step).toMatchObject({ kind: 'peek', spec: { collection: 'contacts' }, keepsPage: false });
  });

  it('opens nothing on a bounded lane already read to its end', () => {
    const done = stored({ bounds: { start: 100, end: 200 }, watermark: 200 });

    expect(openWindow(done, NOW_MS, 'run-7', policy)).toEqual({ kind: 'stop', status: 'caught-up' });
  });
});

describe('afterPeek', () => {
  const draftOf = (cp: Checkpoint) => beginRun(cp, NOW, NOW_MS, 'run-1', policy);

  it('claims a window whose peek found records', () => {
    const draft = draftOf(stored());

    expect(afterPeek(stored(), draft, false, { startedMs: NOW_MS, nowMs: NOW_MS }, policy)).toEqual({ kind: 'claim', checkpoint: draft });
  });

  it('writes nothing for an empty window soon after the watermark moved, and reports the window end as the watermark', () => {
    const recent = stored({ watermark: NOW - 60, watermarkMovedAtMs: NOW_MS - 60_000 });

    const step = afterPeek(recent, draftOf(recent), true, { startedMs: NOW_MS, nowMs: NOW_MS }, policy);

    expect(step).toEqual({ kind: 'stop', status: 'idle', watermark: NOW });
  });

  it('moves an idle watermark in one write once the idle interval passed', () => {
    const old = stored({ watermark: NOW - 60, watermarkMovedAtMs: NOW_MS - policy.idleCheckpointMs });

    const step = afterPeek(old, draftOf(old), true, { startedMs: NOW_MS, nowMs: NOW_MS + 5 }, policy);

    expect(step).toMatchObject({ kind: 'finish', status: 'idle', checkpoint: { watermark: NOW, inFlight: undefined, watermarkMovedAtMs: NOW_MS + 5 } });
  });

  it('finishes an empty bounded lane as caught up, counting its query', () => {
    const lane = stored({ bounds: { start: NOW - 100, end: NOW - 50 } });

    const step = afterPeek(lane, draftOf(lane), true, { startedMs: NOW_MS, nowMs: NOW_MS }, policy);

    expect(step).toMatchObject({ kind: 'finish', status: 'caught-up', checkpoint: { watermark: NOW - 50, counters: { queries: 1 } } });
  });
});

describe('whenSlotHeld', () => {
  it('claims the read, marking its query opened', () => {
    const draft = beginRun(stored(), NOW, NOW_MS, 'run-1', policy);

    const step = whenSlotHeld(draft, false, true);

    expect(step).toMatchObject({ kind: 'claim', checkpoint: { inFlight: { queryOpened: true, generation: 0 } } });
  });

  it('leaves a resumed run as stored when the wait used the time up', () => {
    expect(whenSlotHeld(inFlight(), true, false)).toEqual({ kind: 'stop', status: 'budget-spent', write: undefined });
  });

  it('stores a new run in flight, for a continuation, when the wait used the time up', () => {
    const draft = beginRun(stored(), NOW, NOW_MS, 'run-1', policy);

    const step = whenSlotHeld(draft, false, false);

    expect(step).toMatchObject({ kind: 'stop', status: 'budget-spent', write: { inFlight: { runId: 'run-1', queryOpened: true } } });
  });
});

describe('afterWindow', () => {
  it('lets go with the progress saved when the budget is spent', () => {
    const cp = inFlight();

    expect(afterWindow({ kind: 'budget-spent', checkpoint: cp }, policy, NOW_MS)).toEqual({ step: { kind: 'release', checkpoint: cp, status: 'budget-spent' } });
  });

  it('reads the window again from its start under a new generation when the cursor expired', () => {
    const cp = inFlight();

    const { step, note } = afterWindow({ kind: 'cursor-expired', checkpoint: cp }, policy, NOW_MS);

    expect(note).toEqual({ kind: 'cursor-restart' });
    expect(step).toMatchObject({ kind: 'save', checkpoint: { inFlight: { query: undefined, generation: 1, cursorRestarts: 1, window: cp.inFlight!.window } } });
  });

  it('finishes the run, moving the watermark to its target, when the last window is read below the cap', () => {
    const { step, note } = afterWindow({ kind: 'exhausted', checkpoint: readToEnd(inFlight(), 5) }, policy, NOW_MS);

    expect(note).toBeUndefined();
    expect(step).toMatchObject({ kind: 'release', status: 'caught-up', checkpoint: { watermark: NOW, inFlight: undefined } });
  });

  it('splits a window whose query returned the cap and saves the first half to read', () => {
    const cp = inFlight();

    const { step, note } = afterWindow({ kind: 'exhausted', checkpoint: readToEnd(cp, policy.queryCap) }, policy, NOW_MS);

    expect(note).toEqual({ kind: 'split' });
    expect(step).toMatchObject({ kind: 'save', checkpoint: { inFlight: { window: { start: NOW - 600, end: NOW - 300 }, pending: [{ start: NOW - 300, end: NOW }] } } });
  });

  it('goes on past one second that holds more than the cap, saying so', () => {
    const one = inFlight();
    const second = { ...one, inFlight: { ...one.inFlight!, window: { start: NOW - 1, end: NOW }, targetEnd: NOW } };

    const { step, note } = afterWindow({ kind: 'exhausted', checkpoint: readToEnd(second, policy.queryCap) }, policy, NOW_MS);

    expect(note).toMatchObject({ kind: 'unsplittable', message: expect.stringContaining('cannot be split further') });
    expect(step.kind).toBe('save');
    expect(step.checkpoint.counters.lastError?.code).toBe('WINDOW_UNSPLITTABLE');
  });

  it('saves the next pending window, opening its query under a new generation', () => {
    const cp = inFlight();
    const split = { ...cp, inFlight: { ...cp.inFlight!, window: { start: NOW - 600, end: NOW - 300 }, pending: [{ start: NOW - 300, end: NOW }] } };

    const { step, note } = afterWindow({ kind: 'exhausted', checkpoint: readToEnd(split, 5) }, policy, NOW_MS);

    expect(note).toBeUndefined();
    expect(step).toMatchObject({ kind: 'save', checkpoint: { inFlight: { window: { start: NOW - 300, end: NOW }, pending: [], generation: 1, queryOpened: true } } });
  });
});

describe('afterSave', () => {
  it('reads on while the budget allows a step, and lets go when it does not', () => {
    expect([afterSave(true), afterSave(false)]).toEqual([{ kind: 'read' }, { kind: 'release', status: 'budget-spent' }]);
  });
});

describe('failedBeforeClaim', () => {
  it('stops quietly at a lease another invocation holds or took', () => {
    expect(failedBeforeClaim(new LeaseHeldError('other', NOW_MS + 1), stored(), NOW_MS)).toEqual({ kind: 'stop', status: 'lease-held' });
    expect(failedBeforeClaim(new LeaseLostError('moved'), stored(), NOW_MS)).toEqual({ kind: 'stop', status: 'lease-lost' });
  });

  it('stops quietly at the deadline: a run in flight is continued, a new one waits for the next tick', () => {
    expect(failedBeforeClaim(new DeadlineError('late'), inFlight(), NOW_MS)).toEqual({ kind: 'stop', status: 'budget-spent' });
    expect(failedBeforeClaim(new DeadlineError('late'), stored(), NOW_MS)).toEqual({ kind: 'stop', status: 'idle' });
  });

  it('records any other error on the checkpoint as stored, nothing else changed', () => {
    const before = stored({ watermark: NOW - 100 });

    const step = failedBeforeClaim(new RetriesExhaustedError(3, 900, 'ConveYour kept failing'), before, NOW_MS);

    expect(step).toEqual({
      kind: 'record',
      status: 'failed',
      error: { code: 'CONVEYOUR_RETRIES_EXHAUSTED', message: 'ConveYour kept failing' },
      checkpoint: { ...before, counters: { ...before.counters, lastError: { code: 'CONVEYOUR_RETRIES_EXHAUSTED', message: 'ConveYour kept failing', atMs: NOW_MS } } },
    });
  });
});

describe('failedAfterClaim', () => {
  it('stops without writing when the lease was lost', () => {
    expect(failedAfterClaim(new LeaseLostError('moved'), inFlight(), NOW_MS, false)).toEqual({ kind: 'stop', status: 'lease-lost' });
  });

  it('records a stalled cursor and makes the next run read the window again with a new query', () => {
    const cp = readToEnd(inFlight(), 3);

    const step = failedAfterClaim(new StalledCursorError('the cursor repeated'), cp, NOW_MS, false);

    expect(step).toMatchObject({ kind: 'record', status: 'failed', error: { code: 'CONVEYOUR_STALLED_CURSOR' } });
    expect(step.kind === 'record' && step.checkpoint.inFlight).toMatchObject({ query: undefined, generation: cp.inFlight!.generation + 1 });
  });

  it('records a write stopped at the deadline as a failure: the store may or may not hold it', () => {
    const step = failedAfterClaim(new DeadlineError('write stopped'), inFlight(), NOW_MS, true);

    expect(step).toMatchObject({ kind: 'record', status: 'failed', error: { code: 'DEADLINE_REACHED' } });
  });

  it('records any other error on the progress the store holds, keeping its cursor', () => {
    const cp = afterFlush(inFlight(), { queryId: 'q1', next: { queryId: 'q1', cursor: 'c', sequence: 1 }, pages: 1, records: 1, files: 1, bytes: 1 }, NOW_MS);

    const step = failedAfterClaim(new NetworkError('reset'), cp, NOW_MS, false);

    expect(step.kind === 'record' && step.checkpoint.inFlight?.query?.next).toEqual({ queryId: 'q1', cursor: 'c', sequence: 1 });
  });
});

describe('failurePolicy', () => {
  it.each([
    ['an expired cursor', new CursorExpiredError('gone'), { claimed: true, writesStopped: false }, { policy: 'restart-window' }],
    ['a held lease', new LeaseHeldError('other', NOW_MS), { claimed: false, writesStopped: false }, { policy: 'stop-quietly', reason: 'lease-held' }],
    ['a lost lease', new LeaseLostError('moved'), { claimed: true, writesStopped: true }, { policy: 'stop-quietly', reason: 'lease-lost' }],
    ['a fetch stopped at the deadline', new DeadlineError('late'), { claimed: true, writesStopped: false }, { policy: 'stop-quietly', reason: 'deadline' }],
    ['the deadline before the claim', new DeadlineError('late'), { claimed: false, writesStopped: true }, { policy: 'stop-quietly', reason: 'deadline' }],
    ['a write stopped at the deadline', new DeadlineError('late'), { claimed: true, writesStopped: true }, { policy: 'record-and-retry', rereadWindow: false }],
    ['a stalled cursor', new StalledCursorError('repeated'), { claimed: true, writesStopped: false }, { policy: 'record-and-retry', rereadWindow: true }],
    ['retries run out', new RetriesExhaustedError(3, 1, 'failing'), { claimed: true, writesStopped: false }, { policy: 'record-and-retry', rereadWindow: false }],
    ['a thrown non-error', 'boom', { claimed: true, writesStopped: false }, { policy: 'record-and-retry', rereadWindow: false }],
  ])('classifies %s', (_name, error, when, expected) => {
    expect(failurePolicy(error, when)).toEqual(expected);
  });
});

describe('runResult', () => {
  it('reports the run and window it saw when the checkpoint no longer holds them', () => {
    const totals = { ...noTotals(), records: 4 };

    const result = runResult(key, 'caught-up', stored({ watermark: NOW }), totals, { runId: 'run-1', window: { start: 1, end: 2 } });

    expect(result).toEqual({ key, status: 'caught-up', runId: 'run-1', window: { start: 1, end: 2 }, ...totals, watermark: NOW, openGaps: 0 });
  });
});
