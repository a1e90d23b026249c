/**
 * The run loop: read a window page by page into the sink, mark it complete, and with
 * `--watch` wait and read the next one. A stop request (a signal, a closed stdout) ends the
 * run after the page in hand is written; an expired cursor reads the window again, and a
 * watch that has completed a window survives an outage by reading the failed window again
 * at the next poll.
 */
import { ConveYourError, CursorExpiredError, RetriesExhaustedError } from '../conveyour/errors.js';
import type { ConveYourRecord, QueryWindow, UnixSeconds } from '../conveyour/types.js';
import { settledEnd } from '../pipeline/serverClock.js';
import { formatUnix } from '../time/errors.js';
import type { StreamPlan } from './options.js';
import type { RecordSink } from './sinks.js';
import { nextWindow, sleep as defaultSleep } from './watch.js';

/**
 * Pages of one window, for one collection (the client's streamCollection, or a fake). A batch's
 * page (for lesson_transcripts its contacts page) carries the server's clock when it had a Date.
 */
export type WindowReader = (
  window: QueryWindow,
  signal: AbortSignal,
) => AsyncIterable<{ records: ConveYourRecord[]; page?: { serverTime?: UnixSeconds }; contact?: { contactsPage: { serverTime?: UnixSeconds } } }>;

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
  /** `watch`: a window covers up to the server's Date minus this (pipeline/serverClock.ts); default 0. */
  settleSeconds?: number;
}

export type RunResult = 'completed' | 'stopped';

/** @throws the reader's errors (exit 1), after a CursorExpiredError only once restarts ran out. */
export async function runStream(plan: StreamPlan, deps: RunDependencies): Promise<RunResult> {
  const sleep = deps.sleep ?? defaultSleep;
  const settle = deps.settleSeconds ?? 0;
  // Server minus local, from the last Date seen: a watch's windows are cut on the server's clock,
  // which stamps updated_at, as the pipeline's are (README, "Time model").
  let offset = 0;
  const serverNow = (): UnixSeconds => deps.nowSeconds() + offset;
  await deps.sink.open();
  let window = plan.window;
  let completedOnce = false;
  for (;;) {
    let covered = window;
    if (window.end > window.start) {
      if (deps.debug) deps.reporter.log(`[debug] ${plan.collection} window [${formatUnix(window.start)}, ${formatUnix(window.end)})`);
      try {
        const read = await readWindow(plan, window, deps);
        if (read.status === 'stopped') return 'stopped';
        if (read.serverTime !== undefined) offset = read.serverTime - read.receivedAt;
        // Without a Date, the server's time is estimated from the last offset.
        if (plan.watch) covered = { start: window.start, end: Math.max(window.start, settledEnd(window.end, read.serverTime ?? serverNow(), settle)) };
      } catch (error) {
        // A watch that has worked rides out an outage; a first failure is more likely a wrong setup.
        if (!plan.watch || !completedOnce || !isTransient(error)) throw error;
        deps.reporter.log(
          `warning: reading ${plan.collection} [${formatUnix(window.start)}, ${formatUnix(window.end)}) failed (${(error as Error).message}); ` +
            'reading it again at the next poll: records already written may repeat',
        );
        await sleep(plan.intervalMs, deps.signal);
        if (deps.signal.aborted) return 'stopped';
        window = { start: window.start, end: Math.max(window.end, serverNow() - settle) };
        continue;
      }
    }
    if (deps.signal.aborted) return 'stopped';
    await deps.sink.windowComplete(covered);
    completedOnce = true;
    if (!plan.watch) return 'completed';
    deps.reporter.status(`watching; next poll at ${new Date(deps.nowSeconds() * 1000 + plan.intervalMs).toISOString().slice(11, 19)}Z`);
    await sleep(plan.intervalMs, deps.signal);
    if (deps.signal.aborted) return 'stopped';
    // Ends the settle margin before the server's now: in step with the server, the next Date caps nothing and no record repeats.
    window = nextWindow(covered, serverNow() - settle);
  }
}

/** Failures that retries could not outlast but a later poll may: the network, 5xx, 429. */
function isTransient(error: unknown): boolean {
  return error instanceof RetriesExhaustedError || (error instanceof ConveYourError && error.retriable);
}

/** The window read to its end (or stopped), and the server's clock from the response that opened its (last) query. */
interface WindowRead {
  status: 'complete' | 'stopped';
  serverTime: UnixSeconds | undefined;
  /** Our clock when that response was in. */
  receivedAt: UnixSeconds;
}

async function readWindow(plan: StreamPlan, window: QueryWindow, deps: RunDependencies): Promise<WindowRead> {
  const maxRestarts = deps.maxRestarts ?? 3;
  for (let restart = 0; ; restart += 1) {
    let written = 0;
    let opening: { serverTime: UnixSeconds | undefined; receivedAt: UnixSeconds } | undefined;
    const outcome = (status: WindowRead['status']): WindowRead => ({ status, serverTime: opening?.serverTime, receivedAt: opening?.receivedAt ?? deps.nowSeconds() });
    try {
      for await (const batch of deps.read(window, deps.signal)) {
        opening ??= { serverTime: batch.contact?.contactsPage.serverTime ?? batch.page?.serverTime, receivedAt: deps.nowSeconds() };
        await deps.sink.records(batch.records, new Date());
        written += batch.records.length;
        deps.reporter.page(batch.records.length);
        if (deps.signal.aborted) return outcome('stopped');
      }
      // A reader may end quietly when aborted: that window is not complete.
      return outcome(deps.signal.aborted ? 'stopped' : 'complete');
    } catch (error) {
      if (deps.signal.aborted) return outcome('stopped');
      if (!(error instanceof CursorExpiredError) || restart >= maxRestarts) throw error;
      deps.reporter.log(
        `warning: the ${plan.collection} cursor expired after ${written} records (${error.message}); ` +
          `reading [${formatUnix(window.start)}, ${formatUnix(window.end)}) again from its start ` +
          `(restart ${restart + 1} of ${maxRestarts}): records already written may repeat`,
      );
    }
  }
}
