/**
 * The invocation's hold on one checkpoint. Every write goes through here, so each is
 * conditional on the version we last wrote and on our ownership: the checkpoint can
 * only move forward, and only by its lease holder.
 */
import type { Checkpoint } from './checkpoint.js';
import type { CheckpointStore, Clock, WriteOptions } from './ports.js';

export class Lease {
  private version: number | undefined;
  private written: Checkpoint | undefined;

  constructor(
    private readonly store: CheckpointStore,
    readonly owner: string,
    private readonly clock: Clock,
    /** How long a claim or renewal holds: the invocation's remaining time plus slack. */
    private readonly durationMs: () => number,
    /** Every write of the run is stopped by it at the invocation's write deadline. */
    private readonly options: WriteOptions = {},
  ) {}

  /** Claims the checkpoint as read (`stored.version`), writing `next` with our lease. */
  async claim(next: Checkpoint): Promise<Checkpoint> {
    const nowMs = this.clock.nowMs();
    const written = { ...next, lease: { owner: this.owner, expiresAtMs: nowMs + this.durationMs() }, version: next.version + 1 };
    await this.store.claim(written, next.version, nowMs, this.options);
    this.version = written.version;
    this.written = written;
    return written;
  }

  /** The checkpoint as last written by us: what the store holds, whatever was in memory. */
  get current(): Checkpoint | undefined {
    return this.written;
  }

  /** Claims and finishes in one write: for runs that found nothing to land. */
  async claimReleased(next: Checkpoint): Promise<Checkpoint> {
    const written = { ...next, lease: undefined, version: next.version + 1 };
    await this.store.claim(written, next.version, this.clock.nowMs(), this.options);
    this.version = undefined;
    this.written = written;
    return written;
  }

  /** Saves progress and renews the lease. */
  async save(next: Checkpoint): Promise<Checkpoint> {
    return this.write({ ...next, lease: { owner: this.owner, expiresAtMs: this.clock.nowMs() + this.durationMs() } });
  }

  /** Saves and lets go: the next tick or continuation may claim at once. */
  async release(next: Checkpoint): Promise<Checkpoint> {
    const written = await this.write({ ...next, lease: undefined });
    this.version = undefined;
    return written;
  }

  private async write(next: Checkpoint): Promise<Checkpoint> {
    if (this.version === undefined) throw new Error(`no lease held on ${next.source}/${next.collection}`);
    const written = { ...next, version: this.version + 1 };
    await this.store.save(written, this.owner, this.options);
    this.version = written.version;
    this.written = written;
    return written;
  }
}
