/**
 * EventBridge Scheduler target, every minute: runs every enabled collection of every source
 * in one invocation and enqueues a continuation for each run that ran out of time.
 *
 * A collection that fails is recorded in its checkpoint, logged and counted (RunFailures),
 * and does not fail the invocation: the next tick retries it within a minute, and a thrown
 * error would only make the scheduler re-run every collection.
 */
import type { Context } from 'aws-lambda';
import { runTick } from '../pipeline/orchestrate.js';
import { createRuntime } from './runtime.js';

const runtime = createRuntime(process.env);

export const handler = async (_event: unknown, context: Context) => {
  const startedMs = Date.now();
  const result = await runTick(await runtime.sources(), runtime.deps(context));
  runtime.report(result, 'tick', startedMs);
  return {
    collections: result.runs.length,
    continuations: result.continuations,
    failures: result.failures.length,
    runs: result.runs.map((run) => ({ ...run.key, status: run.status })),
  };
};
