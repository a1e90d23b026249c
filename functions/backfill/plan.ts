/**
 * A backfill's plan: the range cut into windows, and which of them are handed out and done.
 * Pure functions only; the store keeps the plan, the worker and the tick move it.
 *
 * Windows follow the UTC calendar (months, weeks, days or hours, by the range's length), so a
 * re-run of the same range plans the same windows. Its runs land new files (each run has its own
 * id in the key), never over the first backfill's: Snowpipe loads a file name once, so a re-read
 * arrives as new files and duplicates for dedupe. Where data is sparse a window stays wide (one query for a month); where a
 * window holds more than the API's cap its run splits it (the checkpoint's cap rule).
 */
import type { QueryWindow, UnixSeconds } from '../conveyour/types.js';

export interface BackfillRef {
  source: string;
  collection: string;
  id: string;
}

export interface BackfillPlan extends BackfillRef {
  from: UnixSeconds;
  to: UnixSeconds;
  windows: QueryWindow[];
  /** The most windows in flight at once, as asked. */
  maxConcurrency: number;
  /** The windows in flight now: halved when the API throttles, grown by one per clean window. */
  concurrency: number;
  /** Windows [0, dispatched) have been handed out. */
  dispatched: number;
  /** Indexes of the windows read to their end, ascending. */
  completed: number[];
  /** All workers hold back until then: the API asked us to slow down. */
  throttledUntilMs: number;
  createdAtMs: number;
  /** Last time a window completed or was handed out. */
  lastProgressMs: number;
  /**
   * When each window handed out and not done was last sent (index -> ms): with its checkpoint lane's
   * progress, what the tick's stall detector reads, window by window. Absent on older plans.
   */
  sentAtMs?: Record<string, number>;
  status: 'running' | 'done';
  /** Optimistic lock: every save writes version + 1 on version. */
  version: number;
  /**
   * Fresh for every write: a retried write whose first attempt landed finds its own token and
   * version stored, and is done rather than refused (its answer was lost, not its effect).
   */
  writeToken?: string;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

/** Cuts [from, to) on UTC calendar boundaries: months over 90 days, weeks over 14, days over 2, else hours. */
export function planWindows(from: UnixSeconds, to: UnixSeconds): QueryWindow[] {
  if (!(to > from)) throw new RangeError(`a backfill needs from < to, got [${from}, ${to})`);
  const length = to - from;
  const next = length > 90 * DAY ? nextMonth : length > 14 * DAY ? nextWeek : length > 2 * DAY ? (t: number) => ceilTo(t, DAY) : (t: number) => ceilTo(t, HOUR);
  const windows: QueryWindow[] = [];
  for (let start = from; start < to; ) {
    const end = Math.min(to, next(start));
    windows.push({ start, end });
    start = end;
  }
  return windows;
}

function ceilTo(t: number, unit: number): number {
  return (Math.floor(t / unit) + 1) * unit;
}

function nextMonth(t: number): number {
  const date = new Date(t * 1000);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) / 1000;
}

/** The next Monday 00:00 UTC strictly after t (weeks start on Monday, as in ISO 8601). */
function nextWeek(t: number): number {
  const dayStart = Math.floor(t / DAY) * DAY;
  const weekday = (new Date(dayStart * 1000).getUTCDay() + 6) % 7;
  return dayStart + (7 - weekday) * DAY;
}

export function newPlan(ref: BackfillRef, range: { from: UnixSeconds; to: UnixSeconds }, maxConcurrency: number, nowMs: number): BackfillPlan {
  return {
    ...ref,
    ...range,
    windows: planWindows(range.from, range.to),
    maxConcurrency,
    concurrency: maxConcurrency,
    dispatched: 0,
    completed: [],
    throttledUntilMs: 0,
    createdAtMs: nowMs,
    lastProgressMs: nowMs,
    status: 'running',
    version: 0,
  };
}

/** The checkpoint lane of one window: its own item, its own lease, its own progress. */
export function windowLane(id: string, index: number): string {
  return `bf-${id}-w${index}`;
}

export function inFlightCount(plan: BackfillPlan): number {
  return plan.dispatched - plan.completed.filter((index) => index < plan.dispatched).length;
}

/** Hands out windows up to the concurrency limit; returns the plan and the indexes to send. */
export function dispatch(plan: BackfillPlan, nowMs: number): { plan: BackfillPlan; send: number[] } {
  if (plan.status === 'done' || nowMs < plan.throttledUntilMs) return { plan, send: [] };
  const slots = Math.max(0, plan.concurrency - inFlightCount(plan));
  const end = Math.min(plan.windows.length, plan.dispatched + slots);
  const send = range(plan.dispatched, end);
  return { plan: send.length ? resent({ ...plan, dispatched: end }, send, nowMs) : plan, send };
}

/** Windows sent (again) now: each one's stall clock starts over. */
export function resent(plan: BackfillPlan, indexes: readonly number[], nowMs: number): BackfillPlan {
  if (indexes.length === 0) return plan;
  const sentAtMs = { ...plan.sentAtMs };
  for (const index of indexes) sentAtMs[String(index)] = nowMs;
  return { ...plan, sentAtMs, lastProgressMs: nowMs };
}

/** When `index` was last sent; a plan from before per-window times falls back to the plan's own progress. */
export function lastSentMs(plan: BackfillPlan, index: number): number {
  return plan.sentAtMs?.[String(index)] ?? plan.lastProgressMs;
}

/** A window is done: record it, grow the concurrency back by one, finish the plan when all are. */
export function complete(plan: BackfillPlan, index: number, nowMs: number): BackfillPlan {
  const completed = plan.completed.includes(index) ? plan.completed : [...plan.completed, index].sort((a, b) => a - b);
  const done = completed.length === plan.windows.length;
  // Only windows in flight keep a send time: the item stays small however long the plan.
  const { [String(index)]: _done, ...sentAtMs } = plan.sentAtMs ?? {};
  return {
    ...plan,
    completed,
    sentAtMs,
    concurrency: Math.min(plan.maxConcurrency, plan.concurrency + 1),
    lastProgressMs: nowMs,
    status: done ? 'done' : plan.status,
  };
}

/** The API is throttling: every worker holds back for a while, and fewer windows run at once. */
export function throttle(plan: BackfillPlan, nowMs: number, holdMs: number): BackfillPlan {
  return { ...plan, concurrency: Math.max(1, Math.floor(plan.concurrency / 2)), throttledUntilMs: Math.max(plan.throttledUntilMs, nowMs + holdMs) };
}

/**
 * Windows handed out and not done. Sending one again is always safe: a window whose run is alive
 * holds its lease, and the extra message is acknowledged without work.
 */
export function inFlightWindows(plan: BackfillPlan): number[] {
  if (plan.status === 'done') return [];
  const done = new Set(plan.completed);
  return range(0, plan.dispatched).filter((index) => !done.has(index));
}

function range(start: number, end: number): number[] {
  return Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);
}
