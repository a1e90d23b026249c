/**
 * Generates the records that exist when the simulator starts: creation times spread
 * over the history window, and for mutable collections a few later versions, never two
 * closer than the minimum version gap. One seeded stream per collection, consumed in
 * index order, so the same seed always yields the same history.
 */
import { PARENTS, UPDATE_PROFILES, WINDOWED_COLLECTIONS, COLLECTION_IDS, type UpdateProfile } from './catalog.js';
import { BurstFeed } from './bursts.js';
import type { Dataset } from './dataset.js';
import { Rng, hash32 } from './prng.js';
import type { CollectionStore } from './store.js';
import type { ResolvedOptions } from './options.js';

const HISTORY_STREAM = 0x4157;

/**
 * `count` sorted times in [from, to), in O(n) without a buffer: normalised cumulative
 * sums of exponential gaps are sorted uniform draws. The stream is replayed twice (the
 * first pass only sums), which is why it is seeded rather than passed in.
 */
function forEachSortedTime(seed: number, count: number, from: number, to: number, visit: (time: number) => void): void {
  const span = Math.max(0, to - from);
  let total = 0;
  const sum = new Rng(seed);
  for (let i = 0; i <= count; i++) total -= Math.log(1 - sum.next());
  const replay = new Rng(seed);
  let cumulative = 0;
  for (let i = 0; i < count; i++) {
    cumulative -= Math.log(1 - replay.next());
    visit(from + Math.floor((cumulative / total) * span));
  }
}

/** Adds the updated versions of the record just created. */
export function addHistoricalUpdates(store: CollectionStore, index: number, profile: UpdateProfile, gap: number, endSec: number, rng: Rng): void {
  const createdSec = store.created[index] as number;
  let updates = 0;
  while (updates < profile.max && rng.chance(profile.chance)) updates++;
  if (updates === 0) return;
  const latestAllowed = Math.min(endSec, profile.withinSeconds === undefined ? endSec : createdSec + gap + profile.withinSeconds);
  const span = latestAllowed - (createdSec + gap);
  if (span < 0) return;
  const times: number[] = [];
  for (let i = 0; i < updates; i++) times.push(createdSec + gap + Math.floor(rng.next() * (span + 1)));
  times.sort((a, b) => a - b);
  let last = createdSec;
  for (const time of times) {
    if (time - last < gap) continue;
    store.addVersion(index, time);
    last = time;
  }
}

/** Earliest creation time at which every non-empty parent already has a record. */
function earliestWithParents(dataset: Dataset, collection: keyof typeof PARENTS, fromSec: number): number {
  let earliest = fromSec;
  for (const parent of PARENTS[collection]) {
    const store = dataset.stores[parent];
    if (store.count > 0) earliest = Math.max(earliest, (store.created[0] as number) + 1);
  }
  return earliest;
}

export function generateHistory(dataset: Dataset, options: ResolvedOptions): void {
  const endSec = dataset.startSec;
  const fromSec = endSec - Math.round(options.historyDays * 86_400);
  const gap = options.minVersionGapSeconds;
  // WINDOWED_COLLECTIONS lists parents before children, so parents exist when children are placed.
  for (const collection of WINDOWED_COLLECTIONS) {
    const store = dataset.stores[collection];
    const profile = UPDATE_PROFILES[collection];
    const id = COLLECTION_IDS[collection];
    const updates = new Rng(hash32(options.seed, id, HISTORY_STREAM, 2));
    const earliest = Math.min(earliestWithParents(dataset, collection, fromSec), endSec);
    // A burst is a bulk import: created in its second, never updated since.
    const bursts = new BurstFeed(dataset.bursts, collection);
    const addBurstRecord = (second: number): void => void store.addRecord(second);
    forEachSortedTime(hash32(options.seed, id, HISTORY_STREAM, 1), options.counts[collection], earliest, endSec, (createdSec) => {
      bursts.until(createdSec, addBurstRecord);
      const index = store.addRecord(createdSec);
      if (options.historyUpdates) addHistoricalUpdates(store, index, profile, gap, endSec - 1, updates);
    });
    bursts.until(endSec - 1, addBurstRecord);
    store.historicalCount = store.count;
  }
  generateTranscripts(dataset, options, endSec - 1);
}

function generateTranscripts(dataset: Dataset, options: ResolvedOptions, endSec: number): void {
  const contacts = dataset.stores.contacts;
  const transcripts = dataset.stores.lesson_transcripts;
  const rng = new Rng(hash32(options.seed, COLLECTION_IDS.lesson_transcripts, HISTORY_STREAM, 1));
  for (let contact = 0; contact < contacts.count; contact++) {
    const contactCreated = contacts.created[contact] as number;
    dataset.addTranscripts(contact, () => contactCreated + Math.floor(rng.next() * (Math.max(0, endSec - contactCreated) + 1)), (index) => {
      if (options.historyUpdates) addHistoricalUpdates(transcripts, index, UPDATE_PROFILES.lesson_transcripts, options.minVersionGapSeconds, endSec, rng);
    });
  }
  transcripts.historicalCount = transcripts.count;
}
