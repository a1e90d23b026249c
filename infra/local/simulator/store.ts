/**
 * Compact storage of one collection: no record objects, only typed arrays of creation
 * times and versions. A million records cost about 22 MB; a record's JSON is rebuilt
 * from (seed, collection, index, version) when a page is served.
 *
 * Versions form one append-only log per collection; each version points to the
 * previous version of the same record, and each record to its newest version, so
 * "the state at time T" walks back from the newest version (usually zero or one step).
 */

/** Records per collection: the sort key (queryEngine.ts) keeps 23 bits for the index. */
export const MAX_RECORDS = 2 ** 23 - 1;

function grown<T extends Uint32Array | Int32Array | Uint16Array | Uint8Array>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  const capacity = Math.max(needed, Math.ceil(array.length * 1.5) + 1024);
  const next = new (array.constructor as new (length: number) => T)(capacity);
  next.set(array);
  return next;
}

export class CollectionStore {
  count = 0;
  versionCount = 0;
  /** Records before this index were made by history generation; later ones by live mode. */
  historicalCount = 0;
  created: Uint32Array;
  latest: Uint32Array;
  /** Owning record in another store (lesson transcripts: the contact), when the store is owned. */
  owner: Uint32Array;
  versionTime: Uint32Array;
  versionRecord: Uint32Array;
  versionPrev: Int32Array;
  versionOrdinal: Uint16Array;
  /** Late-visible writes (live mode): version -> the second from which queries see it (after its stamp). */
  readonly visibleFrom = new Map<number, number>();
  /** Deleted records: index -> the second from which no query returns the record. */
  readonly deletedAt = new Map<number, number>();

  constructor(
    readonly name: string,
    /** Whether `created` never decreases with the index (all but transcripts): enables early exits. */
    readonly sortedByCreated: boolean,
    expectedRecords = 0,
    expectedVersions = expectedRecords,
  ) {
    this.created = new Uint32Array(expectedRecords);
    this.latest = new Uint32Array(expectedRecords);
    this.owner = new Uint32Array(sortedByCreated ? 0 : expectedRecords);
    this.versionTime = new Uint32Array(expectedVersions);
    this.versionRecord = new Uint32Array(expectedVersions);
    this.versionPrev = new Int32Array(expectedVersions);
    this.versionOrdinal = new Uint16Array(expectedVersions);
  }

  /** Adds a record and its first version; returns its index. */
  addRecord(createdSec: number, owner = 0): number {
    const index = this.count;
    if (index >= MAX_RECORDS) throw new RangeError(`${this.name}: at most ${MAX_RECORDS} records are supported`);
    if (this.sortedByCreated && index > 0 && createdSec < (this.created[index - 1] as number)) {
      throw new RangeError(`${this.name}: records must be added in creation order`);
    }
    this.created = grown(this.created, index + 1);
    this.latest = grown(this.latest, index + 1);
    if (!this.sortedByCreated) {
      this.owner = grown(this.owner, index + 1);
      this.owner[index] = owner;
    }
    this.created[index] = createdSec;
    this.count = index + 1;
    this.latest[index] = this.appendVersion(index, createdSec, -1, 0);
    return index;
  }

  /** Adds a newer version of a record; returns the version index. */
  addVersion(index: number, timeSec: number): number {
    const previous = this.latest[index] as number;
    if (timeSec <= (this.versionTime[previous] as number)) {
      throw new RangeError(`${this.name}: version times of a record must increase`);
    }
    const version = this.appendVersion(index, timeSec, previous, (this.versionOrdinal[previous] as number) + 1);
    this.latest[index] = version;
    return version;
  }

  private appendVersion(index: number, timeSec: number, previous: number, ordinal: number): number {
    const version = this.versionCount;
    this.versionTime = grown(this.versionTime, version + 1);
    this.versionRecord = grown(this.versionRecord, version + 1);
    this.versionPrev = grown(this.versionPrev, version + 1);
    this.versionOrdinal = grown(this.versionOrdinal, version + 1);
    this.versionTime[version] = timeSec;
    this.versionRecord[version] = index;
    this.versionPrev[version] = previous;
    this.versionOrdinal[version] = Math.min(ordinal, 0xffff);
    this.versionCount = version + 1;
    return version;
  }

  /**
   * The version a query opened at `timeSec` sees as the record's state: the newest one stamped
   * by then and already visible; -1 before the record exists, while its first version is not
   * visible yet, and from its deletion on.
   */
  versionAt(index: number, timeSec: number): number {
    if ((this.created[index] as number) > timeSec) return -1;
    if (this.deletedAt.size > 0 && (this.deletedAt.get(index) ?? Number.POSITIVE_INFINITY) <= timeSec) return -1;
    let version = this.latest[index] as number;
    while ((this.versionTime[version] as number) > timeSec) version = this.versionPrev[version] as number;
    if (this.visibleFrom.size > 0) {
      while (version >= 0 && (this.visibleFrom.get(version) ?? 0) > timeSec) version = this.versionPrev[version] as number;
    }
    return version;
  }

  /** The version stamped at or before `timeSec`, visible or not, deleted or not; -1 before creation. */
  versionStampedAt(index: number, timeSec: number): number {
    if ((this.created[index] as number) > timeSec) return -1;
    let version = this.latest[index] as number;
    while ((this.versionTime[version] as number) > timeSec) version = this.versionPrev[version] as number;
    return version;
  }

  latestTime(index: number): number {
    return this.versionTime[this.latest[index] as number] as number;
  }

  /**
   * A bound such that every record created at or before `timeSec` has an index below it.
   * Exact for sorted stores; for transcripts, history is unsorted and counted whole.
   */
  boundCreatedBy(timeSec: number): number {
    let low = this.sortedByCreated ? 0 : this.historicalCount;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.created[middle] as number) <= timeSec) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Number of records created strictly before `timeSec` (sorted stores only). */
  countCreatedBefore(timeSec: number): number {
    return this.boundCreatedBy(timeSec - 1);
  }
}
