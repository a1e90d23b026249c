/**
 * Windows on the server's clock. ConveYour stamps `updated_at` with its own clock, so a
 * window that ends at the function's clock loses what a server behind us stamps after it:
 * with the server 90 s behind, a window ending at our 12:00:00 moves the watermark to a
 * second the server reaches only at our 12:01:30, and the next window starts at 11:59:00
 * (watermark minus a 60 s overlap), after every version the server stamped 11:58:30 to 11:59:00.
 *
 * The rule, for every tail window (README, "Time model"):
 * - the end we send is the local clock plus the offset last observed (server minus local),
 *   kept in the checkpoint, so the window asks for the server's "now";
 * - the response that opens the window's query carries the server's time D (its HTTP Date);
 *   the window's covered end is min(end sent, D − settle margin): never a second the server
 *   has not reached, nor one whose writes may still be turning visible;
 * - the watermark becomes max(old watermark, that end) (checkpoint.ts), so it is always in
 *   server time and never moves back.
 * Without a usable Date the server's time is estimated as the local clock plus the last offset:
 * the run goes on, and says so (a warning, and `status`).
 */
import type { Page, UnixSeconds } from '../conveyour/types.js';
import type { Checkpoint, ServerClockReading } from './checkpoint.js';
import type { Clock, Log } from './ports.js';

export type { ServerClockReading } from './checkpoint.js';

/** The server's time now, as far as the tail knows: the local clock plus the last offset. */
export function serverNowSeconds(nowMs: number, clock: ServerClockReading | undefined): UnixSeconds {
  return Math.floor(nowMs / 1000) + (clock?.offsetSeconds ?? 0);
}

/**
 * Server minus local, from a response dated `serverTime` that arrived at `receivedAtMs`: both
 * truncated to their second, so it is right to within a second plus the response's transit.
 * Close enough: it only aims the end we send; the Date itself caps what a window claims.
 */
export function measureOffset(serverTime: UnixSeconds, receivedAtMs: number): number {
  return serverTime - Math.floor(receivedAtMs / 1000);
}

/** The clock after one more response: a Date updates the offset; none keeps it and marks since when it is missing. */
export function observeServerClock(previous: ServerClockReading | undefined, serverTime: UnixSeconds | undefined, receivedAtMs: number): ServerClockReading {
  if (serverTime !== undefined) return { offsetSeconds: measureOffset(serverTime, receivedAtMs), observedAtMs: receivedAtMs };
  return { ...(previous ?? { offsetSeconds: 0 }), missingDateSinceMs: previous?.missingDateSinceMs ?? receivedAtMs };
}

/** The end a window may claim once the response that opened its query said the server's time. */
export function settledEnd(sentEnd: UnixSeconds, serverTime: UnixSeconds, settleSeconds: number): UnixSeconds {
  return Math.min(sentEnd, serverTime - settleSeconds);
}

/**
 * A tail run just begun (beginRun's draft), once the response that opened its first query is in:
 * records the server's clock, and pulls the run's target end (what the watermark becomes) back to
 * what that response proves. A bounded lane reads the fixed range it was given, so only its clock
 * reading changes. `serverTime` undefined: the server's time is estimated from the last offset.
 */
export function settleRun(draft: Checkpoint, serverTime: UnixSeconds | undefined, receivedAtMs: number, settleSeconds: number): Checkpoint {
  const serverClock = observeServerClock(draft.serverClock, serverTime, receivedAtMs);
  const inFlight = draft.inFlight;
  if (!inFlight || draft.bounds) return { ...draft, serverClock };
  const serverAt = serverTime ?? serverNowSeconds(receivedAtMs, serverClock);
  return { ...draft, serverClock, inFlight: { ...inFlight, targetEnd: settledEnd(inFlight.targetEnd, serverAt, settleSeconds) } };
}

/** {@link settleRun} on the first page of the run's first query (undefined: the query returned no page), warning when it had no Date. */
export function settleOnOpeningPage(draft: Checkpoint, page: Page | undefined, deps: { clock: Clock; log: Log; policy: { settleSeconds: number } }): Checkpoint {
  const receivedAtMs = deps.clock.nowMs();
  if (page?.serverTime === undefined) {
    deps.log.warn('ConveYour sent no usable HTTP Date header: this window ends on the local clock plus the last observed offset, minus the settle margin', {
      source: draft.source,
      collection: draft.collection,
      offsetSeconds: draft.serverClock?.offsetSeconds ?? 0,
    });
  }
  return settleRun(draft, page?.serverTime, receivedAtMs, deps.policy.settleSeconds);
}
