/**
 * EventBridge Scheduler target, every minute: runs every enabled collection of every source
 * in one invocation and enqueues a continuation for each run that ran out of time; then looks
 * after running backfills (hands out windows, re-sends stalled ones on a new chain).
 *
 * A collection that fails is recorded in its checkpoint, logged and counted (RunFailures),
 * and does not fail the invocation: the next tick retries it within a minute, and a thrown
 * error would only make the scheduler re-run every collection.
 */
import type { Context } from 'aws-lambda';
import { driveBackfills } from '../backfill/worker.js';
import { describeError } from '../errors/coded.js';
import { runTick } from '../pipeline/orchestrate.js';
import type { Runtime } from './runtime.js';

export interface TickOutcome {
  collections: number;
  continuations: number;
  failures: number;
  runs: Array<{ source: string; collection: string; lane?: string; status: string }>;
}

export type TickHandler = (event: unknown, context: Context) => Promise<TickOutcome>;

/** The tick on a runtime built by the caller: the local runtime and tests build theirs from their own settings. */
export function createTickHandler(runtime: Runtime): TickHandler {
  return async (_event, context) => {
    const startedMs = Date.now();
    const deps = runtime.deps(context);
    const result = await runTick(await runtime.sources(), deps);
    try {
      result.continuations += await driveBackfills(deps);
    } catch (error) {
      runtime.logger.error('backfill upkeep failed; the next tick tries again', { error: describeError(error) });
    }
    runtime.report(result, 'tick', startedMs);
    return {
      collections: result.runs.length,
      continuations: result.continuations,
      failures: result.failures.length,
      runs: result.runs.map((run) => ({ ...run.key, status: run.status })),
    };
  };
}
