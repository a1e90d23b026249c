/**
 * Live mode: records created and updated as the clock moves. Every create and update has
 * a fixed place on a seeded schedule (the k-th create of a collection happens at
 * start + 1 + (k + jitter_k) * 60 / rate), and advancing processes them in order, so the
 * data at time T is the same whether the clock got there in one step or in a thousand.
 *
 * No record gets two versions less than minVersionGapSeconds apart: each version is then
 * the record's state for at least that long, so a poller whose snapshots are closer
 * together than the gap observes every version, and "every version lands" is a fair test.
 */
import { BurstFeed } from './bursts.js';
import { COLLECTION_IDS, WINDOWED_COLLECTIONS, type WindowedCollection } from './catalog.js';
import type { Dataset } from './dataset.js';
import type { ResolvedOptions } from './options.js';
import { Rng, hash32 } from './prng.js';
import type { CollectionStore } from './store.js';
import type { CollectionName } from '../../../functions/conveyour/collections.js';

const LIVE_CREATE = 0x11c4;
const LIVE_UPDATE = 0x11d5;
const UPDATE_ATTEMPTS = 8;

export class LiveGenerator {
  private generatedToSec: number;
  private readonly creates = new Map<CollectionName, number>();
  private readonly updates = new Map<CollectionName, number>();
  private readonly bursts: Map<WindowedCollection, BurstFeed>;

  constructor(
    private readonly dataset: Dataset,
    private readonly options: ResolvedOptions,
  ) {
    // History ends before startSec and live mode begins after it, so the data at the start
    // second is the history alone, whether or not live mode has run yet.
    this.generatedToSec = dataset.startSec;
    this.bursts = new Map(WINDOWED_COLLECTIONS.map((c) => [c, new BurstFeed(dataset.bursts, c, dataset.startSec)]));
  }

  /** Everything due up to and including `toSec`; returns the number of versions added. */
  advance(toSec: number): number {
    if (toSec <= this.generatedToSec) return 0;
    let added = 0;
    // Parents first, so a new child can reference a parent created the same minute.
    for (const collection of WINDOWED_COLLECTIONS) added += this.createUntil(collection, toSec);
    for (const collection of [...WINDOWED_COLLECTIONS, 'lesson_transcripts'] as const) added += this.updateUntil(collection, toSec);
    this.generatedToSec = toSec;
    return added;
  }

  private scheduledTime(collection: CollectionName, stream: number, k: number, perMinute: number): number {
    const jitter = new Rng(hash32(this.options.seed, COLLECTION_IDS[collection], stream, k)).next();
    return this.dataset.startSec + 1 + Math.floor(((k + jitter) * 60) / perMinute);
  }

  private createUntil(collection: WindowedCollection, toSec: number): number {
    const perMinute = this.options.live.createsPerMinute[collection];
    const store = this.dataset.stores[collection];
    const bursts = this.bursts.get(collection) as BurstFeed;
    let added = 0;
    const create = (time: number): void => {
      const index = store.addRecord(time);
      added++;
      if (collection === 'contacts') added += this.dataset.addTranscripts(index, () => time);
    };
    let k = this.creates.get(collection) ?? 0;
    if (perMinute > 0) {
      for (let time = this.scheduledTime(collection, LIVE_CREATE, k, perMinute); time <= toSec; time = this.scheduledTime(collection, LIVE_CREATE, k, perMinute)) {
        bursts.until(time, create);
        create(time);
        k++;
      }
    }
    bursts.until(toSec, create);
    this.creates.set(collection, k);
    return added;
  }

  private updateUntil(collection: CollectionName, toSec: number): number {
    const perMinute = this.options.live.updatesPerMinute[collection];
    if (perMinute <= 0) return 0;
    const store = this.dataset.stores[collection];
    let k = this.updates.get(collection) ?? 0;
    let added = 0;
    for (let time = this.scheduledTime(collection, LIVE_UPDATE, k, perMinute); time <= toSec; time = this.scheduledTime(collection, LIVE_UPDATE, k, perMinute)) {
      added += this.updateOne(store, collection, k, time);
      k++;
    }
    this.updates.set(collection, k);
    return added;
  }

  /** Updates one record that has been quiet for the gap; skipped when a few picks find none. */
  private updateOne(store: CollectionStore, collection: CollectionName, k: number, time: number): number {
    const quietSince = time - this.options.minVersionGapSeconds;
    const bound = store.boundCreatedBy(quietSince);
    if (bound === 0) return 0;
    const rng = new Rng(hash32(this.options.seed, COLLECTION_IDS[collection], LIVE_UPDATE, k, 1));
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const index = rng.int(bound);
      if ((store.created[index] as number) <= quietSince && store.latestTime(index) <= quietSince) {
        store.addVersion(index, time);
        return 1;
      }
    }
    return 0;
  }
}
