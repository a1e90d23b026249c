/**
 * Open queries: the snapshot match list fixed when a query opened, and when it was last
 * used. A query idle for longer than the cursor lifetime expires: its match list is
 * dropped and a tombstone remembers the id for a day, so late cursors get a clear
 * 410 cursor_expired rather than 404 query_not_found.
 */
import type { CollectionName } from '../../../functions/conveyour/collections.js';

export interface OpenQuery {
  id: string;
  collection: CollectionName;
  /** Version indices in page order, capped; fixed at open (snapshot semantics). */
  versions: Uint32Array;
  snapshotSec: number;
  lastUsedMs: number;
}

export type QueryLookup = { state: 'open'; query: OpenQuery } | { state: 'expired' } | { state: 'unknown' };

const TOMBSTONE_MS = 86_400_000;
const MAX_TOMBSTONES = 100_000;
const SWEEP_EVERY_MS = 1000;

function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

export class QueryRegistry {
  private readonly open = new Map<string, OpenQuery>();
  private readonly tombstones = new Map<string, number>();
  private opened = 0;
  private lastSweepMs = Number.NEGATIVE_INFINITY;

  constructor(
    /** 8 hex digits that differ between simulator instances, so a restarted one answers 404 to old ids. */
    private readonly instanceTag: string,
    private readonly ttlMs: number,
  ) {}

  /** The id the next opened query gets (Mongo-like: time, instance, counter). */
  nextId(snapshotSec: number): string {
    return hex8(snapshotSec) + this.instanceTag + hex8(this.opened + 1);
  }

  add(query: OpenQuery, nowMs: number): void {
    this.opened++;
    this.open.set(query.id, query);
    this.sweep(nowMs);
  }

  /** Pure: says whether the query is open, expired, or unknown at `nowMs`, without changing anything. */
  lookup(id: string, nowMs: number): QueryLookup {
    const query = this.open.get(id);
    if (query !== undefined) return this.isIdle(query, nowMs) ? { state: 'expired' } : { state: 'open', query };
    return this.tombstones.has(id) ? { state: 'expired' } : { state: 'unknown' };
  }

  touch(query: OpenQuery, nowMs: number): void {
    query.lastUsedMs = Math.max(query.lastUsedMs, nowMs);
  }

  /** Frees an idle query's match list, keeping a tombstone. */
  expire(id: string, nowMs: number): void {
    if (!this.open.delete(id)) return;
    this.tombstones.set(id, nowMs);
  }

  openCount(): number {
    return this.open.size;
  }

  private isIdle(query: OpenQuery, nowMs: number): boolean {
    return nowMs - query.lastUsedMs > this.ttlMs;
  }

  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweepMs < SWEEP_EVERY_MS) return;
    this.lastSweepMs = nowMs;
    for (const query of this.open.values()) if (this.isIdle(query, nowMs)) this.expire(query.id, nowMs);
    // Map iteration is insertion order: the oldest tombstones come first.
    for (const [id, expiredMs] of this.tombstones) {
      if (nowMs - expiredMs <= TOMBSTONE_MS && this.tombstones.size <= MAX_TOMBSTONES) break;
      this.tombstones.delete(id);
    }
  }
}
