/**
 * The core's ports wrapped with counters: what a run cost in DynamoDB reads and writes (and
 * their capacity units, from item sizes), S3 PUTs and bytes, SQS messages and ConveYour
 * requests. The cost model multiplies these by list prices, so they come from the real code
 * paths, not from a reading of them.
 */
import type { Page, PageSource, QuerySpec, CursorPosition } from '../../functions/conveyour/types.js';
import { checkpointPk } from '../../functions/adapters/dynamoCheckpointStore.js';
import type { Checkpoint, CheckpointKey } from '../../functions/pipeline/checkpoint.js';
import type { LandingObject } from '../../functions/pipeline/landing.js';
import type { CheckpointStore, ContinuationMessage, ContinuationQueue, ObjectSink } from '../../functions/pipeline/ports.js';
import { encodeContinuationMessage } from '../../functions/pipeline/messages.js';

export interface Counts {
  dynamoReads: number;
  /** Strongly consistent: one RCU per 4 KB (rounded up) of the item read. */
  readUnits: number;
  dynamoWrites: number;
  /** One WCU per 1 KB (rounded up) of the item written. */
  writeUnits: number;
  largestItemBytes: number;
  scans: number;
  s3Puts: number;
  s3Bytes: number;
  /** Uncompressed NDJSON bytes behind the PUTs. */
  s3RawBytes: number;
  s3Records: number;
  sqsSends: number;
  /** SQS bills per 64 KB chunk of a request. */
  sqsRequests: number;
  apiRequests: number;
  apiPages: number;
  apiBytes: number;
  apiRecords: number;
}

export function zeroCounts(): Counts {
  return {
    dynamoReads: 0, readUnits: 0, dynamoWrites: 0, writeUnits: 0, largestItemBytes: 0, scans: 0,
    s3Puts: 0, s3Bytes: 0, s3RawBytes: 0, s3Records: 0, sqsSends: 0, sqsRequests: 0,
    apiRequests: 0, apiPages: 0, apiBytes: 0, apiRecords: 0,
  };
}

export function addCounts(into: Counts, more: Counts): Counts {
  for (const key of Object.keys(into) as Array<keyof Counts>) {
    into[key] = key === 'largestItemBytes' ? Math.max(into[key], more[key]) : into[key] + more[key];
  }
  return into;
}

export function diffCounts(after: Counts, before: Counts): Counts {
  const out = zeroCounts();
  for (const key of Object.keys(out) as Array<keyof Counts>) out[key] = key === 'largestItemBytes' ? after[key] : after[key] - before[key];
  return out;
}

/**
 * DynamoDB's item size: attribute names plus values (strings by UTF-8 length, numbers about
 * one byte per two significant digits plus one, maps and lists 3 bytes plus one per element,
 * booleans and nulls 1). Undefined values are left out, as the store's marshaller does.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
export function dynamoItemBytes(item: Record<string, unknown>): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) if (value !== undefined) total += Buffer.byteLength(name) + valueBytes(value);
  return total;
}

function valueBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace(/\.|^0+|e.*$/g, '').length / 2) + 1;
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + valueBytes(v) + 1, 0);
  if (typeof value === 'object') {
    return 3 + Object.entries(value as Record<string, unknown>).reduce((sum, [k, v]) => (v === undefined ? sum : sum + Buffer.byteLength(k) + valueBytes(v) + 1), 0);
  }
  return 0;
}

/** The item DynamoCheckpointStore writes for a checkpoint (its toItem mapping, which it does not export). */
export function checkpointItem(checkpoint: Checkpoint): Record<string, unknown> {
  const { lease, ...rest } = checkpoint;
  return { pk: checkpointPk(checkpoint), ...rest, leaseOwner: lease?.owner, leaseExpiresAtMs: lease?.expiresAtMs };
}

export class CountingStore implements CheckpointStore {
  constructor(
    private readonly inner: CheckpointStore,
    readonly counts: Counts,
  ) {}

  async load(key: CheckpointKey): Promise<Checkpoint | undefined> {
    const checkpoint = await this.inner.load(key);
    this.counts.dynamoReads += 1;
    // A read of a missing item still costs one unit.
    this.counts.readUnits += checkpoint ? Math.max(1, Math.ceil(dynamoItemBytes(checkpointItem(checkpoint)) / 4096)) : 1;
    return checkpoint;
  }

  async claim(next: Checkpoint, expectedVersion: number, nowMs: number): Promise<void> {
    this.countWrite(next);
    await this.inner.claim(next, expectedVersion, nowMs);
  }

  async save(next: Checkpoint, owner: string): Promise<void> {
    this.countWrite(next);
    await this.inner.save(next, owner);
  }

  list(): Promise<Checkpoint[]> {
    this.counts.scans += 1;
    return this.inner.list();
  }

  private countWrite(next: Checkpoint): void {
    const bytes = dynamoItemBytes(checkpointItem(next));
    this.counts.dynamoWrites += 1;
    this.counts.writeUnits += Math.max(1, Math.ceil(bytes / 1024));
    this.counts.largestItemBytes = Math.max(this.counts.largestItemBytes, bytes);
  }
}

export class CountingSink implements ObjectSink {
  constructor(
    private readonly inner: ObjectSink,
    readonly counts: Counts,
  ) {}

  async put(object: LandingObject): Promise<void> {
    await this.inner.put(object);
    this.counts.s3Puts += 1;
    this.counts.s3Bytes += object.body.length;
    this.counts.s3RawBytes += object.rawBytes;
    this.counts.s3Records += object.records;
  }
}

export class CountingQueue implements ContinuationQueue {
  constructor(
    private readonly inner: ContinuationQueue,
    readonly counts: Counts,
  ) {}

  async send(message: ContinuationMessage, options?: { delaySeconds?: number }): Promise<void> {
    await this.inner.send(message, options);
    this.counts.sqsSends += 1;
    this.counts.sqsRequests += Math.max(1, Math.ceil(Buffer.byteLength(encodeContinuationMessage(message)) / 65_536));
  }
}

/** One query as the consumer saw it: when it asked for each page and when each arrived. */
export interface QueryTiming {
  collection: string;
  pages: number;
  records: number;
  bytes: number;
  firstRequestMs: number | undefined;
  lastPageMs: number | undefined;
  /** Each page's round trip as the client timed it (request sent to body parsed). */
  fetchMs: number[];
}

/** Counts ConveYour requests and times each query's pages, for the per-cursor page rate. */
export class TimedPageSource implements PageSource {
  readonly queries: QueryTiming[] = [];

  constructor(
    private readonly inner: PageSource,
    readonly counts: Counts,
  ) {}

  pages(query: QuerySpec, options?: { resume?: CursorPosition; signal?: AbortSignal }): AsyncIterable<Page> {
    const timing: QueryTiming = { collection: query.collection, pages: 0, records: 0, bytes: 0, firstRequestMs: undefined, lastPageMs: undefined, fetchMs: [] };
    this.queries.push(timing);
    const iterable = this.inner.pages(query, options);
    const counts = this.counts;
    return {
      [Symbol.asyncIterator]() {
        const iterator = iterable[Symbol.asyncIterator]();
        return {
          async next() {
            timing.firstRequestMs ??= performance.now();
            const result = await iterator.next();
            if (!result.done) {
              timing.pages += 1;
              timing.records += result.value.records.length;
              timing.bytes += result.value.byteLength;
              timing.lastPageMs = performance.now();
              timing.fetchMs.push(result.value.fetchMs);
              counts.apiRequests += 1;
              counts.apiPages += 1;
              counts.apiBytes += result.value.byteLength;
              counts.apiRecords += result.value.records.length;
            }
            return result;
          },
          async return(value?: unknown) {
            await iterator.return?.(value);
            return { done: true as const, value: undefined };
          },
        };
      },
    };
  }
}
