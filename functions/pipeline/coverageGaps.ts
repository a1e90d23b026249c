/**
 * Coverage gaps: seconds the pipeline could not read in full, kept in the checkpoint until a
 * person acknowledges them.
 *
 * The API filters by whole seconds and returns at most `queryCap` records per query, so a second
 * whose query returned the cap may hold more records than any window can ever read. Nothing
 * narrower than a second can be asked for: the records past the cap are out of reach of this API.
 * The rest of the window lands as usual; the gap is what must not be forgotten, so it survives
 * later successes (unlike `lastError`) and goes only when `acknowledgeGaps` (coverageGapsAck.ts) removes it.
 *
 * The list is bounded: the checkpoint is one DynamoDB item (at most 400 KB). Past
 * MAX_LISTED_GAPS, gaps are only counted (`unlisted`), and every view says so.
 */
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

/** What these rules read of a checkpoint; structural, so checkpoint.ts can use them without an import cycle. */
export interface HasGaps {
  coverageGaps?: CoverageGaps | undefined;
}

interface GapOwner extends HasGaps {
  source: string;
  collection: string;
  lane?: string | undefined;
}

/** About 150 bytes a gap in DynamoDB: 200 stay below 30 KB of the item's 400 KB, beside an in-flight run's pending windows. */
export const MAX_LISTED_GAPS = 200;

export function gapsOf(cp: HasGaps): CoverageGaps {
  return cp.coverageGaps ?? { open: [], unlisted: 0 };
}

/** Listed and unlisted gaps together: what the metric publishes and what `--once` fails on. */
export function openGapCount(cp: HasGaps): number {
  const gaps = gapsOf(cp);
  return gaps.open.length + gaps.unlisted;
}

/**
 * Adds a gap. The same second found again (the next window's overlap, a retry, a backfill over the
 * same range) is one gap, found when first found. A full list counts the gap instead.
 */
export function withCoverageGap<T extends HasGaps>(cp: T, gap: CoverageGap, limit = MAX_LISTED_GAPS): T {
  const gaps = gapsOf(cp);
  if (gaps.open.some((known) => known.collection === gap.collection && known.second === gap.second)) return cp;
  const next: CoverageGaps = gaps.open.length < limit ? { open: [...gaps.open, gap], unlisted: gaps.unlisted } : { open: gaps.open, unlisted: gaps.unlisted + 1 };
  return { ...cp, coverageGaps: next };
}

/** One line naming a gap, for status, logs and `--once`. */
export function describeGap(source: string, gap: CoverageGap): string {
  // lesson_transcripts' window selects contacts: its cap is counted in contacts, whose transcripts may be missing.
  const unit = gap.collection === TRANSCRIPTS ? 'contacts' : 'records';
  const count = gap.matched === undefined ? `the query returned the cap of ${gap.returned} ${unit}` : `${gap.matched} ${unit} matched, the query returned ${gap.returned}`;
  return `${source}/${gap.collection} second ${gap.second} (${utc(gap.second)}): ${count}; records of that second may be missing`;
}

/** Every open gap of these checkpoints, one line each, with the unlisted counts. */
export function describeOpenGaps(checkpoints: readonly GapOwner[]): string[] {
  const lines: string[] = [];
  for (const cp of [...checkpoints].sort((a, b) => `${a.source}/${a.collection}/${a.lane ?? ''}`.localeCompare(`${b.source}/${b.collection}/${b.lane ?? ''}`))) {
    const gaps = gapsOf(cp);
    const lane = cp.lane ? ` (backfill window ${cp.lane})` : '';
    for (const gap of [...gaps.open].sort((a, b) => a.second - b.second)) lines.push(`${describeGap(cp.source, gap)}${lane}`);
    if (gaps.unlisted) lines.push(`${cp.source}/${cp.collection}${lane}: ${gaps.unlisted} more gaps not listed (the list holds ${MAX_LISTED_GAPS}; their seconds are in the logs)`);
  }
  return lines;
}

export function utc(second: UnixSeconds): string {
  return new Date(second * 1000).toISOString().replace('.000Z', 'Z');
}
