/**
 * Bursts: many records created in one second, as a bulk import or a migration stamps them.
 * A burst larger than the query cap makes a second no window can read whole (the API
 * filters by whole seconds), which the pipeline must report rather than skip in silence.
 * Each burst is placed at `start + atSeconds` on the server's clock: before the start it is
 * part of the history, after it live mode creates it when its second comes.
 */
import type { WindowedCollection } from './catalog.js';

export interface BurstOptions {
  collection: WindowedCollection;
  /** Records created in the one second. */
  records: number;
  /** Seconds after the start (server clock); negative: in the history (not 0: the start second is the history's end). */
  atSeconds: number;
}

/** A burst placed on the timeline: `records` records of `collection` created at `second` (unix seconds). */
export interface PlacedBurst {
  collection: WindowedCollection;
  records: number;
  second: number;
}

export function placeBursts(bursts: readonly BurstOptions[], startSec: number): PlacedBurst[] {
  return bursts
    .map((burst) => ({ collection: burst.collection, records: burst.records, second: startSec + burst.atSeconds }))
    .sort((a, b) => a.second - b.second);
}

/**
 * One collection's bursts in time order, handed out as the generator reaches their second,
 * so records are still added in creation order.
 */
export class BurstFeed {
  private next = 0;
  private readonly own: PlacedBurst[];

  /** The bursts of `collection` in (after, ...): history and live mode each take their own. */
  constructor(placed: readonly PlacedBurst[], collection: WindowedCollection, after = Number.NEGATIVE_INFINITY) {
    this.own = placed.filter((burst) => burst.collection === collection && burst.second > after);
  }

  /** Calls `create(second)` once per record of every burst due at or before `timeSec`; returns how many. */
  until(timeSec: number, create: (second: number) => void): number {
    let created = 0;
    while (this.next < this.own.length && (this.own[this.next] as PlacedBurst).second <= timeSec) {
      const burst = this.own[this.next++] as PlacedBurst;
      for (let i = 0; i < burst.records; i++) create(burst.second);
      created += burst.records;
    }
    return created;
  }
}
