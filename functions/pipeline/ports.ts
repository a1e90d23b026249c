/**
 * What the core needs from the outside world. Adapters implement these with the AWS SDK
 * (functions/adapters) or in memory (tests); the core imports no AWS or HTTP library.
 */
import type { Checkpoint, CheckpointKey } from './checkpoint.js';
import type { LandingObject } from './landing.js';

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
