/**
 * EventBridge Scheduler target, every minute: runs every enabled collection of every source
 * in one invocation and enqueues a continuation for each run that ran out of time; then looks
 * after running backfills (hands out windows, re-sends stalled ones on a new chain).
 *
 * A collection that fails is recorded in its checkpoint, logged and counted (RunFailures),
 * and does not fail the invocation: the next tick retries it within a minute, and a thrown
 * error would only make the scheduler re-run every collection.
 */
import { createRuntime } from './runtime.js';
import { createTickHandler } from './tickHandler.js';

// Built once per container, at init: a bad setting fails the cold start with a message naming it.
export const handler = createTickHandler(createRuntime(process.env));
