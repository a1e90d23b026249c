/** Decorators over real adapters that stop the world between two effects: crashes, pauses, recordings. */
import type { Checkpoint, CheckpointKey } from '../../functions/pipeline/checkpoint.js';
import type { LandingObject } from '../../functions/pipeline/landing.js';
import type { CheckpointStore, ObjectSink, WriteOptions } from '../../functions/pipeline/ports.js';

export class CrashError extends Error {
  override name = 'CrashError';
}

/** A store that records every successful write and can fail chosen ones. */
export class RecordingStore implements CheckpointStore {
  readonly writes: Checkpoint[] = [];
  /** Return an error to fail this write before it reaches the store. `owner` is the writer (for a claim, the new lease's). */
  before: ((next: Checkpoint, kind: 'claim' | 'save', owner: string | undefined) => Error | undefined | Promise<Error | undefined>) | undefined;

  constructor(
    private readonly inner: CheckpointStore,
    /** Pass each write's options (its deadline signal) on: off by default, for tests whose remaining time is a fixed fake the real deadline timers do not follow. */
    private readonly passWriteOptions = false,
  ) {}

  load(key: CheckpointKey) {
    return this.inner.load(key);
  }
  list() {
    return this.inner.list();
  }
  async claim(next: Checkpoint, expectedVersion: number, nowMs: number, options?: WriteOptions) {
    const error = await this.before?.(next, 'claim', next.lease?.owner);
    if (error) throw error;
    await this.inner.claim(next, expectedVersion, nowMs, this.passWriteOptions ? options : undefined);
    this.writes.push(structuredClone(next));
  }
  async save(next: Checkpoint, owner: string, options?: WriteOptions) {
    const error = await this.before?.(next, 'save', owner);
    if (error) throw error;
    await this.inner.save(next, owner, this.passWriteOptions ? options : undefined);
    this.writes.push(structuredClone(next));
  }
}

export class HookedSink implements ObjectSink {
  readonly keys: string[] = [];
  after: ((object: LandingObject, count: number) => void | Promise<void>) | undefined;
  constructor(private readonly inner: ObjectSink) {}
  async put(object: LandingObject) {
    await this.inner.put(object);
    this.keys.push(object.key);
    await this.after?.(object, this.keys.length);
  }
}

/** Every write of one key moved version by exactly one and never moved the watermark back. */
export function checkMonotonic(writes: readonly Checkpoint[]): void {
  const last = new Map<string, Checkpoint>();
  for (const write of writes) {
    const key = `${write.source}#${write.collection}${write.lane === undefined ? '' : `#${write.lane}`}`;
    const previous = last.get(key);
    if (previous) {
      if (write.version <= previous.version) throw new Error(`${key}: version went ${previous.version} -> ${write.version}`);
      if ((write.watermark ?? -1) < (previous.watermark ?? -1)) throw new Error(`${key}: watermark went ${previous.watermark} -> ${write.watermark}`);
    }
    last.set(key, write);
  }
}
