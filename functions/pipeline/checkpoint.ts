/**
 * The checkpoint of one (source, collection) and the pure rules that move it.
 *
 * Safety rests on three rules, all enforced here or by the store:
 * - the watermark only moves forward, to the end of a window whose every page landed;
 * - the cursor only moves past pages whose S3 objects exist (callers save after writing);
 * - a window whose query returned the API's cap is split and read again, never trusted.
 */
import type { CursorPosition, QueryWindow, UnixSeconds } from '../conveyour/types.js';
import { withCoverageGap, type CoverageGaps } from './coverageGaps.js';

export interface CheckpointKey {
  source: string;
  collection: string;
  /** A separate line of progress on the same collection, e.g. one backfill window; absent for the tail. */
  lane?: string;
}

/** The query being paged within the current window. */
export interface QueryProgress {
  queryId: string;
  /** Next page to fetch; absent once the last page landed. */
  next: CursorPosition | undefined;
  pages: number;
  records: number;
}

/**
 * lesson_transcripts: where in the contacts query the next contact to land is. Resuming
 * inside a page fetched by cursor skips the contacts already landed; inside the first page
 * (which has no cursor, so a new query must be opened and its snapshot may differ) the
 * page is landed again from its start: duplicates, never a skipped contact.
 */
export interface TranscriptProgress {
  contactsQueryId: string;
  /** Next contact to land; undefined once the contacts query is exhausted. */
  next: { contactsPage: CursorPosition | undefined; indexInPage: number } | undefined;
  contacts: number;
  records: number;
}

/** Work under way: a target range, split into windows small enough for the API's cap. */
export interface InFlight {
  runId: string;
  /** The watermark becomes this when every window below has landed. */
  targetEnd: UnixSeconds;
  window: QueryWindow;
  /** Windows still to read after `window`, in order (from cap splits). */
  pending: QueryWindow[];
  query: QueryProgress | undefined;
  transcripts: TranscriptProgress | undefined;
  /**
   * Part of every landing key, with `runId`. Bumped whenever a read may open a query again (next
   * window, cap split, expired cursor, a query reopened after a crash, and every resumed
   * lesson_transcripts read, whose per-contact queries are always new), so a key is only ever
   * written again with the pages it first held: Snowpipe loads a file name once.
   */
  generation: number;
  /** A read has been claimed under this generation: files may have landed under it. */
  queryOpened: boolean;
  startedAtMs: number;
  cursorRestarts: number;
  splits: number;
}

export interface Counters {
  records: number;
  pages: number;
  /** Queries opened: with records, the coverage ledger of a window (absent on checkpoints older than it). */
  queries?: number;
  files: number;
  bytes: number;
  lastSuccessAtMs: number | undefined;
  lastError: { code: string; message: string; atMs: number } | undefined;
}

export interface Lease {
  owner: string;
  expiresAtMs: number;
}

export interface Checkpoint extends CheckpointKey {
  /** Everything created or updated before this has landed; undefined = not started. */
  watermark: UnixSeconds | undefined;
  /** A bounded lane (a backfill window) reads exactly this range, once; the tail has none. */
  bounds?: QueryWindow;
  /** The tail: where its first window started. A backfill up to here meets it without overlap. */
  origin?: UnixSeconds;
  inFlight: InFlight | undefined;
  lease: Lease | undefined;
  counters: Counters;
  /** Incremented by every write: the store's optimistic lock, and proof of order. */
  version: number;
  /** Last time the watermark moved, so idle collections write rarely. */
  watermarkMovedAtMs: number | undefined;
  /** The server's clock as last seen (serverClock.ts): the watermark and windows are in its time. */
  serverClock?: ServerClockReading;
  /** Seconds that returned the cap, kept until acknowledged (coverageGaps.ts); absent when none was ever found. */
  coverageGaps?: CoverageGaps;
}

/** What the tail knows of the server's clock; stored in the checkpoint (serverClock.ts reads and updates it). */
export interface ServerClockReading {
  /** Server minus local, whole seconds, from the last response with a usable Date (0 before any). */
  offsetSeconds: number;
  /** Local time of that response; absent while no response has carried a usable Date. */
  observedAtMs?: number;
  /** Local time since when responses have carried no usable Date; absent while they do. */
  missingDateSinceMs?: number;
}

export function emptyCheckpoint(key: CheckpointKey): Checkpoint {
  return {
    ...key,
    watermark: undefined,
    inFlight: undefined,
    lease: undefined,
    counters: { records: 0, pages: 0, files: 0, bytes: 0, lastSuccessAtMs: undefined, lastError: undefined },
    version: 0,
    watermarkMovedAtMs: undefined,
  };
}

export interface WindowPolicy {
  /** Re-read this many seconds before the watermark: late writes and clock skew. */
  overlapSeconds: number;
  /** Where a collection with no watermark starts (0 = all history). */
  initialStart: UnixSeconds;
  /** The API's per-query record cap. */
  queryCap: number;
}

/**
 * Opens a tail window [watermark - overlap, now) unless work is already in flight; `nowSeconds`
 * is the server's now as the tail knows it (serverClock.ts), and the response that opens the
 * query may pull the run's target end back (`settleRun`). A bounded lane
 * opens its whole range once (no overlap: its neighbours meet it exactly), and nothing once done.
 */
export function beginRun(cp: Checkpoint, nowSeconds: UnixSeconds, nowMs: number, runId: string, policy: WindowPolicy): Checkpoint {
  if (cp.inFlight) return cp;
  if (cp.bounds && isComplete(cp)) return cp;
  const start = cp.bounds ? cp.bounds.start : cp.watermark === undefined ? policy.initialStart : Math.max(0, cp.watermark - policy.overlapSeconds);
  const end = cp.bounds ? cp.bounds.end : Math.max(nowSeconds, start + 1);
  return {
    ...cp,
    ...(cp.bounds || cp.origin !== undefined ? {} : { origin: start }),
    inFlight: {
      runId,
      targetEnd: end,
      window: { start, end },
      pending: [],
      query: undefined,
      transcripts: undefined,
      generation: 0,
      queryOpened: false,
      startedAtMs: nowMs,
      cursorRestarts: 0,
      splits: 0,
    },
  };
}

/** What landed in one flush: the last page written and the totals it carried. */
export interface Flushed {
  queryId: string;
  /** Cursor of the page after the last one written; undefined when that page was the last. */
  next: CursorPosition | undefined;
  pages: number;
  records: number;
  files: number;
  bytes: number;
}

/** Moves the cursor past pages whose objects exist. Call only after the S3 writes succeeded. */
export function afterFlush(cp: Checkpoint, flushed: Flushed, nowMs: number): Checkpoint {
  const inFlight = requireInFlight(cp);
  const previous = inFlight.query?.queryId === flushed.queryId ? inFlight.query : undefined;
  return {
    ...cp,
    inFlight: {
      ...inFlight,
      query: {
        queryId: flushed.queryId,
        next: flushed.next,
        pages: (previous?.pages ?? 0) + flushed.pages,
        records: (previous?.records ?? 0) + flushed.records,
      },
    },
    counters: addCounters(cp.counters, flushed, nowMs),
  };
}

/** lesson_transcripts: moves past contacts whose transcripts landed. */
export function afterTranscriptsFlush(
  cp: Checkpoint,
  flushed: { contactsQueryId: string; next: TranscriptProgress['next']; contacts: number; pages: number; records: number; files: number; bytes: number },
  nowMs: number,
): Checkpoint {
  const inFlight = requireInFlight(cp);
  const previous = inFlight.transcripts?.contactsQueryId === flushed.contactsQueryId ? inFlight.transcripts : undefined;
  return {
    ...cp,
    inFlight: {
      ...inFlight,
      transcripts: {
        contactsQueryId: flushed.contactsQueryId,
        next: flushed.next,
        contacts: (previous?.contacts ?? 0) + flushed.contacts,
        records: (previous?.records ?? 0) + flushed.records,
      },
    },
    counters: addCounters(cp.counters, flushed, nowMs),
  };
}

/** How many records the window's query matched so far: contacts for lesson_transcripts. */
export function matchedInWindow(cp: Checkpoint): number {
  const inFlight = requireInFlight(cp);
  return inFlight.transcripts ? inFlight.transcripts.contacts : (inFlight.query?.records ?? 0);
}

/** Whether the window's query has been read to its end. */
export function windowExhausted(cp: Checkpoint): boolean {
  const inFlight = requireInFlight(cp);
  if (inFlight.transcripts) return inFlight.transcripts.next === undefined;
  return inFlight.query !== undefined && inFlight.query.next === undefined;
}

export type WindowOutcome =
  | { kind: 'next-window'; checkpoint: Checkpoint }
  | { kind: 'split'; checkpoint: Checkpoint }
  | { kind: 'complete'; checkpoint: Checkpoint }
  | { kind: 'unsplittable'; checkpoint: Checkpoint };

/**
 * The window's query is exhausted. `matched` is what the query returned in all (contacts
 * for lesson_transcripts). At the cap the window may have been cut: split it in two and
 * read both halves. Otherwise go on to the next pending window, or finish the run.
 */
export function afterWindowExhausted(cp: Checkpoint, matched: number, policy: WindowPolicy, nowMs: number): WindowOutcome {
  const inFlight = requireInFlight(cp);
  const { window } = inFlight;
  const generation = inFlight.generation + 1;
  if (matched >= policy.queryCap) {
    if (window.end - window.start >= 2) {
      const middle = window.start + Math.floor((window.end - window.start) / 2);
      return {
        kind: 'split',
        checkpoint: {
          ...cp,
          inFlight: {
            ...inFlight,
            window: { start: window.start, end: middle },
            pending: [{ start: middle, end: window.end }, ...inFlight.pending],
            query: undefined,
            transcripts: undefined,
            generation,
            queryOpened: false,
            splits: inFlight.splits + 1,
          },
        },
      };
    }
    // One second holding more than the cap cannot be narrowed through this API: keep it as a gap, go on.
    const next = withCoverageGap(advanceWindow(cp, inFlight, generation, nowMs), { collection: cp.collection, second: window.start, returned: matched, foundAtMs: nowMs, runId: inFlight.runId });
    return {
      kind: 'unsplittable',
      checkpoint: {
        ...next,
        counters: {
          ...next.counters,
          lastError: {
            code: 'WINDOW_UNSPLITTABLE',
            message: `window [${window.start}, ${window.end}) returned the cap of ${policy.queryCap} records and cannot be split further; records in it may be missing`,
            atMs: nowMs,
          },
        },
      },
    };
  }
  const next = advanceWindow(cp, inFlight, generation, nowMs);
  return { kind: next.inFlight ? 'next-window' : 'complete', checkpoint: next };
}

function advanceWindow(cp: Checkpoint, inFlight: InFlight, generation: number, nowMs: number): Checkpoint {
  const [nextWindow, ...rest] = inFlight.pending;
  if (nextWindow) {
    return { ...cp, inFlight: { ...inFlight, window: nextWindow, pending: rest, query: undefined, transcripts: undefined, generation, queryOpened: false } };
  }
  const watermark = Math.max(cp.watermark ?? 0, inFlight.targetEnd);
  return {
    ...cp,
    watermark,
    watermarkMovedAtMs: nowMs,
    inFlight: undefined,
    counters: { ...cp.counters, lastSuccessAtMs: nowMs, lastError: undefined },
  };
}

/** The cursor expired: read the current window again from its start, under new keys. */
export function afterCursorExpired(cp: Checkpoint): Checkpoint {
  const inFlight = requireInFlight(cp);
  return {
    ...cp,
    inFlight: {
      ...inFlight,
      query: undefined,
      transcripts: undefined,
      generation: inFlight.generation + 1,
      queryOpened: false,
      cursorRestarts: inFlight.cursorRestarts + 1,
    },
  };
}

/**
 * For the write that precedes reading the window (every claim, and every new window or restart
 * within a run): when that read opens any new query and an earlier read may have landed files
 * under this generation, the generation moves on, so a new query's records never overwrite the
 * files of another. Only a read that resumes every query by its saved cursor keeps the generation:
 * fetching the same cursors again returns the same pages, so it lands the same keys with the same records.
 */
export function prepareToRead(cp: Checkpoint): Checkpoint {
  const inFlight = cp.inFlight;
  if (!inFlight) return cp;
  const transcripts = inFlight.transcripts;
  // lesson_transcripts inside its first contacts page has no cursor: it reopens the contacts query.
  const opensWindowQuery = transcripts ? transcripts.next !== undefined && transcripts.next.contactsPage === undefined : inFlight.query === undefined;
  // lesson_transcripts fetches every contact's transcripts with a new query, resumed or not.
  const opensAnyQuery = transcripts ? transcripts.next !== undefined : opensWindowQuery;
  if (!opensAnyQuery) return cp;
  return {
    ...cp,
    inFlight: { ...inFlight, generation: inFlight.queryOpened ? inFlight.generation + 1 : inFlight.generation, queryOpened: true },
    // The coverage ledger counts the window's own queries, not the per-contact ones.
    ...(opensWindowQuery ? { counters: { ...cp.counters, queries: (cp.counters.queries ?? 0) + 1 } } : {}),
  };
}

export function recordError(cp: Checkpoint, error: { code: string; message: string }, nowMs: number): Checkpoint {
  return { ...cp, counters: { ...cp.counters, lastError: { code: error.code, message: error.message, atMs: nowMs } } };
}

/** Whether a run that found nothing should still write: idle collections write rarely; a bounded lane must record that it is done. */
export function shouldPersistIdleAdvance(cp: Checkpoint, nowMs: number, idleCheckpointMs: number): boolean {
  return (
    cp.bounds !== undefined ||
    cp.watermarkMovedAtMs === undefined ||
    nowMs - cp.watermarkMovedAtMs >= idleCheckpointMs ||
    cp.counters.lastError !== undefined
  );
}

/** A bounded lane whose whole range has landed. */
export function isComplete(cp: Checkpoint): boolean {
  return cp.bounds !== undefined && cp.inFlight === undefined && cp.watermark !== undefined && cp.watermark >= cp.bounds.end;
}

function addCounters(counters: Counters, flushed: { pages: number; records: number; files: number; bytes: number }, nowMs: number): Counters {
  return {
    ...counters,
    records: counters.records + flushed.records,
    pages: counters.pages + flushed.pages,
    files: counters.files + flushed.files,
    bytes: counters.bytes + flushed.bytes,
    lastSuccessAtMs: nowMs,
  };
}

function requireInFlight(cp: Checkpoint): InFlight {
  if (!cp.inFlight) throw new Error(`checkpoint ${cp.source}/${cp.collection} has no run in flight`);
  return cp.inFlight;
}
