/**
 * Live mode: records created and updated as the clock moves. Every create and update has
 * a fixed place on a seeded schedule (the k-th create of a collection happens at
 * start + 1 + (k + jitter_k) * 60 / rate), and advancing processes them in order, so the
 * data at time T is the same whether the clock got there in one step or in a thousand.
 *
 * No record gets two versions less than minVersionGapSeconds apart: each version is then
 * the record's state for at least that long, so a poller whose snapshots are closer
 * together than the gap observes every version, and "every version lands" is a fair test.
 *
 * The modes the tail cannot see keep that promise: a late-visible version's delay is under
 * the gap, a record is deleted only once its newest version has been visible for the gap,
 * and a transcript changes alone (its contact unchanged) on the same gap.
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
const LIVE_DELETE = 0x11e6;
const LIVE_TRANSCRIPT = 0x11f7;
const LATE_VISIBLE = 0x11a8;
const UPDATE_ATTEMPTS = 8;

export class LiveGenerator {
  private generatedToSec: number;
  private readonly creates = new Map<CollectionName, number>();
  private readonly updates = new Map<CollectionName, number>();
  private readonly bursts: Map<WindowedCollection, BurstFeed>;
  private readonly deletions = new Map<WindowedCollection, number>();
  private transcriptChanges = 0;

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
    const { deletionsPerMinute, transcriptChangesPerMinute } = this.options.live;
    // Deletions and transcript changes depend on what other streams did before them (a record
    // deleted is no longer updated; a transcript added takes the next index), so with them on,
    // every second is generated in turn: the data at T stays the same however the clock got there.
    if (transcriptChangesPerMinute > 0 || Object.values(deletionsPerMinute).some((rate) => rate > 0)) {
      let added = 0;
      for (let second = this.generatedToSec + 1; second <= toSec; second++) added += this.advanceTo(second);
      return added;
    }
    return this.advanceTo(toSec);
  }

  private advanceTo(toSec: number): number {
    let added = 0;
    // Parents first, so a new child can reference a parent created the same minute.
    for (const collection of WINDOWED_COLLECTIONS) added += this.createUntil(collection, toSec);
    for (const collection of [...WINDOWED_COLLECTIONS, 'lesson_transcripts'] as const) added += this.updateUntil(collection, toSec);
    added += this.changeTranscriptsUntil(toSec);
    for (const collection of WINDOWED_COLLECTIONS) this.deleteUntil(collection, toSec);
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
    const transcripts = this.dataset.stores.lesson_transcripts;
    const create = (time: number): void => {
      const index = store.addRecord(time);
      this.maybeLate(collection, store, store.latest[index] as number);
      added++;
      if (collection === 'contacts') {
        added += this.dataset.addTranscripts(index, () => time, (t) => this.maybeLate('lesson_transcripts', transcripts, transcripts.latest[t] as number));
      }
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
      if ((store.created[index] as number) <= quietSince && store.latestTime(index) <= quietSince && !store.deletedAt.has(index)) {
        this.maybeLate(collection, store, store.addVersion(index, time));
        return 1;
      }
    }
    return 0;
  }

  /** Late-visible writes: a seeded draw per version decides whether, and how late, queries see it. */
  private maybeLate(collection: CollectionName, store: CollectionStore, version: number): void {
    const late = this.options.live.lateWrites;
    if (late === undefined) return;
    // Keyed by (record, ordinal), not by the version's index, which depends on how streams interleave.
    const rng = new Rng(hash32(this.options.seed, COLLECTION_IDS[collection], LATE_VISIBLE, store.versionRecord[version] as number, store.versionOrdinal[version] as number));
    if (!rng.chance(late.fraction)) return;
    store.visibleFrom.set(version, (store.versionTime[version] as number) + rng.between(late.minDelaySeconds, late.maxDelaySeconds));
  }

  /** Whether the record exists, is not deleted, and its newest version has been visible since `sinceSec`. */
  private quietSince(store: CollectionStore, index: number, sinceSec: number): boolean {
    if ((store.created[index] as number) > sinceSec || store.deletedAt.has(index)) return false;
    const latest = store.latest[index] as number;
    return (store.visibleFrom.get(latest) ?? (store.versionTime[latest] as number)) <= sinceSec;
  }

  private deleteUntil(collection: WindowedCollection, toSec: number): void {
    const perMinute = this.options.live.deletionsPerMinute[collection];
    if (perMinute <= 0) return;
    let k = this.deletions.get(collection) ?? 0;
    for (let time = this.scheduledTime(collection, LIVE_DELETE, k, perMinute); time <= toSec; time = this.scheduledTime(collection, LIVE_DELETE, k, perMinute)) {
      this.deleteOne(collection, k, time);
      k++;
    }
    this.deletions.set(collection, k);
  }

  /** Deletes one record quiet for the gap (a contact: its transcripts too, all quiet); skipped when a few picks find none. */
  private deleteOne(collection: WindowedCollection, k: number, time: number): void {
    const store = this.dataset.stores[collection];
    const quietSince = time - this.options.minVersionGapSeconds;
    const bound = store.boundCreatedBy(quietSince);
    if (bound === 0) return;
    const transcripts = this.dataset.stores.lesson_transcripts;
    const rng = new Rng(hash32(this.options.seed, COLLECTION_IDS[collection], LIVE_DELETE, k, 1));
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const index = rng.int(bound);
      if (!this.quietSince(store, index, quietSince)) continue;
      const owned = collection === 'contacts' ? this.dataset.transcriptIndices(index) : [];
      if (!owned.every((t) => transcripts.deletedAt.has(t) || this.quietSince(transcripts, t, quietSince))) continue;
      store.deletedAt.set(index, time);
      for (const t of owned) if (!transcripts.deletedAt.has(t)) transcripts.deletedAt.set(t, time);
      return;
    }
  }

  /** Transcripts added to an existing contact, or changed, while the contact itself does not change. */
  private changeTranscriptsUntil(toSec: number): number {
    const perMinute = this.options.live.transcriptChangesPerMinute;
    if (perMinute <= 0) return 0;
    let added = 0;
    let k = this.transcriptChanges;
    for (let time = this.scheduledTime('lesson_transcripts', LIVE_TRANSCRIPT, k, perMinute); time <= toSec; time = this.scheduledTime('lesson_transcripts', LIVE_TRANSCRIPT, k, perMinute)) {
      added += this.changeTranscript(k, time);
      k++;
    }
    this.transcriptChanges = k;
    return added;
  }

  private changeTranscript(k: number, time: number): number {
    const contacts = this.dataset.stores.contacts;
    const transcripts = this.dataset.stores.lesson_transcripts;
    const quietSince = time - this.options.minVersionGapSeconds;
    const bound = contacts.boundCreatedBy(quietSince);
    if (bound === 0) return 0;
    const rng = new Rng(hash32(this.options.seed, COLLECTION_IDS.lesson_transcripts, LIVE_TRANSCRIPT, k, 1));
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const contact = rng.int(bound);
      if (!this.quietSince(contacts, contact, quietSince)) continue;
      const addNew = rng.chance(0.5);
      const quiet = this.dataset.transcriptIndices(contact).filter((t) => this.quietSince(transcripts, t, quietSince));
      let version: number;
      let kind: 'added' | 'changed';
      if (addNew || quiet.length === 0) {
        // Added first: adding may grow (replace) the `latest` array.
        const index = this.dataset.addTranscriptLater(contact, time);
        version = transcripts.latest[index] as number;
        kind = 'added';
      } else {
        version = transcripts.addVersion(rng.pick(quiet), time);
        kind = 'changed';
      }
      this.maybeLate('lesson_transcripts', transcripts, version);
      this.dataset.transcriptChanges.push({ version, kind });
      return 1;
    }
    return 0;
  }
}
