/**
 * What the core needs from the outside world. Adapters implement these with the AWS SDK
 * (functions/adapters) or in memory (tests); the core imports no AWS or HTTP library.
 */
import type { PageSource, QueryWindow } from '../conveyour/types.js';
import type { Budget } from './budget.js';
import type { Checkpoint, CheckpointKey, WindowPolicy } from './checkpoint.js';
import type { LandingObject } from './landing.js';
import type { Slots } from './slots.js';

/** Passed to every write: an aborted signal stops the call (the SDK's `abortSignal`) so no write outlives the invocation. */
export interface WriteOptions {
  signal?: AbortSignal;
}

export interface CheckpointStore {
  /** Strongly consistent read; undefined when the collection never ran. */
  load(key: CheckpointKey): Promise<Checkpoint | undefined>;
  /**
   * Writes `next` (which carries the new lease) iff the stored version is `expectedVersion`
   * (0: no item yet) and no other owner holds a live lease at `nowMs`.
   * Throws LeaseHeldError (a live lease) or LeaseLostError (the version moved).
   */
  claim(next: Checkpoint, expectedVersion: number, nowMs: number, options?: WriteOptions): Promise<void>;
  /**
   * Writes `next` iff the stored version is `next.version - 1` and the stored lease owner is
   * `owner`. Throws LeaseLostError otherwise: a zombie can never move the checkpoint.
   */
  save(next: Checkpoint, owner: string, options?: WriteOptions): Promise<void>;
  list(): Promise<Checkpoint[]>;
}

export interface ObjectSink {
  /** Resolves once the object is durably stored (S3 PUT acknowledged). */
  put(object: LandingObject, options?: WriteOptions): Promise<void>;
}

/** A request to carry on a run whose invocation ran out of time. Identity only: the cursor lives in the checkpoint. */
export interface ContinuationMessage {
  source: string;
  collection: string;
  runId: string;
  /** Continuations since the tick that started the chain; capped below Lambda's recursion limit. */
  hop: number;
  /** A backfill window rather than the tail: its plan and window index. */
  backfill?: { id: string; window: number };
}

export interface ContinuationQueue {
  /** `delaySeconds` (at most 900) holds the message back, e.g. while the API throttles. */
  send(message: ContinuationMessage, options?: { delaySeconds?: number } & WriteOptions): Promise<void>;
}

export interface Clock {
  nowMs(): number;
}

/** Structured logging; fields never hold secrets or whole records. */
export interface Log {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

export interface RunPolicy extends WindowPolicy {
  prefix: string;
  /** Pages are merged into one object per dt until this many uncompressed bytes. */
  flushBytes: number;
  /** An idle collection writes its checkpoint at most this often. */
  idleCheckpointMs: number;
  /** Added to the invocation's remaining time to form the lease: covers clock skew. */
  leaseSlackMs: number;
  /** lesson_transcripts: contacts whose transcripts are fetched in parallel. */
  transcriptConcurrency: number;
  /** A tail window ends this many seconds before the server's time (its HTTP Date): writes still turning visible. */
  settleSeconds: number;
}

/** Everything one collection run needs: the ports, its invocation's budget, and the policy. */
export interface RunDeps {
  source: PageSource;
  store: CheckpointStore;
  sink: ObjectSink;
  clock: Clock;
  budget: Budget;
  log: Log;
  /** Unique per invocation: the lease owner. */
  owner: string;
  newRunId: () => string;
  policy: RunPolicy;
  /** A bounded lane's range, for its first run (later runs read it from the checkpoint). */
  bounds?: QueryWindow;
  /** Held from the claim to the end of a run that has work: how many collections page at once. A peek needs none. */
  pagingSlots?: Slots;
}
