/**
 * The tombstone rule: which ids a finished rescan may declare deleted. Pure: the rescan
 * gathers the inputs (the landing zone's index, what it read, what the tail saw meanwhile)
 * and lands what this returns.
 *
 * A false tombstone deletes live data downstream, a missing one only leaves a deleted record
 * visible until the next rescan, so every doubt withholds: an incomplete rescan emits nothing,
 * and an id is tombstoned only when the rescan should have returned it and nobody has seen it
 * since the rescan began.
 *
 * @example
 * decideTombstones({ collection: 'events', coverage: { start: 0, end: 1_700_000_000 }, known, returned, tailSeen, tombstoned, completeness, foundGoneAt: 1_700_000_100 })
 */
import { TRANSCRIPTS } from '../conveyour/collections.js';
import type { QueryWindow, UnixSeconds } from '../conveyour/types.js';
import { RescanInputError } from './errors.js';

/** One line of `{prefix}deletions/collection={c}/dt={YYYY-MM-DD}/{name}.ndjson.gz`. */
export interface Tombstone {
  collection: string;
  _id: string;
  /** When the rescan found the id gone (unix seconds); its UTC date is the file's `dt`. */
  deleted_at: UnixSeconds;
  /** The id's newest version the landing zone held: the versions up to it are the deleted ones. */
  last_updated_at: UnixSeconds;
}

/** What the landing zone holds of one id. */
export interface LandedId {
  /** The newest landed version's `updated_at` (else `created_at`), unix seconds. */
  lastUpdatedAt: UnixSeconds;
  /** lesson_transcripts: the contact (`con_id`) whose transcripts query returns it. */
  parentId?: string;
}

/** How the rescan went: anything but all windows landed, none cut, no failure withholds every tombstone. */
export interface RescanCompleteness {
  windowsPlanned: number;
  /** Windows read to their end and landed. */
  windowsLanded: number;
  /** Windows whose query stopped at the API's cap (records may be missing from what it returned). */
  windowsCut: number;
  /** Failed reads or writes, of any window. */
  failures: number;
}

export interface TombstoneInput {
  collection: string;
  /** The range the rescan read, [start, end): the API's filter, created or updated in it. */
  coverage: QueryWindow;
  /** Every id the landing zone holds for this source and collection. */
  known: ReadonlyMap<string, LandedId>;
  /** Every id the rescan returned. */
  returned: ReadonlySet<string>;
  /** Ids the tail landed (created or updated) since the rescan began. */
  tailSeen: ReadonlySet<string>;
  /** Ids that already have a tombstone: the `last_updated_at` of the newest one. */
  tombstoned: ReadonlyMap<string, UnixSeconds>;
  completeness: RescanCompleteness;
  /** When the rescan finished, unix seconds: every tombstone's `deleted_at`. */
  foundGoneAt: UnixSeconds;
  /**
   * lesson_transcripts only: the contacts whose transcripts the rescan read to the end. The
   * rescan selects contacts by their own updated_at, so a transcript is known to be gone only
   * when its contact's transcripts were read.
   */
  parentsRead?: ReadonlySet<string>;
  /**
   * More than this share of the candidates gone at once withholds them all (default 0.5): an API
   * that answers empty for an account (wrong key, an outage answered 200) must not delete it downstream.
   */
  maxShare?: number;
}

export type TombstoneDecision =
  | { kind: 'tombstones'; tombstones: Tombstone[]; candidates: number }
  | { kind: 'withheld'; reason: string; tombstones: []; candidates: number };

export const DEFAULT_MAX_SHARE = 0.5;

/** The tombstones a finished rescan may land, or why it may land none. */
export function decideTombstones(input: TombstoneInput): TombstoneDecision {
  checkInput(input);
  const withheld = (reason: string, candidates = 0): TombstoneDecision => ({ kind: 'withheld', reason, tombstones: [], candidates });
  const incomplete = incompleteness(input.completeness);
  if (incomplete) return withheld(`the rescan is not complete: ${incomplete}`);
  const transcripts = input.collection === TRANSCRIPTS;
  if (transcripts && input.parentsRead === undefined) return withheld('a lesson_transcripts rescan must say whose transcripts it read (parentsRead)');

  const candidates: Array<[string, LandedId]> = [];
  for (const entry of input.known) {
    if (shouldHaveReturned(input, entry[1], transcripts)) candidates.push(entry);
  }
  const tombstones: Tombstone[] = [];
  for (const [id, landed] of candidates) {
    if (input.returned.has(id) || input.tailSeen.has(id)) continue;
    const previous = input.tombstoned.get(id);
    // Already tombstoned for this version: a later version would have revived it, none has.
    if (previous !== undefined && previous >= landed.lastUpdatedAt) continue;
    tombstones.push({ collection: input.collection, _id: id, deleted_at: input.foundGoneAt, last_updated_at: landed.lastUpdatedAt });
  }
  const maxShare = input.maxShare ?? DEFAULT_MAX_SHARE;
  if (tombstones.length > 0 && tombstones.length > maxShare * candidates.length) {
    return withheld(`${tombstones.length} of ${candidates.length} ids would be deleted at once, more than the ${maxShare} share allowed (maxShare)`, candidates.length);
  }
  tombstones.sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
  return { kind: 'tombstones', tombstones, candidates: candidates.length };
}

/**
 * Whether the rescan's queries cover the id's newest version. A version stamped before the
 * range, or at or after its end (landed by the tail meanwhile), was never asked for: its absence
 * says nothing. A transcript is asked for through its contact, whatever its own stamp.
 */
function shouldHaveReturned(input: TombstoneInput, landed: LandedId, transcripts: boolean): boolean {
  if (transcripts) return landed.parentId !== undefined && input.parentsRead!.has(landed.parentId) && landed.lastUpdatedAt < input.coverage.end;
  return landed.lastUpdatedAt >= input.coverage.start && landed.lastUpdatedAt < input.coverage.end;
}

function incompleteness(c: RescanCompleteness): string | undefined {
  if (c.windowsPlanned === 0) return 'it planned no windows';
  if (c.failures > 0) return `${c.failures} failure(s)`;
  if (c.windowsCut > 0) return `${c.windowsCut} window(s) cut by the API's cap`;
  if (c.windowsLanded !== c.windowsPlanned) return `${c.windowsLanded} of ${c.windowsPlanned} windows landed`;
  return undefined;
}

function checkInput(input: TombstoneInput): void {
  const seconds = (name: string, value: number) => {
    if (!Number.isSafeInteger(value) || value < 0) throw new RescanInputError(`${name} must be unix seconds (a whole number >= 0), got ${value}`);
  };
  if (input.collection === '') throw new RescanInputError('collection must be a collection name, got an empty string');
  seconds('coverage.start', input.coverage.start);
  seconds('coverage.end', input.coverage.end);
  if (!(input.coverage.end > input.coverage.start)) throw new RescanInputError(`coverage must be [start, end) with start < end, got [${input.coverage.start}, ${input.coverage.end})`);
  seconds('foundGoneAt', input.foundGoneAt);
  for (const [name, value] of Object.entries(input.completeness)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RescanInputError(`completeness.${name} must be a count (a whole number >= 0), got ${value}`);
  }
  if (input.completeness.windowsLanded > input.completeness.windowsPlanned) {
    throw new RescanInputError(`completeness.windowsLanded (${input.completeness.windowsLanded}) cannot exceed windowsPlanned (${input.completeness.windowsPlanned})`);
  }
  const maxShare = input.maxShare ?? DEFAULT_MAX_SHARE;
  if (!(maxShare > 0 && maxShare <= 1)) throw new RescanInputError(`maxShare must be a share in (0, 1], got ${maxShare}`);
  for (const [id, landed] of input.known) {
    if (!Number.isFinite(landed.lastUpdatedAt)) throw new RescanInputError(`known '${id}': lastUpdatedAt must be unix seconds, got ${landed.lastUpdatedAt}`);
  }
}
