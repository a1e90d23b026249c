/**
 * Coverage gaps: seconds the pipeline could not read in full, kept in the checkpoint until a
 * person acknowledges them.
 *
 * The API filters by whole seconds and returns at most `queryCap` records per query, so a second
 * whose query returned the cap may hold more records than any window can ever read. Nothing
 * narrower than a second can be asked for: the records past the cap are out of reach of this API.
 * The rest of the window lands as usual; the gap is what must not be forgotten, so it survives
 * later successes (unlike `lastError`) and goes only when `acknowledgeGaps` removes it.
 *
 * The list is bounded: the checkpoint is one DynamoDB item (at most 400 KB). Past
 * MAX_LISTED_GAPS, gaps are only counted (`unlisted`), and every view says so.
 */
import type { Checkpoint, CheckpointKey } from './checkpoint.js';
import { LeaseHeldError, LeaseLostError, PipelineError } from './errors.js';
import type { CheckpointStore, Clock } from './ports.js';
import { TRANSCRIPTS } from '../conveyour/collections.js';
import type { UnixSeconds } from '../conveyour/types.js';

/** One second that returned the cap: records in it may be missing from the landing zone. */
export interface CoverageGap {
  collection: string;
  /** The second [second, second + 1), unix seconds. */
  second: UnixSeconds;
  /**
   * Records the query for this second returned: the cap (contacts, for lesson_transcripts). The API
   * reports no total, so how many the second really holds is unknown: at least this many.
   */
  returned: number;
  /** What the API said the second matched in all, should it ever say; absent while it does not. */
  matched?: number;
  foundAtMs: number;
  /** The run that found it (a backfill's run for a backfill window). */
  runId?: string;
}

/** What the checkpoint keeps: the listed gaps, and how many more were found once the list was full. */
export interface CoverageGaps {
  open: CoverageGap[];
  unlisted: number;
}

/** About 150 bytes a gap in DynamoDB: 200 stay below 30 KB of the item's 400 KB, beside an in-flight run's pending windows. */
export const MAX_LISTED_GAPS = 200;

export function gapsOf(cp: Pick<Checkpoint, 'coverageGaps'>): CoverageGaps {
  return cp.coverageGaps ?? { open: [], unlisted: 0 };
}

/** Listed and unlisted gaps together: what the metric publishes and what `--once` fails on. */
export function openGapCount(cp: Pick<Checkpoint, 'coverageGaps'>): number {
  const gaps = gapsOf(cp);
  return gaps.open.length + gaps.unlisted;
}

/**
 * Adds a gap. The same second found again (the next window's overlap, a retry, a backfill over the
 * same range) is one gap, found when first found. A full list counts the gap instead.
 */
export function withCoverageGap(cp: Checkpoint, gap: CoverageGap, limit = MAX_LISTED_GAPS): Checkpoint {
  const gaps = gapsOf(cp);
  if (gaps.open.some((known) => known.collection === gap.collection && known.second === gap.second)) return cp;
  const next: CoverageGaps = gaps.open.length < limit ? { open: [...gaps.open, gap], unlisted: gaps.unlisted } : { open: gaps.open, unlisted: gaps.unlisted + 1 };
  return { ...cp, coverageGaps: next };
}

/** Which gaps an acknowledgement removes: one second, or every gap (listed and unlisted). */
export type GapSelector = { second: UnixSeconds } | 'all';

export class UnknownGapError extends PipelineError {
  override readonly code = 'UNKNOWN_GAP';
  override name = 'UnknownGapError';
}

/** The acknowledgement waited longer than allowed for a run to release the collection. */
export class AcknowledgeTimeoutError extends PipelineError {
  override readonly code = 'ACKNOWLEDGE_TIMED_OUT';
  override name = 'AcknowledgeTimeoutError';
}

/** The checkpoint without the selected gaps; throws UnknownGapError naming the open ones when none matches. */
export function withoutGaps(cp: Checkpoint, selector: GapSelector): { checkpoint: Checkpoint; removed: number } {
  const gaps = gapsOf(cp);
  const where = `${cp.source}/${cp.collection}${cp.lane ? ` (backfill window ${cp.lane})` : ''}`;
  if (selector === 'all') {
    const removed = openGapCount(cp);
    if (removed === 0) throw new UnknownGapError(`${where} has no open coverage gap`);
    return { checkpoint: { ...cp, coverageGaps: { open: [], unlisted: 0 } }, removed };
  }
  const open = gaps.open.filter((gap) => gap.second !== selector.second);
  if (open.length === gaps.open.length) {
    const known = gaps.open.map((gap) => String(gap.second)).join(', ');
    throw new UnknownGapError(
      `${where} has no open coverage gap at second ${selector.second} (${utc(selector.second)}); ${known ? `open: ${known}` : 'it has none'}${gaps.unlisted ? ` and ${gaps.unlisted} unlisted (--second=all)` : ''}`,
    );
  }
  return { checkpoint: { ...cp, coverageGaps: { open, unlisted: gaps.unlisted } }, removed: gaps.open.length - open.length };
}

export interface AcknowledgeDeps {
  store: CheckpointStore;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  /** How long to wait for a run holding the collection's lease to release it. */
  maxWaitMs: number;
  /** Told once per lease it waits for. */
  onWait?: (owner: string, untilMs: number) => void;
}

/**
 * Removes the selected gaps from one checkpoint with a conditional write that a running tick
 * cannot race: it is written only at the version read and while no live lease is held (the
 * store's `claim` without an owner), so a run never loses its lease to it, and it never
 * overwrites a run's progress. A moved version is read again; a held lease is waited out.
 */
export async function acknowledgeGaps(key: CheckpointKey, selector: GapSelector, deps: AcknowledgeDeps): Promise<{ removed: number; checkpoint: Checkpoint }> {
  const deadline = deps.clock.nowMs() + deps.maxWaitMs;
  let announced: string | undefined;
  for (;;) {
    const stored = await deps.store.load(key);
    if (!stored) throw new UnknownGapError(`${key.source}/${key.collection}${key.lane ? ` (backfill window ${key.lane})` : ''} has no checkpoint: it never ran`);
    const { checkpoint, removed } = withoutGaps(stored, selector);
    const nowMs = deps.clock.nowMs();
    const lease = stored.lease && stored.lease.expiresAtMs > nowMs ? stored.lease : undefined;
    if (!lease) {
      const next: Checkpoint = { ...checkpoint, lease: undefined, version: stored.version + 1 };
      try {
        await deps.store.claim(next, stored.version, nowMs);
        return { removed, checkpoint: next };
      } catch (error) {
        // A run claimed it, or wrote, between the read and the write: read again.
        if (!(error instanceof LeaseHeldError) && !(error instanceof LeaseLostError)) throw error;
      }
    } else if (announced !== `${lease.owner}@${lease.expiresAtMs}`) {
      announced = `${lease.owner}@${lease.expiresAtMs}`;
      deps.onWait?.(lease.owner, lease.expiresAtMs);
    }
    if (deps.clock.nowMs() >= deadline) {
      throw new AcknowledgeTimeoutError(`${key.source}/${key.collection}: a run still holds its lease after ${Math.round(deps.maxWaitMs / 1000)} s; try again when it has finished`);
    }
    await deps.sleep(lease ? Math.min(1_000, Math.max(50, lease.expiresAtMs - nowMs)) : 100);
  }
}

/** One line naming a gap, for status, logs and `--once`. */
export function describeGap(source: string, gap: CoverageGap): string {
  // lesson_transcripts' window selects contacts: its cap is counted in contacts, whose transcripts may be missing.
  const unit = gap.collection === TRANSCRIPTS ? 'contacts' : 'records';
  const count = gap.matched === undefined ? `the query returned the cap of ${gap.returned} ${unit}` : `${gap.matched} ${unit} matched, the query returned ${gap.returned}`;
  return `${source}/${gap.collection} second ${gap.second} (${utc(gap.second)}): ${count}; records of that second may be missing`;
}

/** Every open gap of these checkpoints, one line each, with the unlisted counts. */
export function describeOpenGaps(checkpoints: readonly Checkpoint[]): string[] {
  const lines: string[] = [];
  for (const cp of [...checkpoints].sort((a, b) => `${a.source}/${a.collection}/${a.lane ?? ''}`.localeCompare(`${b.source}/${b.collection}/${b.lane ?? ''}`))) {
    const gaps = gapsOf(cp);
    const lane = cp.lane ? ` (backfill window ${cp.lane})` : '';
    for (const gap of [...gaps.open].sort((a, b) => a.second - b.second)) lines.push(`${describeGap(cp.source, gap)}${lane}`);
    if (gaps.unlisted) lines.push(`${cp.source}/${cp.collection}${lane}: ${gaps.unlisted} more gaps not listed (the list holds ${MAX_LISTED_GAPS}; their seconds are in the logs)`);
  }
  return lines;
}

function utc(second: UnixSeconds): string {
  return new Date(second * 1000).toISOString().replace('.000Z', 'Z');
}
