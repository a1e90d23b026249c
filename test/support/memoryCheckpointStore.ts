/** A CheckpointStore in memory with the same conditional rules as the DynamoDB one, recording every write. */
import type { Checkpoint, CheckpointKey } from '../../functions/pipeline/checkpoint.js';
import { LeaseHeldError, LeaseLostError } from '../../functions/pipeline/errors.js';
import type { CheckpointStore } from '../../functions/pipeline/ports.js';

export class MemoryCheckpointStore implements CheckpointStore {
  readonly items = new Map<string, Checkpoint>();
  readonly writes: Checkpoint[] = [];
  /** Lets a test fail the next writes (a crash or a throttle between effects). */
  failNextWrite: ((next: Checkpoint) => Error | undefined) | undefined;

  async load(key: CheckpointKey): Promise<Checkpoint | undefined> {
    const item = this.items.get(keyOf(key));
    return item ? structuredClone(item) : undefined;
  }

  async claim(next: Checkpoint, expectedVersion: number, nowMs: number): Promise<void> {
    this.maybeFail(next);
    const current = this.items.get(keyOf(next));
    const version = current?.version ?? 0;
    if (version !== expectedVersion) throw new LeaseLostError(`version moved: expected ${expectedVersion}, found ${version}`);
    const lease = current?.lease;
    const owner = next.lease?.owner;
    if (lease && lease.owner !== owner && lease.expiresAtMs > nowMs) throw new LeaseHeldError(lease.owner, lease.expiresAtMs);
    this.put(next);
  }

  async save(next: Checkpoint, owner: string): Promise<void> {
    this.maybeFail(next);
    const current = this.items.get(keyOf(next));
    if (!current || current.version !== next.version - 1 || current.lease?.owner !== owner) {
      throw new LeaseLostError(`checkpoint moved: version ${current?.version}, lease owner ${current?.lease?.owner ?? 'none'}`);
    }
    this.put(next);
  }

  async list(): Promise<Checkpoint[]> {
    return [...this.items.values()].map((item) => structuredClone(item));
  }

  private put(next: Checkpoint): void {
    const copy = structuredClone(next);
    this.items.set(keyOf(next), copy);
    this.writes.push(copy);
  }

  private maybeFail(next: Checkpoint): void {
    const error = this.failNextWrite?.(next);
    if (error) throw error;
  }
}

/** One item per lane, as in DynamoDB: a backfill window never shares the tail's item. */
function keyOf(key: CheckpointKey): string {
  return key.lane === undefined ? `${key.source}#${key.collection}` : `${key.source}#${key.collection}#${key.lane}`;
}
