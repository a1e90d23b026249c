/**
 * `records(config)`: the same read as `stream(config)`, pulled with `for await` instead of
 * pushed into a callback. The run loop hands one record at a time over and waits until the
 * loop body has finished with it before reading on, exactly as it awaits a callback.
 */
import type { ConveYourRecord } from '../conveyour/types.js';
import type { ReadConfig } from './options.js';
import { type LibraryDependencies, defaultDependencies, runLibraryStream } from './stream.js';

/**
 * Every record of the window, in order; with `watch`, every record that changes after it,
 * until `signal` aborts or the loop is left (`break`, `return`, a throw), which ends the read
 * and closes the connections. Errors are the ones {@link stream} rejects with, thrown from the loop.
 *
 * @example
 * for await (const record of records({ credentials, params: { collection: 'events', start_time: '-1 day' } })) save(record);
 */
export function records<R extends ConveYourRecord = ConveYourRecord>(config: ReadConfig): AsyncGenerator<R, void, undefined> {
  return pull<R>(config, defaultDependencies());
}

/** {@link records} with its dependencies passed in. */
export async function* pull<R extends ConveYourRecord = ConveYourRecord>(config: ReadConfig, deps: LibraryDependencies): AsyncGenerator<R, void, undefined> {
  const leave = new AbortController();
  const onAbort = (): void => leave.abort(config.signal?.reason);
  if (config.signal?.aborted) leave.abort(config.signal.reason);
  config.signal?.addEventListener('abort', onAbort, { once: true });
  const handoff = new Handoff<R>();
  const run = runLibraryStream({ ...config, signal: leave.signal, callback: (record) => handoff.put(record as R) }, deps).then(
    () => handoff.finish(),
    (error: unknown) => handoff.fail(error),
  );
  try {
    for (;;) {
      const next = await handoff.take();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    leave.abort();
    handoff.release();
    config.signal?.removeEventListener('abort', onAbort);
    await run;
  }
}

type Taker<T> = { resolve: (result: IteratorResult<T, undefined>) => void; reject: (error: unknown) => void };

/** A rendezvous of one: `put` resolves when the taker comes back for the next value. */
class Handoff<T> {
  private offered: { value: T; ack: () => void } | undefined;
  private taker: Taker<T> | undefined;
  private inHand: (() => void) | undefined;
  private ended: { error?: unknown; failed: boolean } | undefined;

  put(value: T): Promise<void> {
    return new Promise((ack) => {
      const taker = this.taker;
      if (taker === undefined) {
        this.offered = { value, ack };
        return;
      }
      this.taker = undefined;
      this.inHand = ack;
      taker.resolve({ done: false, value });
    });
  }

  take(): Promise<IteratorResult<T, undefined>> {
    // Coming back for the next value means the previous one is done with.
    this.settleInHand();
    const offered = this.offered;
    if (offered !== undefined) {
      this.offered = undefined;
      this.inHand = offered.ack;
      return Promise.resolve({ done: false, value: offered.value });
    }
    if (this.ended) return this.ended.failed ? Promise.reject(this.ended.error) : Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => (this.taker = { resolve, reject }));
  }

  finish(): void {
    this.end({ failed: false });
  }

  fail(error: unknown): void {
    this.end({ failed: true, error });
  }

  /** The taker left: let a waiting `put` return (the producer sees its stop signal next). */
  release(): void {
    this.settleInHand();
    this.offered?.ack();
    this.offered = undefined;
  }

  private end(ended: { error?: unknown; failed: boolean }): void {
    this.ended = ended;
    const taker = this.taker;
    this.taker = undefined;
    if (taker === undefined) return;
    if (ended.failed) taker.reject(ended.error);
    else taker.resolve({ done: true, value: undefined });
  }

  private settleInHand(): void {
    const ack = this.inHand;
    this.inHand = undefined;
    ack?.();
  }
}
