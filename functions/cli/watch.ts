/**
 * The timing of `--watch`: windows that tile time without gaps (on the server's clock: run.ts), and a wait that a stop
 * request cuts short.
 */
import type { QueryWindow, UnixSeconds } from '../conveyour/types.js';

/**
 * The window after `previous`: it starts where `previous` ended (its end was "now" when its
 * query began), so consecutive windows neither overlap nor leave a gap. When the clock has
 * not passed `previous.end`, the window is empty and the poll is skipped.
 */
export function nextWindow(previous: QueryWindow, now: UnixSeconds): QueryWindow {
  return { start: previous.end, end: Math.max(previous.end, now) };
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
