/** Sets of record versions compared across processes by count and digest rather than shipped whole. */
import { createHash } from 'node:crypto';

/** A set of `_id@updated_at` versions, compared by count and digest rather than shipped whole. */
export interface VersionDigest {
  versions: number;
  sha256: string;
}

/** Distinct versions, sorted, hashed: the same digest on both sides means the same set. */
export function truthDigest(versions: Iterable<string>): VersionDigest {
  const sorted = [...new Set(versions)].sort();
  const hash = createHash('sha256');
  for (const version of sorted) hash.update(`${version}\n`);
  return { versions: sorted.length, sha256: hash.digest('hex') };
}
