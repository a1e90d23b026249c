/** Backfill progress from the plans and their windows' checkpoints: a bar, a summary, and the coverage ledger. */
import type { BackfillPlan } from '../../functions/backfill/plan.js';
import { windowLane } from '../../functions/backfill/plan.js';
import type { Checkpoint } from '../../functions/pipeline/checkpoint.js';

export interface Progress {
  windows: number;
  done: number;
  records: number;
  queries: number;
}

export function progressOf(plans: readonly BackfillPlan[], checkpoints: readonly Checkpoint[]): Progress {
  const lanes = new Map(checkpoints.filter((cp) => cp.lane).map((cp) => [`${cp.source}#${cp.collection}#${cp.lane}`, cp]));
  const progress: Progress = { windows: 0, done: 0, records: 0, queries: 0 };
  for (const plan of plans) {
    progress.windows += plan.windows.length;
    progress.done += plan.completed.length;
    plan.windows.forEach((_, index) => {
      const cp = lanes.get(`${plan.source}#${plan.collection}#${windowLane(plan.id, index)}`);
      progress.records += cp?.counters.records ?? 0;
      progress.queries += cp?.counters.queries ?? 0;
    });
  }
  return progress;
}

/** `windows 12/95 [#####.......] 1,234,567 records  45,000 rec/s  ETA 3m12s` */
export function renderBar(progress: Progress, elapsedMs: number, width = 24): string {
  const fraction = progress.windows === 0 ? 1 : progress.done / progress.windows;
  const filled = Math.round(fraction * width);
  const rate = elapsedMs > 0 ? (progress.records * 1000) / elapsedMs : 0;
  const eta = progress.done > 0 && progress.done < progress.windows ? ((elapsedMs / progress.done) * (progress.windows - progress.done)) : undefined;
  return (
    `windows ${progress.done}/${progress.windows} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` +
    `${progress.records.toLocaleString('en-US')} records  ${Math.round(rate).toLocaleString('en-US')} rec/s` +
    (eta === undefined ? '' : `  ETA ${duration(eta)}`)
  );
}

/**
 * The coverage ledger of one plan: each window, what it landed, and whether it is done. The
 * gaps are parts of [from, to) not covered by a window read to its end.
 */
export function ledger(plan: BackfillPlan, checkpoints: readonly Checkpoint[]): { rows: string[]; gaps: Array<[number, number]> } {
  const lanes = new Map(checkpoints.filter((cp) => cp.lane).map((cp) => [cp.lane!, cp]));
  const gaps: Array<[number, number]> = [];
  const rows = plan.windows.map((window, index) => {
    const cp = lanes.get(windowLane(plan.id, index));
    const complete = cp !== undefined && cp.inFlight === undefined && (cp.watermark ?? -1) >= window.end;
    if (!complete) gaps.push([window.start, window.end]);
    const state = complete ? 'done' : cp?.inFlight ? 'running' : plan.completed.includes(index) ? 'MISSING' : index < plan.dispatched ? 'queued' : 'waiting';
    return `  ${String(index).padStart(4)}  ${iso(window.start)} .. ${iso(window.end)}  ${state.padEnd(7)}  ${String(cp?.counters.records ?? 0).padStart(9)} records  ${cp?.counters.queries ?? 0} queries${cp?.counters.lastError ? `  last error ${cp.counters.lastError.code}` : ''}`;
  });
  return { rows, gaps: merge(gaps) };
}

function merge(ranges: Array<[number, number]>): Array<[number, number]> {
  const merged: Array<[number, number]> = [];
  for (const [start, end] of ranges) {
    const last = merged.at(-1);
    if (last && last[1] === start) last[1] = end;
    else merged.push([start, end]);
  }
  return merged;
}

export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

export function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
