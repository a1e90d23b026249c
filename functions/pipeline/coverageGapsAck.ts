/**
 * Acknowledging coverage gaps (coverageGaps.ts): the one write a person makes to a checkpoint,
 * raced safely against the runs that own it.
 */
import type { Checkpoint, CheckpointKey } from './checkpoint.js';
import { gapsOf, openGapCount, utc } from './coverageGaps.js';
import { LeaseHeldError, LeaseLostError, PipelineError } from './errors.js';
import type { CheckpointStore, Clock } from './ports.js';
import type { UnixSeconds } from '../conveyour/types.js';

/** Which gaps an acknowledgement removes: one second, or every gap (listed and unlisted). */
export type GapSelector = { second: UnixSeconds } | 'all';

export class UnknownGapError extends PipelineError {
  override readonly code = 'UNKNOWN_GAP';
  override name = 'UnknownGapError';
}

/** The acknowledgement waited longer than allowed for a run to release the collection. */
export class AcknowledgeTimeoutError extends PipelineError {
  override readonly code = 'ACKNOWLEDGE_TIMED_OUT';
  override name = 'AcknowledgeTimeoutError';
}

/** The checkpoint without the selected gaps; throws UnknownGapError naming the open ones when none matches. */
export function withoutGaps(cp: Checkpoint, selector: GapSelector): { checkpoint: Checkpoint; removed: number } {
  const gaps = gapsOf(cp);
  const where = `${cp.source}/${cp.collection}${cp.lane ? ` (backfill window ${cp.lane})` : ''}`;
  if (selector === 'all') {
    const removed = openGapCount(cp);
    if (removed === 0) throw new UnknownGapError(`${where} has no open coverage gap`);
    return { checkpoint: { ...cp, coverageGaps: { open: [], unlisted: 0 } }, removed };
  }
  const open = gaps.open.filter((gap) => gap.second !== selector.second);
  if (open.length === gaps.open.length) {
    const known = gaps.open.map((gap) => String(gap.second)).join(', ');
    throw new UnknownGapError(
      `${where} has no open coverage gap at second ${selector.second} (${utc(selector.second)}); ${known ? `open: ${known}` : 'it has none'}${gaps.unlisted ? ` and ${gaps.unlisted} unlisted (--second=all)` : ''}`,
    );
  }
  return { checkpoint: { ...cp, coverageGaps: { open, unlisted: gaps.unlisted } }, removed: gaps.open.length - open.length };
}

export interface AcknowledgeDeps {
  store: CheckpointStore;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  /** How long to wait for a run holding the collection's lease to release it. */
  maxWaitMs: number;
  /** Told once per lease it waits for. */
  onWait?: (owner: string, untilMs: number) => void;
}

/**
 * Removes the selected gaps from one checkpoint with a conditional write that a running tick
 * cannot race: it is written only at the version read and while no live lease is held (the
 * store's `claim` without an owner), so a run never loses its lease to it, and it never
 * overwrites a run's progress. A moved version is read again; a held lease is waited out.
 */
export async function acknowledgeGaps(key: CheckpointKey, selector: GapSelector, deps: AcknowledgeDeps): Promise<{ removed: number; checkpoint: Checkpoint }> {
  const deadline = deps.clock.nowMs() + deps.maxWaitMs;
  let announced: string | undefined;
  for (;;) {
    const stored = await deps.store.load(key);
    if (!stored) throw new UnknownGapError(`${key.source}/${key.collection}${key.lane ? ` (backfill window ${key.lane})` : ''} has no checkpoint: it never ran`);
    const { checkpoint, removed } = withoutGaps(stored, selector);
    const nowMs = deps.clock.nowMs();
    const lease = stored.lease && stored.lease.expiresAtMs > nowMs ? stored.lease : undefined;
    if (!lease) {
      const next: Checkpoint = { ...checkpoint, lease: undefined, version: stored.version + 1 };
      try {
        await deps.store.claim(next, stored.version, nowMs);
        return { removed, checkpoint: next };
      } catch (error) {
        // A run claimed it, or wrote, between the read and the write: read again.
        if (!(error instanceof LeaseHeldError) && !(error instanceof LeaseLostError)) throw error;
      }
    } else if (announced !== `${lease.owner}@${lease.expiresAtMs}`) {
      announced = `${lease.owner}@${lease.expiresAtMs}`;
      deps.onWait?.(lease.owner, lease.expiresAtMs);
    }
    if (deps.clock.nowMs() >= deadline) {
      throw new AcknowledgeTimeoutError(`${key.source}/${key.collection}: a run still holds its lease after ${Math.round(deps.maxWaitMs / 1000)} s; try again when it has finished`);
    }
    await deps.sleep(lease ? Math.min(1_000, Math.max(50, lease.expiresAtMs - nowMs)) : 100);
  }
}
