/**
 * Every simulated record, held compactly (see store.ts), and the way back from a stored
 * version to the record's JSON: the shape builder of its collection, fed with randomness
 * derived from (seed, collection, index, version). Same seed, same bytes.
 */
import { COLLECTIONS, type CollectionName } from '../../../functions/conveyour/collections.js';
import type { ConveYourRecord } from '../../../functions/conveyour/types.js';
import { COLLECTION_IDS } from './catalog.js';
import { placeBursts, type PlacedBurst } from './bursts.js';
import { generateHistory } from './history.js';
import { collectionIdTag, indexOfObjectId, objectId } from './objectId.js';
import type { ResolvedOptions } from './options.js';
import { hash32, Rng, rngFor } from './prng.js';
import { SHAPES, type ShapeContext } from './shapes/index.js';
import { loremText } from './shapes/vocabulary.js';
import { CollectionStore } from './store.js';

const FIXED_STREAM = 0xf1;
const VERSION_STREAM = 0xf2;
const TRANSCRIPT_COUNT_STREAM = 0xf3;
const PADDING_KEY_LENGTH = '"padding":"",'.length;
const D_OPENING = '"d":{';

export class Dataset {
  readonly stores: Record<CollectionName, CollectionStore>;
  private readonly idTags: Record<CollectionName, string>;
  /** Per contact: its transcripts are stores.lesson_transcripts[first, first + count). */
  private transcriptFirst = new Uint32Array(0);
  private transcriptCount = new Uint8Array(0);
  /** Per contact: transcripts added after it was created (transcript-changes mode), outside its range. */
  private readonly addedTranscripts = new Map<number, number[]>();
  /** Transcript versions made while their contact did not change (live transcript changes), in order. */
  readonly transcriptChanges: Array<{ version: number; kind: 'added' | 'changed' }> = [];
  private readonly context: ShapeContext;
  /** Every burst of the options, at its second. */
  readonly bursts: PlacedBurst[];

  constructor(
    readonly options: ResolvedOptions,
    /** Unix seconds at start: history ends just before it, live mode begins at it. */
    readonly startSec: number,
  ) {
    const { seed, counts } = options;
    this.bursts = placeBursts(options.bursts, startSec);
    this.idTags = Object.fromEntries(COLLECTIONS.map((c) => [c, collectionIdTag(seed, COLLECTION_IDS[c])])) as Record<CollectionName, string>;
    const perContact = (options.transcriptsPerContact.min + options.transcriptsPerContact.max) / 2;
    const sized = (c: CollectionName): number =>
      c === 'lesson_transcripts' ? Math.ceil(counts.contacts * perContact) : (counts as Partial<Record<CollectionName, number>>)[c] ?? 0;
    this.stores = Object.fromEntries(
      COLLECTIONS.map((c) => [c, new CollectionStore(c, c !== 'lesson_transcripts', sized(c), Math.ceil(sized(c) * 1.1))]),
    ) as Record<CollectionName, CollectionStore>;
    this.context = {
      refIndex: (parent, beforeSec, rng) => {
        const available = this.stores[parent].countCreatedBefore(beforeSec);
        return available === 0 ? -1 : rng.int(available);
      },
      idOf: (collection, index) => this.idOf(collection, index),
    };
    generateHistory(this, options);
  }

  idOf(collection: CollectionName, index: number): string {
    return objectId(this.stores[collection].created[index] as number, this.idTags[collection], index);
  }

  /** The index of the record with this `_id`, or -1 when there is none. */
  indexOf(collection: CollectionName, id: string): number {
    const index = indexOfObjectId(id, this.idTags[collection]);
    if (index < 0 || index >= this.stores[collection].count) return -1;
    return this.idOf(collection, index) === id ? index : -1;
  }

  contactIndexOf(conId: string): number {
    return this.indexOf('contacts', conId);
  }

  /** Index range of the transcripts created with a contact (not those added later: transcriptIndices). */
  transcriptsOf(contact: number): { first: number; count: number } {
    if (contact >= this.transcriptCount.length) return { first: 0, count: 0 };
    return { first: this.transcriptFirst[contact] as number, count: this.transcriptCount[contact] as number };
  }

  /** Every transcript of a contact: those created with it, then those added later, in index order. */
  transcriptIndices(contact: number): number[] {
    const { first, count } = this.transcriptsOf(contact);
    const indices = Array.from({ length: count }, (_, i) => first + i);
    const added = this.addedTranscripts.get(contact);
    return added === undefined ? indices : indices.concat(added);
  }

  /** A transcript added to an existing contact at `createdSec` (the contact itself does not change). */
  addTranscriptLater(contact: number, createdSec: number): number {
    const index = this.stores.lesson_transcripts.addRecord(createdSec, contact);
    const added = this.addedTranscripts.get(contact);
    if (added === undefined) this.addedTranscripts.set(contact, [index]);
    else added.push(index);
    return index;
  }

  /**
   * Creates a new contact's transcripts (0-5 by default, decided by the seed and the
   * contact's index so live and history agree). Contacts are handled in index order, which
   * keeps each contact's transcripts contiguous.
   */
  addTranscripts(contact: number, createdAt: () => number, afterEach?: (index: number) => void): number {
    const { min, max } = this.options.transcriptsPerContact;
    const count = new Rng(hash32(this.options.seed, COLLECTION_IDS.lesson_transcripts, TRANSCRIPT_COUNT_STREAM, contact)).between(min, max);
    const store = this.stores.lesson_transcripts;
    if (contact >= this.transcriptFirst.length) {
      const capacity = Math.max(contact + 1, Math.ceil(this.transcriptFirst.length * 1.5) + 1024);
      const first = new Uint32Array(capacity);
      first.set(this.transcriptFirst);
      const counts = new Uint8Array(capacity);
      counts.set(this.transcriptCount);
      this.transcriptFirst = first;
      this.transcriptCount = counts;
    }
    this.transcriptFirst[contact] = store.count;
    this.transcriptCount[contact] = count;
    for (let i = 0; i < count; i++) {
      const index = store.addRecord(createdAt(), contact);
      afterEach?.(index);
    }
    return count;
  }

  /** The record as of one stored version, exactly as a page serves it. */
  recordJson(collection: CollectionName, version: number): string {
    const store = this.stores[collection];
    const index = store.versionRecord[version] as number;
    const ordinal = store.versionOrdinal[version] as number;
    const id = COLLECTION_IDS[collection];
    const { seed } = this.options;
    const record = SHAPES[collection](
      {
        id: this.idOf(collection, index),
        index,
        ordinal,
        createdSec: store.created[index] as number,
        updatedSec: store.versionTime[version] as number,
        fixed: rngFor(seed, id, index, FIXED_STREAM),
        version: rngFor(seed, id, index, VERSION_STREAM, ordinal),
        ...(collection === 'lesson_transcripts' ? { conId: this.idOf('contacts', store.owner[index] as number) } : {}),
      },
      this.context,
    );
    return this.padded(record, hash32(seed, id, index, ordinal));
  }

  materialise(collection: CollectionName, version: number): ConveYourRecord {
    return JSON.parse(this.recordJson(collection, version)) as ConveYourRecord;
  }

  private padded(record: ConveYourRecord, offset: number): string {
    const json = JSON.stringify(record);
    const target = this.options.recordBytes;
    if (target === undefined || json.length + PADDING_KEY_LENGTH >= target) return json;
    // Splice the filler in as d's first key instead of serialising a second time (the hot
    // path of benchmarks). An unescaped `"d":{` can only be the top-level key: shapes
    // have no nested "d", and quotes inside string values are escaped.
    const at = json.indexOf(D_OPENING);
    if (at < 0) return json;
    const insertAt = at + D_OPENING.length;
    const comma = json[insertAt] === '}' ? '' : ',';
    const filler = loremText(target - json.length - PADDING_KEY_LENGTH, offset);
    return `${json.slice(0, insertAt)}"padding":"${filler}"${comma}${json.slice(insertAt)}`;
  }
}
