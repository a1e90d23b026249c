/**
 * Deterministic Mongo-style ObjectIds: 4 bytes of creation time, 5 bytes fixed per
 * (seed, collection) where Mongo has its per-process random value, 3 bytes of counter
 * (the record index). Because records are indexed in creation order, the lexical order
 * of `_id` equals index order, which makes "sort by updated_at, then _id" cheap.
 */
import { hash32 } from './prng.js';

const HEX24 = /^[0-9a-f]{24}$/;

/** The 10 hex digits shared by every id of one collection under one seed. */
export function collectionIdTag(seed: number, collectionId: number): string {
  const a = hash32(seed, collectionId, 0x1d);
  const b = hash32(seed, collectionId, 0x2e);
  return (a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0')).slice(0, 10);
}

export function objectId(createdSec: number, tag: string, index: number): string {
  return createdSec.toString(16).padStart(8, '0') + tag + (index & 0xffffff).toString(16).padStart(6, '0');
}

/** The counter of an id with the given tag, or -1 when the id cannot be one of ours. */
export function indexOfObjectId(id: string, tag: string): number {
  if (!HEX24.test(id) || id.slice(8, 18) !== tag) return -1;
  return Number.parseInt(id.slice(18), 16);
}
