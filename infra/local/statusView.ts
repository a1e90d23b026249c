/** Renders checkpoints as a table: for the live status of `npm start`, its summary, and `npm run status`. */
import type { RequestCounters } from '../../functions/handlers/runtime.js';
import type { Checkpoint } from '../../functions/pipeline/checkpoint.js';
import { describeOpenGaps, openGapCount } from '../../functions/pipeline/coverageGaps.js';

/** `requests`: the running functions' ConveYour retries, shown as one counter line instead of a log line per retry. */
export function renderStatus(checkpoints: readonly Checkpoint[], nowMs: number, requests?: RequestCounters): string {
  const rows = sorted(checkpoints).map((cp) => [
    `${cp.source}/${cp.collection}`,
    String(cp.counters.records),
    String(cp.counters.files),
    lag(cp, nowMs),
    cp.inFlight ? `${cp.inFlight.query?.pages ?? 0} pages${cp.inFlight.pending.length ? ` +${cp.inFlight.pending.length} windows` : ''}` : '-',
    clockOffset(cp),
    cp.counters.lastError ? `${cp.counters.lastError.code}` : '',
  ]);
  const text = table(['collection', 'records', 'files', 'lag', 'in flight', 'server clock', 'last error'], rows);
  return [text, ...(requests ? [renderRequests(requests)] : []), ...gapLines(checkpoints)].join('\n');
}

/** Every open coverage gap, tail and backfill windows alike: none is ever left out of a view. */
export function gapLines(checkpoints: readonly Checkpoint[]): string[] {
  const lines = describeOpenGaps(checkpoints);
  if (lines.length === 0) return [];
  const open = checkpoints.reduce((sum, cp) => sum + openGapCount(cp), 0);
  return [`coverage gaps: ${open} open, until acknowledged (npm run gaps -- ack --collection=NAME --second=S; README: Coverage gaps)`, ...lines.map((line) => `  ${line}`)];
}

/** e.g. `ConveYour requests: 3 retried (2 throttled with 429), 0 failed` */
export function renderRequests({ retries, throttled, failures }: RequestCounters): string {
  return `ConveYour requests: ${retries} retried (${throttled} throttled with 429), ${failures} failed`;
}

export function renderSummary(checkpoints: readonly Checkpoint[], nowMs: number, durationMs: number, requests?: RequestCounters): string {
  const tail = sorted(checkpoints);
  const records = tail.reduce((sum, cp) => sum + cp.counters.records, 0);
  const files = tail.reduce((sum, cp) => sum + cp.counters.files, 0);
  return `${renderStatus(checkpoints, nowMs, requests)}\ncaught up: ${tail.length} collections, ${records} records in ${files} files landed in total; this run took ${(durationMs / 1000).toFixed(1)} s`;
}

/** Every field of every checkpoint, for `npm run status`. */
export function renderDetail(checkpoints: readonly Checkpoint[], nowMs: number): string {
  return sorted(checkpoints)
    .map((cp) => {
      const lines = [
        `${cp.source}/${cp.collection}`,
        `  watermark   ${cp.watermark === undefined ? 'none (not started)' : `${iso(cp.watermark * 1000)}  (lag ${lag(cp, nowMs)})`}`,
        `  landed      ${cp.counters.records} records, ${cp.counters.pages} pages, ${cp.counters.files} files, ${cp.counters.bytes} bytes`,
        `  last ok     ${cp.counters.lastSuccessAtMs ? iso(cp.counters.lastSuccessAtMs) : 'never'}`,
        `  server      ${serverClockDetail(cp)}`,
      ];
      const run = cp.inFlight;
      if (run) {
        lines.push(
          `  in flight   run ${run.runId} since ${iso(run.startedAtMs)}: window [${iso(run.window.start * 1000)}, ${iso(run.window.end * 1000)})` +
            `${run.pending.length ? `, ${run.pending.length} more windows to ${iso(run.targetEnd * 1000)}` : ''}`,
          `              ${run.query ? `query ${run.query.queryId}: ${run.query.pages} pages, ${run.query.records} records, next page ${run.query.next ? run.query.next.sequence : 'none'}` : 'query not opened yet'}` +
            `${run.transcripts ? `; transcripts: ${run.transcripts.contacts} contacts, ${run.transcripts.records} records` : ''}` +
            `${run.splits ? `; ${run.splits} cap splits` : ''}${run.cursorRestarts ? `; ${run.cursorRestarts} cursor restarts` : ''}`,
        );
      } else lines.push('  in flight   nothing');
      lines.push(`  lease       ${cp.lease ? `${cp.lease.owner} until ${iso(cp.lease.expiresAtMs)}${cp.lease.expiresAtMs < nowMs ? ' (expired)' : ''}` : 'free'}`);
      if (cp.counters.lastError) lines.push(`  last error  ${cp.counters.lastError.code} at ${iso(cp.counters.lastError.atMs)}: ${cp.counters.lastError.message}`);
      return lines.join('\n');
    })
    .concat(gapLines(checkpoints).join('\n') || [])
    .join('\n\n');
}

/** ConveYour's clock minus ours, as the tail last measured it from an HTTP Date. */
function clockOffset(cp: Checkpoint): string {
  const clock = cp.serverClock;
  if (clock?.missingDateSinceMs !== undefined) return 'no Date';
  if (clock?.observedAtMs === undefined) return '-';
  return `${clock.offsetSeconds > 0 ? '+' : ''}${clock.offsetSeconds}s`;
}

function serverClockDetail(cp: Checkpoint): string {
  const clock = cp.serverClock;
  const offset = clock ? `${clock.offsetSeconds > 0 ? '+' : ''}${clock.offsetSeconds} s` : '';
  if (clock?.missingDateSinceMs !== undefined) {
    return `no usable HTTP Date since ${iso(clock.missingDateSinceMs)}: windows end on our clock ${offset} (the last offset measured), minus the settle margin`;
  }
  if (clock?.observedAtMs === undefined) return 'clock not measured yet';
  return `clock ${offset} from ours (measured ${iso(clock.observedAtMs)}); the watermark is in its time`;
}

/** Now minus the watermark, on the server's clock: the watermark is in its time. */
function lag(cp: Checkpoint, nowMs: number): string {
  if (cp.watermark === undefined) return 'not started';
  const seconds = Math.max(0, Math.round(nowMs / 1000 + (cp.serverClock?.offsetSeconds ?? 0) - cp.watermark));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

/** The tail's checkpoints, in name order; backfill windows (lanes) are shown with their backfill. */
function sorted(checkpoints: readonly Checkpoint[]): Checkpoint[] {
  return checkpoints.filter((cp) => cp.lane === undefined).sort((a, b) => `${a.source}/${a.collection}`.localeCompare(`${b.source}/${b.collection}`));
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
