/**
 * Which checkpoints an `npm run gaps -- ack` touches: every one of the source and collection
 * (the tail and its backfill windows) where the gap is open. Refuses an unknown gap, naming the
 * open ones, and a gap open in more than one source without --source.
 */
import { ConfigError } from '../../functions/config/env.js';
import type { Checkpoint, CheckpointKey } from '../../functions/pipeline/checkpoint.js';
import { gapsOf, openGapCount } from '../../functions/pipeline/coverageGaps.js';
import { UnknownGapError, type GapSelector } from '../../functions/pipeline/coverageGapsAck.js';

export interface AckTarget {
  collection: string;
  selector: GapSelector;
  source: string | undefined;
}

export function ackTargets(checkpoints: readonly Checkpoint[], target: AckTarget): CheckpointKey[] {
  const ofCollection = checkpoints.filter((cp) => cp.collection === target.collection);
  const candidates = ofCollection.filter((cp) => target.source === undefined || cp.source === target.source);
  if (target.source !== undefined && candidates.length === 0) {
    const sources = [...new Set(ofCollection.map((cp) => cp.source))].sort();
    throw new UnknownGapError(`source '${target.source}' has no checkpoint of ${target.collection}${sources.length ? `; sources that have one: ${sources.join(', ')}` : ': it never ran'}`);
  }
  const selected = candidates.filter((cp) => holds(cp, target.selector));
  if (selected.length === 0) {
    const open = candidates.flatMap((cp) => gapsOf(cp).open.map((gap) => `${cp.source}/${gap.second}`));
    const unlisted = candidates.reduce((sum, cp) => sum + gapsOf(cp).unlisted, 0);
    const at = target.selector === 'all' ? '' : ` at second ${target.selector.second} (${utc(target.selector.second)})`;
    const known = open.length || unlisted ? `open: ${open.join(', ') || 'none listed'}${unlisted ? `, and ${unlisted} unlisted (--second=all)` : ''}` : 'none is open';
    throw new UnknownGapError(`${target.collection}${target.source ? ` of source ${target.source}` : ''} has no open coverage gap${at}; ${known} (npm run gaps -- list)`);
  }
  const sources = [...new Set(selected.map((cp) => cp.source))].sort();
  if (sources.length > 1) throw new ConfigError('--source', `${target.collection}: the gap is open in sources ${sources.join(', ')}: pass --source=NAME`);
  return selected.map(({ source, collection, lane }) => ({ source, collection, ...(lane === undefined ? {} : { lane }) }));
}

function holds(cp: Checkpoint, selector: GapSelector): boolean {
  return selector === 'all' ? openGapCount(cp) > 0 : gapsOf(cp).open.some((gap) => gap.second === selector.second);
}

function utc(second: number): string {
  return new Date(second * 1000).toISOString().replace('.000Z', 'Z');
}
