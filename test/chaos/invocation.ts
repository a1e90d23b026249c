/**
 * One simulated Lambda invocation's view of the ports: decorators over the shared adapters that
 * can kill the process at a chosen step, freeze it (a zombie in the making), and enforce the
 * function timeout. A dead invocation writes nothing more, not even its lease release: every
 * later effect throws CrashError, as if the process were gone.
 *
 * Crash points, the steps between two effects of the safety argument:
 * - `fetch → write`: a page was fetched; the process dies before its S3 PUT;
 * - `write → checkpoint`: the PUT landed; the process dies before the checkpoint moves past it;
 * - `checkpoint → enqueue`: the run saved its cursor and released; it dies before queueing its continuation;
 * - `mid lesson_transcripts`: a per-contact checkpoint of lesson_transcripts landed mid-window; then it dies.
 */
import type { Checkpoint, CheckpointKey } from '../../functions/pipeline/checkpoint.js';
import type { LandingObject } from '../../functions/pipeline/landing.js';
import type { CheckpointStore, ContinuationMessage, ContinuationQueue, ObjectSink, WriteOptions } from '../../functions/pipeline/ports.js';
import type { PageOptions, PageSource, QuerySpec } from '../../functions/conveyour/types.js';
import type { SourceRuntime } from '../../functions/pipeline/orchestrate.js';
import { CrashError } from '../support/faultyPorts.js';

export const CRASH_POINTS = ['fetch → write', 'write → checkpoint', 'checkpoint → enqueue', 'mid lesson_transcripts'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/**
 * The crash to come, shared by every invocation: it fires in whichever invocation first reaches
 * an eligible step (after letting `skip` of them pass), then the next point in turn is armed.
 */
export class CrashSchedule {
  private armed: { point: CrashPoint; skip: number } | undefined;
  private turn = 0;

  get pending(): CrashPoint | undefined {
    return this.armed?.point;
  }

  /** Arms the next crash point in turn, unless one is armed already. */
  arm(skip: number): void {
    this.armed ??= { point: CRASH_POINTS[this.turn % CRASH_POINTS.length]!, skip };
  }

  disarm(): void {
    this.armed = undefined;
  }

  /** Whether a process reaching `point` dies there. */
  take(point: CrashPoint): boolean {
    if (this.armed?.point !== point) return false;
    if (this.armed.skip > 0) {
      this.armed.skip -= 1;
      return false;
    }
    this.armed = undefined;
    this.turn += 1;
    return true;
  }
}

/** How long past the function timeout a page request may still settle before it counts as not stopped by the deadline. */
const OUTLIVED_GRACE_MS = 300;

type Effect = 'read' | 'claim' | 'save' | 'put' | 'send';

export interface InvocationPorts {
  store: CheckpointStore;
  sink: ObjectSink;
  queue: ContinuationQueue;
}

export class ChaosInvocation implements InvocationPorts {
  readonly store: CheckpointStore;
  readonly sink: ObjectSink;
  readonly queue: ContinuationQueue;
  /** Why the process died: a crash point or the function timeout. */
  death: CrashPoint | 'function timeout' | undefined;
  /** Page requests that were still waiting when the invocation's time was up: a deadline that did not reach ConveYour. */
  readonly outlivedDeadline: string[] = [];
  /** Page requests the pipeline's deadline signal stopped (DeadlineError). */
  stoppedByDeadline = 0;
  private readonly startedAt = Date.now();
  private pausedMs = 0;
  private freeze: { paused: () => void; resumed: Promise<void>; resume: () => void; at: number } | undefined;
  private pauseWhen: ((effect: Effect) => boolean) | undefined;

  constructor(
    readonly owner: string,
    ports: InvocationPorts,
    private readonly timeoutMs: number,
    /** Undefined: this invocation never crashes (the run is settling). */
    private readonly crashes: CrashSchedule | undefined,
  ) {
    this.store = {
      load: async (key: CheckpointKey) => {
        await this.gate('read');
        return ports.store.load(key);
      },
      list: async () => {
        await this.gate('read');
        return ports.store.list();
      },
      // The write options carry the invocation's deadline signal: passed on, so the chaos run's writes are bounded as the deployed ones are.
      claim: async (next: Checkpoint, expectedVersion: number, nowMs: number, options?: WriteOptions) => {
        await this.gate('claim');
        await ports.store.claim(next, expectedVersion, nowMs, options);
      },
      save: async (next: Checkpoint, owner: string, options?: WriteOptions) => {
        await this.gate('save');
        await ports.store.save(next, owner, options);
        if (next.collection === 'lesson_transcripts' && next.inFlight?.transcripts?.next !== undefined) this.maybeCrash('mid lesson_transcripts');
      },
    };
    this.sink = {
      put: async (object: LandingObject, options?: WriteOptions) => {
        await this.gate('put');
        this.maybeCrash('fetch → write');
        await ports.sink.put(object, options);
        this.maybeCrash('write → checkpoint');
      },
    };
    this.queue = {
      send: async (message: ContinuationMessage, options?: { delaySeconds?: number } & WriteOptions) => {
        await this.gate('send');
        this.maybeCrash('checkpoint → enqueue');
        await ports.queue.send(message, options);
      },
    };
  }

  /**
   * The sources as this invocation sees them: every page request is timed against the
   * invocation's own clock, so one that settles after Lambda would have stopped the process
   * (a hung request the deadline signal did not abort) is recorded.
   */
  watched(sources: readonly SourceRuntime[]): SourceRuntime[] {
    return sources.map((source) => ({ ...source, pages: this.watchPages(source.name, source.pages) }));
  }

  private watchPages(source: string, inner: PageSource): PageSource {
    return {
      pages: (query: QuerySpec, options?: PageOptions) => {
        const pages = inner.pages(query, options);
        return {
          [Symbol.asyncIterator]: () => {
            const iterator = pages[Symbol.asyncIterator]();
            return {
              next: async () => {
                const startedMs = this.processMs();
                let outcome = 'a page';
                try {
                  return await iterator.next();
                } catch (error) {
                  outcome = String((error as { code?: unknown }).code ?? (error as Error).name);
                  if (outcome === 'DEADLINE_REACHED') this.stoppedByDeadline += 1;
                  throw error;
                } finally {
                  const endedMs = this.processMs();
                  // Pending when Lambda would have stopped the process, and still so a while after (a loaded machine's event loop lags).
                  if (startedMs < this.timeoutMs && endedMs > this.timeoutMs + OUTLIVED_GRACE_MS) {
                    this.outlivedDeadline.push(`${this.owner}: a ${source}/${query.collection} page request from ${startedMs} ms to ${endedMs} ms (${outcome}), past the invocation's ${this.timeoutMs} ms`);
                  }
                }
              },
              return: async (value?: unknown) => (await iterator.return?.(value)) ?? { done: true as const, value: undefined },
            };
          },
        };
      },
    };
  }

  get dead(): boolean {
    return this.death !== undefined;
  }

  /** Lambda's getRemainingTimeInMillis: the invocation's own time, which stands still while it is frozen. */
  remainingMs = (): number => this.timeoutMs - this.processMs();

  /** Freezes the whole invocation at the first effect that matches; resolves once it is frozen (or never, if none matches). */
  pauseAt(when: (effect: Effect) => boolean): Promise<void> {
    return new Promise((paused) => {
      let resume!: () => void;
      const resumed = new Promise<void>((resolve) => (resume = resolve));
      this.pauseWhen = when;
      this.freeze = { paused, resumed, resume, at: 0 };
    });
  }

  get frozen(): boolean {
    return this.freeze !== undefined && this.freeze.at > 0;
  }

  resume(): void {
    const freeze = this.freeze;
    if (!freeze) return;
    if (freeze.at > 0) this.pausedMs += Date.now() - freeze.at;
    this.freeze = undefined;
    this.pauseWhen = undefined;
    freeze.resume();
  }

  private processMs(): number {
    const frozenFor = this.freeze && this.freeze.at > 0 ? Date.now() - this.freeze.at : 0;
    return Date.now() - this.startedAt - this.pausedMs - frozenFor;
  }

  private async gate(effect: Effect): Promise<void> {
    const freeze = this.freeze;
    if (freeze && (freeze.at > 0 || this.pauseWhen?.(effect))) {
      if (freeze.at === 0) {
        freeze.at = Date.now();
        freeze.paused();
      }
      await freeze.resumed;
    }
    if (this.dead) throw new CrashError(`invocation ${this.owner} is dead (${this.death})`);
    // Lambda stops the process at its timeout: whatever the run was about to do does not happen.
    if (this.processMs() > this.timeoutMs) this.die('function timeout');
  }

  private maybeCrash(point: CrashPoint): void {
    if (this.dead) throw new CrashError(`invocation ${this.owner} is dead (${this.death})`);
    if (this.crashes?.take(point)) this.die(point);
  }

  private die(cause: CrashPoint | 'function timeout'): never {
    this.death = cause;
    throw new CrashError(`invocation ${this.owner} died (${cause})`);
  }
}
