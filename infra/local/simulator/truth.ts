/**
 * The truth view: what the simulator holds, for correctness checks. Every version ever
 * created (history and live), the state at any time, the exact list a query would
 * return, and any version's JSON as a page serves it. It reads the stores directly and
 * never advances live mode, so it shows what has been generated so far.
 */
import type { CollectionName } from '../../../functions/conveyour/collections.js';
import type { ConveYourRecord, QueryWindow } from '../../../functions/conveyour/types.js';
import type { PlacedBurst } from './bursts.js';
import type { Dataset } from './dataset.js';
import { idOrder, keyIndex, keyTime, matchTranscripts, matchWindow, orderKey, timeBase } from './queryEngine.js';

/** One version: the (collection, _id, updated_at) that identifies it downstream. */
export interface TruthVersion {
  collection: CollectionName;
  _id: string;
  created_at: number;
  updated_at: number;
  /** lesson_transcripts: the owning contact. */
  con_id?: string;
}

/** A deleted record, as a tombstone would name it (unix seconds). */
export interface TruthDeletion {
  collection: CollectionName;
  _id: string;
  deleted_at: number;
  /** The updated_at of its newest version. */
  last_updated_at: number;
}

export interface Truth {
  /** Every version with updated_at in [from, to), in (updated_at, _id) order; deleted records' versions and late ones included. */
  versions(filter: { collection: CollectionName; from?: number; to?: number }): TruthVersion[];
  /** Each record's state at `timeSec` as a query then sees it (visible, not deleted), in (updated_at, _id) order. */
  stateAt(collection: CollectionName, timeSec: number): TruthVersion[];
  /**
   * What a query opened at `snapshotSec` returns, in page order, before the cap. For
   * lesson_transcripts: one contact's transcripts with `conId`; without it, the hybrid
   * (each contact of the contacts query, then its transcripts), all at the same snapshot.
   */
  expectedQuery(collection: CollectionName, window: QueryWindow, snapshotSec: number, options?: { conId?: string }): TruthVersion[];
  /** The JSON of one version exactly as served, or undefined when there is no such version. */
  record(collection: CollectionName, id: string, updatedAt: number): ConveYourRecord | undefined;
  counts(): Record<CollectionName, { records: number; versions: number }>;
  /** The bursts of the options at their seconds (server clock), due or not; `overCap`: no query can read that second whole. */
  bursts(): Array<PlacedBurst & { overCap: boolean }>;
  /** Every deleted record so far (a deleted contact's transcripts included), in (deleted_at, collection, _id) order. */
  deletions(collection?: CollectionName): TruthDeletion[];
  /** Late-visible versions: queries return them only from `visible_at`, after their `updated_at`; in (updated_at, _id) order. */
  lateVersions(collection: CollectionName): Array<TruthVersion & { visible_at: number }>;
  /** Transcript versions made while their contact did not change, in the order they happened. */
  transcriptChanges(): Array<TruthVersion & { kind: 'added' | 'changed' }>;
}

export function createTruth(dataset: Dataset): Truth {
  const { queryCap } = dataset.options;
  const describe = (collection: CollectionName, index: number, updatedSec: number): TruthVersion => {
    const store = dataset.stores[collection];
    const _id = dataset.idOf(collection, index);
    const created_at = store.created[index] as number;
    // One literal per shape, so every object of a list shares a hidden class.
    if (collection !== 'lesson_transcripts') return { collection, _id, created_at, updated_at: updatedSec };
    return { collection, _id, created_at, updated_at: updatedSec, con_id: dataset.idOf('contacts', store.owner[index] as number) };
  };
  const describeVersion = (collection: CollectionName, version: number): TruthVersion => {
    const store = dataset.stores[collection];
    return describe(collection, store.versionRecord[version] as number, store.versionTime[version] as number);
  };

  /** (updated_at, _id) order of the (time, index) pairs `collect` reports, by one native sort of numeric keys. */
  const ordered = (collection: CollectionName, capacity: number, collect: (emit: (timeSec: number, index: number) => void) => void): TruthVersion[] => {
    const store = dataset.stores[collection];
    const order = idOrder(store);
    const base = timeBase(store);
    const keys = new Float64Array(capacity);
    let count = 0;
    collect((timeSec, index) => (keys[count++] = orderKey(timeSec, order.rankOf(index), base)));
    const sorted = keys.subarray(0, count).sort();
    const out = new Array<TruthVersion>(count);
    for (let i = 0; i < count; i++) {
      const key = sorted[i] as number;
      out[i] = describe(collection, order.indexAt(keyIndex(key)), keyTime(key, base));
    }
    return out;
  };

  return {
    versions({ collection, from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY }) {
      const store = dataset.stores[collection];
      return ordered(collection, store.versionCount, (emit) => {
        for (let version = 0; version < store.versionCount; version++) {
          const time = store.versionTime[version] as number;
          if (time >= from && time < to) emit(time, store.versionRecord[version] as number);
        }
      });
    },

    stateAt(collection, timeSec) {
      const store = dataset.stores[collection];
      return ordered(collection, store.count, (emit) => {
        for (let index = 0; index < store.count; index++) {
          const version = store.versionAt(index, timeSec);
          if (version >= 0) emit(store.versionTime[version] as number, index);
        }
      });
    },

    expectedQuery(collection, window, snapshotSec, options = {}) {
      if (collection !== 'lesson_transcripts') {
        return Array.from(matchWindow(dataset.stores[collection], window, snapshotSec), (v) => describeVersion(collection, v));
      }
      const contacts =
        options.conId !== undefined
          ? [dataset.contactIndexOf(options.conId)]
          : Array.from(matchWindow(dataset.stores.contacts, window, snapshotSec), (v) => dataset.stores.contacts.versionRecord[v] as number);
      return contacts.flatMap((contact) => Array.from(matchTranscripts(dataset, contact, snapshotSec), (v) => describeVersion(collection, v)));
    },

    record(collection, id, updatedAt) {
      const index = dataset.indexOf(collection, id);
      if (index < 0) return undefined;
      const store = dataset.stores[collection];
      const version = store.versionStampedAt(index, updatedAt);
      if (version < 0 || store.versionTime[version] !== updatedAt) return undefined;
      return dataset.materialise(collection, version);
    },

    bursts() {
      // Records of the same collection stamped that second besides the burst count against the cap too.
      return dataset.bursts.map((burst) => {
        const store = dataset.stores[burst.collection];
        const inSecond = store.boundCreatedBy(burst.second) - store.countCreatedBefore(burst.second);
        return { ...burst, overCap: Math.max(inSecond, burst.records) > queryCap };
      });
    },

    deletions(only) {
      const out: TruthDeletion[] = [];
      for (const [collection, store] of Object.entries(dataset.stores) as Array<[CollectionName, (typeof dataset.stores)[CollectionName]]>) {
        if (only !== undefined && collection !== only) continue;
        for (const [index, deleted_at] of store.deletedAt) {
          out.push({ collection, _id: dataset.idOf(collection, index), deleted_at, last_updated_at: store.latestTime(index) });
        }
      }
      return out.sort((a, b) => a.deleted_at - b.deleted_at || (a.collection < b.collection ? -1 : a.collection > b.collection ? 1 : a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
    },

    lateVersions(collection) {
      const store = dataset.stores[collection];
      const visibleAt = new Map<string, number>();
      const late = ordered(collection, store.visibleFrom.size, (emit) => {
        for (const [version, visible] of store.visibleFrom) {
          const index = store.versionRecord[version] as number;
          const updated = store.versionTime[version] as number;
          visibleAt.set(`${index}:${updated}`, visible);
          emit(updated, index);
        }
      });
      return late.map((v) => ({ ...v, visible_at: visibleAt.get(`${dataset.indexOf(collection, v._id)}:${v.updated_at}`) as number }));
    },

    transcriptChanges() {
      return dataset.transcriptChanges.map(({ version, kind }) => ({ ...describeVersion('lesson_transcripts', version), kind }));
    },

    counts() {
      return Object.fromEntries(
        Object.entries(dataset.stores).map(([name, store]) => [name, { records: store.count, versions: store.versionCount }]),
      ) as Record<CollectionName, { records: number; versions: number }>;
    },
  };
}
