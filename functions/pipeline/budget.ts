import { setMaxListeners } from 'node:events';
import { DeadlineError } from '../conveyour/errors.js';

/**
 * Decides whether there is time for one more page before Lambda's deadline.
 *
 * The cost of a step (fetch + encode + S3 writes + checkpoint) is learned from the steps
 * seen so far: the next one is assumed to cost as much as the slowest yet, times 1.5, so a
 * slow page late in a run does not push the final checkpoint past the deadline.
 *
 * It also turns the deadline into two AbortSignals, so no await outlives the invocation:
 * `fetchSignal` stops ConveYour requests and retry waits at the deadline minus the margin, and
 * `writeSignal` stops S3, DynamoDB and SQS calls a quarter of the margin before the deadline,
 * leaving the rest of the margin to the writes that save what the stopped fetches left.
 */
export interface BudgetOptions {
  /** Milliseconds left in the invocation (Lambda's context.getRemainingTimeInMillis). */
  remainingMs: () => number;
  /** Kept in reserve for the final flush, checkpoint, lease release and continuation message. */
  safetyMarginMs: number;
  /** Assumed cost of a step before any has been measured. */
  initialStepEstimateMs: number;
}

export class Budget {
  private slowestStepMs = 0;
  private steps = 0;
  private fetchStop: Stop | undefined;
  private writeStop: Stop | undefined;

  constructor(private readonly options: BudgetOptions) {}

  /** Records the measured cost of one step. */
  observe(stepMs: number): void {
    this.steps += 1;
    this.slowestStepMs = Math.max(this.slowestStepMs, stepMs);
  }

  /** The time one more step is assumed to take. */
  nextStepEstimateMs(): number {
    return this.steps === 0 ? this.options.initialStepEstimateMs : Math.ceil(this.slowestStepMs * 1.5);
  }

  allowsAnotherStep(): boolean {
    return this.options.remainingMs() - this.options.safetyMarginMs > this.nextStepEstimateMs();
  }

  remainingMs(): number {
    return this.options.remainingMs();
  }

  /** Milliseconds until `fetchSignal` fires. */
  fetchRemainingMs(): number {
    return this.options.remainingMs() - this.options.safetyMarginMs;
  }

  /** Aborts fetches and retry waits at the deadline minus the margin, with a DeadlineError. */
  get fetchSignal(): AbortSignal {
    this.fetchStop ??= stopAfter(this.fetchRemainingMs(), 'fetch');
    return this.fetchStop.signal;
  }

  /** Aborts S3, DynamoDB and SQS calls a quarter of the margin before the deadline. */
  get writeSignal(): AbortSignal {
    this.writeStop ??= writeStopFor(this.options.remainingMs, this.options.safetyMarginMs);
    return this.writeStop.signal;
  }

  /** Clears the timers (they are unref'd, so a forgotten one never holds the process). */
  dispose(): void {
    this.fetchStop?.clear();
    this.writeStop?.clear();
  }
}

interface Stop {
  signal: AbortSignal;
  clear(): void;
}

/** The write deadline of an invocation, for writes made outside a run (a continuation's send). */
export function writeStopFor(remainingMs: () => number, safetyMarginMs: number): Stop {
  return stopAfter(remainingMs() - Math.floor(safetyMarginMs / 4), 'write');
}

function stopAfter(ms: number, what: 'fetch' | 'write'): Stop {
  const controller = new AbortController();
  // Every request and write of the run listens on this one signal (a flush PUTs one object per dt
  // at once, transcripts keep 16 contacts in flight) and each removes its listener as it settles:
  // many at once is the design, not a leak, and Node's warning past 10 would only be log noise.
  setMaxListeners(0, controller.signal);
  const reason = () =>
    new DeadlineError(
      what === 'fetch'
        ? 'the invocation reached its deadline minus SAFETY_MARGIN_MS: the request was stopped; the run saves what it has and a continuation carries on'
        : 'the invocation is about to reach its deadline: the write was stopped; the next run resumes from the checkpoint',
    );
  if (ms <= 0) {
    controller.abort(reason());
    return { signal: controller.signal, clear() {} };
  }
  const timer = setTimeout(() => controller.abort(reason()), ms);
  timer.unref();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}
