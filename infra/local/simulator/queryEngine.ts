/**
 * What a query returns, computed from the stored versions: the state of every record at
 * the snapshot time, filtered by "created or updated >= start and < end", in
 * (updated_at, _id) order. Pure functions of the stores, shared by the API and the truth
 * view; both stay fast at a million records because they scan typed arrays only.
 */
import type { QueryWindow } from '../../../functions/conveyour/types.js';
import type { Dataset } from './dataset.js';
import type { CollectionStore } from './store.js';

// Sort key = (updated_at - base) * 2^23 + index: exact in a double while the time offset
// stays under 2^30 s (34 years), and index order is _id order (see objectId.ts), so a
// native numeric sort gives (updated_at, _id) order without a comparator.
const INDEX_SPACE = 2 ** 23;

/** The smallest created_at among the first `count` records: every updated_at is at least that. */
export function timeBase(store: CollectionStore, count = store.count): number {
  if (count === 0) return 0;
  return store.sortedByCreated ? (store.created[0] as number) : store.created.subarray(0, count).reduce((a, b) => Math.min(a, b));
}

export function orderKey(timeSec: number, index: number, base: number): number {
  return (timeSec - base) * INDEX_SPACE + index;
}

export function keyIndex(key: number): number {
  return key % INDEX_SPACE;
}

export function keyTime(key: number, base: number): number {
  return Math.floor(key / INDEX_SPACE) + base;
}

/**
 * Positions in `_id` order. For stores indexed in creation order that is the index itself;
 * lesson transcripts are grouped by contact instead, and `_id` (creation time, then
 * counter) order is computed with one native sort.
 */
export interface IdOrder {
  rankOf(index: number): number;
  indexAt(rank: number): number;
}

const IDENTITY_ORDER: IdOrder = { rankOf: (index) => index, indexAt: (rank) => rank };

export function idOrder(store: CollectionStore): IdOrder {
  if (store.sortedByCreated) return IDENTITY_ORDER;
  const base = timeBase(store);
  const keys = new Float64Array(store.count);
  for (let index = 0; index < store.count; index++) keys[index] = orderKey(store.created[index] as number, index, base);
  keys.sort();
  const indexAt = new Uint32Array(store.count);
  const rankOf = new Uint32Array(store.count);
  for (let rank = 0; rank < store.count; rank++) {
    const index = keyIndex(keys[rank] as number);
    indexAt[rank] = index;
    rankOf[index] = rank;
  }
  return { rankOf: (index) => rankOf[index] as number, indexAt: (rank) => indexAt[rank] as number };
}

/** Version indices matching the window at `snapshotSec`, in (updated_at, _id) order; not capped. */
export function matchWindow(store: CollectionStore, window: QueryWindow, snapshotSec: number): Uint32Array {
  const { start, end } = window;
  const count = store.sortedByCreated ? store.boundCreatedBy(snapshotSec) : store.count;
  if (count === 0 || start >= end) return new Uint32Array(0);
  const base = timeBase(store, count);
  const keys = new Float64Array(count);
  let matches = 0;
  for (let index = 0; index < count; index++) {
    const version = store.versionAt(index, snapshotSec);
    if (version < 0) continue;
    const updated = store.versionTime[version] as number;
    const created = store.created[index] as number;
    if ((updated >= start && updated < end) || (created >= start && created < end)) {
      keys[matches++] = orderKey(updated, index, base);
    }
  }
  const sorted = keys.subarray(0, matches).sort();
  const versions = new Uint32Array(matches);
  for (let i = 0; i < matches; i++) versions[i] = store.versionAt(keyIndex(sorted[i] as number), snapshotSec);
  return versions;
}

/**
 * A contact's transcripts as of the snapshot, whatever the window (the real API filters
 * lesson_transcripts by the contact's update time, which the contacts query already did).
 */
export function matchTranscripts(dataset: Dataset, contactIndex: number, snapshotSec: number): Uint32Array {
  if (contactIndex < 0 || dataset.stores.contacts.versionAt(contactIndex, snapshotSec) < 0) return new Uint32Array(0);
  const store = dataset.stores.lesson_transcripts;
  const rows: Array<{ version: number; updated: number; id: string }> = [];
  for (const index of dataset.transcriptIndices(contactIndex)) {
    const version = store.versionAt(index, snapshotSec);
    if (version >= 0) rows.push({ version, updated: store.versionTime[version] as number, id: dataset.idOf('lesson_transcripts', index) });
  }
  rows.sort((a, b) => a.updated - b.updated || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return Uint32Array.from(rows, (row) => row.version);
}
