/** What a shape builder gets: the record's identity and randomness, and a way to reference parents. */
import type { CollectionName } from '../../../../functions/conveyour/collections.js';
import type { ConveYourRecord } from '../../../../functions/conveyour/types.js';
import type { Rng } from '../prng.js';
import { TAG_WORDS } from './vocabulary.js';

export interface RecordSeed {
  id: string;
  index: number;
  /** 0 for the created version, then 1, 2, ... per update. */
  ordinal: number;
  createdSec: number;
  updatedSec: number;
  /** Draws that are the same for every version of the record (names, references). */
  fixed: Rng;
  /** Draws for this version (points, status...). */
  version: Rng;
  /** lesson_transcripts: the owning contact's `_id`. */
  conId?: string;
}

export interface ShapeContext {
  /** Index of a parent record created strictly before `beforeSec`, or -1 when there is none yet. */
  refIndex(parent: CollectionName, beforeSec: number, rng: Rng): number;
  idOf(collection: CollectionName, index: number): string;
}

export type ShapeBuilder = (seed: RecordSeed, context: ShapeContext) => ConveYourRecord;

/** A parent's `_id`, or null for the rare record older than every possible parent. */
export function refId(context: ShapeContext, parent: CollectionName, beforeSec: number, rng: Rng): string | null {
  const index = context.refIndex(parent, beforeSec, rng);
  return index < 0 ? null : context.idOf(parent, index);
}

/** Tag names are unique: the word list, then the words again with a numeric suffix. */
export function tagName(index: number): string {
  const word = TAG_WORDS[index % TAG_WORDS.length] as string;
  const round = Math.floor(index / TAG_WORDS.length);
  return round === 0 ? word : `${word}-${round + 1}`;
}
