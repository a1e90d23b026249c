/**
 * The run loop: read a window page by page into the sink, mark it complete, and with
 * `--watch` wait and read the next one. A stop request (a signal, a closed stdout) ends the
 * run after the page in hand is written; an expired cursor reads the window again, and a
 * watch that has completed a window survives an outage by reading the failed window again
 * at the next poll.
 */
import { ConveYourError, CursorExpiredError, RetriesExhaustedError } from '../conveyour/errors.js';
import type { ConveYourRecord, QueryWindow, UnixSeconds } from '../conveyour/types.js';
import { formatUnix } from '../time/errors.js';
import type { StreamPlan } from './options.js';
import type { RecordSink } from './sinks.js';
import { nextWindow, sleep as defaultSleep } from './watch.js';

/** Pages of one window, for one collection (the client's streamCollection, or a fake). */
export type WindowReader = (window: QueryWindow, signal: AbortSignal) => AsyncIterable<{ records: ConveYourRecord[] }>;

/** What the loop reports to a person: progress counts, warnings, debug lines. */
export interface RunReporter {
  page(records: number): void;
  status(note: string): void;
  log(line: string): void;
}

export interface RunDependencies {
  read: WindowReader;
  sink: RecordSink;
  reporter: RunReporter;
  /** Aborted to stop: SIGINT/SIGTERM, or stdout closed. */
  signal: AbortSignal;
  nowSeconds: () => UnixSeconds;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  debug?: boolean;
  /** Reads of one window again after its cursor expired; then the error ends the run. */
  maxRestarts?: number;
}

export type RunResult = 'completed' | 'stopped';

/** @throws the reader's errors (exit 1), after a CursorExpiredError only once restarts ran out. */
export async function runStream(plan: StreamPlan, deps: RunDependencies): Promise<RunResult> {
  const sleep = deps.sleep ?? defaultSleep;
  await deps.sink.open();
  let window = plan.window;
  let completedOnce = false;
  for (;;) {
    if (window.end > window.start) {
      if (deps.debug) deps.reporter.log(`[debug] ${plan.collection} window [${formatUnix(window.start)}, ${formatUnix(window.end)})`);
      try {
        if ((await readWindow(plan, window, deps)) === 'stopped') return 'stopped';
      } catch (error) {
        // A watch that has worked rides out an outage; a first failure is more likely a wrong setup.
        if (!plan.watch || !completedOnce || !isTransient(error)) throw error;
        deps.reporter.log(
          `warning: reading ${plan.collection} [${formatUnix(window.start)}, ${formatUnix(window.end)}) failed (${(error as Error).message}); ` +
            'reading it again at the next poll: records already written may repeat',
        );
        await sleep(plan.intervalMs, deps.signal);
        if (deps.signal.aborted) return 'stopped';
        window = { start: window.start, end: Math.max(window.end, deps.nowSeconds()) };
        continue;
      }
    }
    if (deps.signal.aborted) return 'stopped';
    await deps.sink.windowComplete(window);
    completedOnce = true;
    if (!plan.watch) return 'completed';
    deps.reporter.status(`watching; next poll at ${new Date(deps.nowSeconds() * 1000 + plan.intervalMs).toISOString().slice(11, 19)}Z`);
    await sleep(plan.intervalMs, deps.signal);
    if (deps.signal.aborted) return 'stopped';
    window = nextWindow(window, deps.nowSeconds());
  }
}

/** Failures that retries could not outlast but a later poll may: the network, 5xx, 429. */
function isTransient(error: unknown): boolean {
  return error instanceof RetriesExhaustedError || (error instanceof ConveYourError && error.retriable);
}

async function readWindow(plan: StreamPlan, window: QueryWindow, deps: RunDependencies): Promise<'complete' | 'stopped'> {
  const maxRestarts = deps.maxRestarts ?? 3;
  for (let restart = 0; ; restart += 1) {
    let written = 0;
    try {
      for await (const batch of deps.read(window, deps.signal)) {
        await deps.sink.records(batch.records, new Date());
        written += batch.records.length;
        deps.reporter.page(batch.records.length);
        if (deps.signal.aborted) return 'stopped';
      }
      // A reader may end quietly when aborted: that window is not complete.
      return deps.signal.aborted ? 'stopped' : 'complete';
    } catch (error) {
      if (deps.signal.aborted) return 'stopped';
      if (!(error instanceof CursorExpiredError) || restart >= maxRestarts) throw error;
      deps.reporter.log(
        `warning: the ${plan.collection} cursor expired after ${written} records (${error.message}); ` +
          `reading [${formatUnix(window.start)}, ${formatUnix(window.end)}) again from its start ` +
          `(restart ${restart + 1} of ${maxRestarts}): records already written may repeat`,
      );
    }
  }
}
