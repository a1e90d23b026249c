import { describe, expect, it } from 'vitest';
import {
  afterCursorExpired,
  afterFlush,
  afterWindowExhausted,
  beginRun,
  emptyCheckpoint,
  prepareToRead,
  shouldPersistIdleAdvance,
  type Checkpoint,
} from '../../functions/pipeline/checkpoint.js';

const policy = { overlapSeconds: 60, initialStart: 0, queryCap: 100 };
const key = { source: 'acme', collection: 'events' };
const NOW_MS = 1_700_000_000_000;

function running(window = { start: 1000, end: 2000 }, watermark?: number): Checkpoint {
  const cp = beginRun({ ...emptyCheckpoint(key), watermark: watermark }, window.end, NOW_MS, 'run-1', policy);
  return { ...cp, inFlight: { ...cp.inFlight!, window, targetEnd: window.end } };
}

describe('checkpoint transitions', () => {
  it('opens the first window at the initial start when there is no watermark', () => {
    const cp = beginRun(emptyCheckpoint(key), 5000, NOW_MS, 'run-1', { ...policy, initialStart: 1234 });
    expect(cp.inFlight?.window).toEqual({ start: 1234, end: 5000 });
    expect(cp.inFlight?.targetEnd).toBe(5000);
  });

  it('opens a tail window that re-reads the overlap before the watermark', () => {
    const cp = beginRun({ ...emptyCheckpoint(key), watermark: 4000 }, 5000, NOW_MS, 'run-1', policy);
    expect(cp.inFlight?.window).toEqual({ start: 3940, end: 5000 });
  });

  it('leaves a run already in flight untouched', () => {
    const inFlight = running();
    expect(beginRun(inFlight, 9999, NOW_MS, 'run-2', policy)).toBe(inFlight);
  });

  it('moves the cursor and counters after a flush', () => {
    const cp = afterFlush(running(), { queryId: 'q1', next: { queryId: 'q1', cursor: 'c2', sequence: 2 }, pages: 2, records: 20, files: 1, bytes: 300 }, NOW_MS);
    expect(cp.inFlight?.query).toEqual({ queryId: 'q1', next: { queryId: 'q1', cursor: 'c2', sequence: 2 }, pages: 2, records: 20 });
    expect(cp.counters).toMatchObject({ records: 20, pages: 2, files: 1, bytes: 300, lastSuccessAtMs: NOW_MS });
  });

  it('restarts query totals when a new query id appears', () => {
    const first = afterFlush(running(), { queryId: 'q1', next: { queryId: 'q1', cursor: 'c1', sequence: 1 }, pages: 1, records: 10, files: 1, bytes: 1 }, NOW_MS);
    const second = afterFlush(first, { queryId: 'q2', next: undefined, pages: 1, records: 3, files: 1, bytes: 1 }, NOW_MS);
    expect(second.inFlight?.query).toMatchObject({ queryId: 'q2', records: 3, pages: 1 });
    expect(second.counters.records).toBe(13);
  });

  it('moves the watermark to the target end when the last window is exhausted', () => {
    const outcome = afterWindowExhausted(running({ start: 1000, end: 2000 }, 1060), 5, policy, NOW_MS);
    expect(outcome.kind).toBe('complete');
    expect(outcome.checkpoint.watermark).toBe(2000);
    expect(outcome.checkpoint.inFlight).toBeUndefined();
  });

  it('never moves the watermark backwards', () => {
    const cp = running({ start: 1000, end: 2000 }, 5000);
    expect(afterWindowExhausted(cp, 0, policy, NOW_MS).checkpoint.watermark).toBe(5000);
  });

  it('splits a window whose query returned the cap and keeps the second half pending', () => {
    const outcome = afterWindowExhausted(running({ start: 1000, end: 2000 }), 100, policy, NOW_MS);
    expect(outcome.kind).toBe('split');
    expect(outcome.checkpoint.inFlight).toMatchObject({ window: { start: 1000, end: 1500 }, pending: [{ start: 1500, end: 2000 }], query: undefined, splits: 1 });
    expect(outcome.checkpoint.watermark).toBeUndefined();
  });

  it('goes on to the pending window after a half completes, under a new generation', () => {
    const split = afterWindowExhausted(running({ start: 1000, end: 2000 }), 100, policy, NOW_MS).checkpoint;
    const next = afterWindowExhausted(split, 40, policy, NOW_MS);
    expect(next.kind).toBe('next-window');
    expect(next.checkpoint.inFlight?.window).toEqual({ start: 1500, end: 2000 });
    expect(next.checkpoint.inFlight?.generation).toBeGreaterThan(split.inFlight!.generation);
  });

  it('reports a one-second window at the cap as unsplittable, records the error, and moves on', () => {
    const outcome = afterWindowExhausted(running({ start: 1000, end: 1001 }), 100, policy, NOW_MS);
    expect(outcome.kind).toBe('unsplittable');
    expect(outcome.checkpoint.counters.lastError?.code).toBe('WINDOW_UNSPLITTABLE');
    expect(outcome.checkpoint.watermark).toBe(1001);
  });

  it('restarts the window from its start under a new generation when the cursor expired', () => {
    const paged = afterFlush(running(), { queryId: 'q1', next: { queryId: 'q1', cursor: 'c5', sequence: 5 }, pages: 5, records: 50, files: 1, bytes: 1 }, NOW_MS);
    const restarted = afterCursorExpired(paged);
    expect(restarted.inFlight?.query).toBeUndefined();
    expect(restarted.inFlight?.window).toEqual(paged.inFlight?.window);
    expect(restarted.inFlight?.generation).toBe(paged.inFlight!.generation + 1);
    expect(restarted.inFlight?.cursorRestarts).toBe(1);
  });

  it('persists an idle advance only when the last one is old enough or an error must be cleared', () => {
    const cp = { ...emptyCheckpoint(key), watermarkMovedAtMs: NOW_MS - 60_000 };
    expect(shouldPersistIdleAdvance(cp, NOW_MS, 900_000)).toBe(false);
    expect(shouldPersistIdleAdvance(cp, NOW_MS + 900_000, 900_000)).toBe(true);
    expect(shouldPersistIdleAdvance({ ...cp, counters: { ...cp.counters, lastError: { code: 'X', message: 'x', atMs: 1 } } }, NOW_MS, 900_000)).toBe(true);
    expect(shouldPersistIdleAdvance(emptyCheckpoint(key), NOW_MS, 900_000)).toBe(true);
  });

  it('marks a fresh window as opened without moving its generation', () => {
    const prepared = prepareToRead(running());
    expect(prepared.inFlight).toMatchObject({ generation: 0, queryOpened: true });
  });

  it('moves the generation when a query is reopened on a window that may have landed files', () => {
    const reopened = prepareToRead(prepareToRead(running()));
    expect(reopened.inFlight).toMatchObject({ generation: 1, queryOpened: true });
  });

  it('keeps the generation when resuming a saved cursor: the same pages land on the same keys', () => {
    const opened = prepareToRead(running());
    const paged = afterFlush(opened, { queryId: 'q1', next: { queryId: 'q1', cursor: 'c2', sequence: 2 }, pages: 2, records: 20, files: 1, bytes: 1 }, NOW_MS);
    expect(prepareToRead(paged)).toBe(paged);
  });

  it('does not move the generation twice after a transition that already moved it', () => {
    const split = afterWindowExhausted(prepareToRead(running()), 100, policy, NOW_MS).checkpoint;
    expect(prepareToRead(split).inFlight).toMatchObject({ generation: 1, queryOpened: true });
  });

  it('treats lesson_transcripts inside its first contacts page as a reopened query', () => {
    const opened = prepareToRead(running());
    const inFirstPage = { ...opened, inFlight: { ...opened.inFlight!, transcripts: { contactsQueryId: 'q1', next: { contactsPage: undefined, indexInPage: 4 }, contacts: 4, records: 9 } } };
    expect(prepareToRead(inFirstPage).inFlight?.generation).toBe(1);
    expect(prepareToRead(inFirstPage).counters.queries).toBe(2);
  });

  it('moves the generation for lesson_transcripts resumed by cursor: each contact is fetched with a new query', () => {
    const opened = prepareToRead(running());
    const inLaterPage = {
      ...opened,
      inFlight: { ...opened.inFlight!, transcripts: { contactsQueryId: 'q1', next: { contactsPage: { queryId: 'q1', cursor: 'c', sequence: 1 }, indexInPage: 0 }, contacts: 4, records: 9 } },
    };
    const resumed = prepareToRead(inLaterPage);
    expect(resumed.inFlight).toMatchObject({ generation: 1, queryOpened: true });
    // The contacts query itself is resumed, not reopened: the coverage ledger counts it once.
    expect(resumed.counters.queries).toBe(1);
  });

  it('keeps a lesson_transcripts window read to its end as it is: nothing is read again', () => {
    const opened = prepareToRead(running());
    const exhausted = { ...opened, inFlight: { ...opened.inFlight!, transcripts: { contactsQueryId: 'q1', next: undefined, contacts: 4, records: 9 } } };
    expect(prepareToRead(exhausted)).toBe(exhausted);
  });
});
