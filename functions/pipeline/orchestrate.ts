/**
 * The two entry points of the core: a tick runs every enabled collection of every source
 * in one invocation; a continuation carries on one collection whose run ran out of time.
 */
import type { PageSource, QueryWindow } from '../conveyour/types.js';
import { Budget, writeStopFor } from './budget.js';
import { describeError } from './errors.js';
import type { Catalog } from './messages.js';
import type { CheckpointStore, Clock, ContinuationMessage, ContinuationQueue, Log, ObjectSink } from './ports.js';
import { runCollection, type RunPolicy, type RunResult } from './runCollection.js';
import { continuationFailed, escapedRunStatus } from './runSteps.js';
import { Slots } from './slots.js';

/** Collections peeked at together by one tick: every one of a usual deployment, without flooding ConveYour for a large one. */
const PEEKS_AT_ONCE = 16;

export interface SourceRuntime {
  name: string;
  collections: readonly string[];
  pages: PageSource;
}

export interface PipelinePolicy extends RunPolicy {
  /** Collections paged at once within one invocation (every collection is peeked at at once). */
  collectionConcurrency: number;
  /** Continuations per chain before leaving the rest to the next tick (Lambda stops chains at 16). */
  maxHops: number;
  safetyMarginMs: number;
  initialStepEstimateMs: number;
}

export interface PipelineDeps {
  store: CheckpointStore;
  sink: ObjectSink;
  queue: ContinuationQueue;
  clock: Clock;
  log: Log;
  policy: PipelinePolicy;
  /** The invocation's remaining time (Lambda's context.getRemainingTimeInMillis). */
  remainingMs: () => number;
  /** Unique per invocation. */
  owner: string;
  newRunId: () => string;
}

export interface InvocationResult {
  runs: RunResult[];
  continuations: number;
  failures: RunResult[];
}

export function catalogOf(sources: readonly SourceRuntime[]): Catalog {
  return new Map(sources.map((source) => [source.name, source.collections]));
}

/**
 * Peeks at every (source, collection) at once, pages those with work a few at a time, and
 * enqueues a continuation for each that ran out of time as soon as its run stops, so a
 * collection still paging (or hung until the deadline) holds back no other's. Peeking at all of them together makes
 * an idle tick one round trip to ConveYour long instead of one per group of collections, and
 * an idle tick is most ticks: most of the Lambda duration of a quiet month.
 */
export async function runTick(sources: readonly SourceRuntime[], deps: PipelineDeps): Promise<InvocationResult> {
  const work = sources.flatMap((source) => source.collections.map((collection) => ({ source, collection })));
  const pagingSlots = new Slots(deps.policy.collectionConcurrency);
  let continuations = 0;
  const runs = await mapLimited(work, PEEKS_AT_ONCE, async ({ source, collection }) => {
    const { run, continued } = await runThenContinue(await safeRun(source, collection, 'tick', { ...deps, pagingSlots }), 1, deps);
    if (continued) continuations += 1;
    return run;
  });
  return { runs, continuations, failures: runs.filter((run) => run.status === 'failed') };
}

/** Carries on one collection; enqueues the next hop while under the cap. */
export async function runContinuation(message: ContinuationMessage, sources: readonly SourceRuntime[], deps: PipelineDeps): Promise<InvocationResult> {
  const source = sources.find((candidate) => candidate.name === message.source);
  if (!source) throw new Error(`unknown source '${message.source}'`);
  const { run, continued } = await runThenContinue(await safeRun(source, message.collection, 'continue', deps), message.hop + 1, deps);
  return { runs: [run], continuations: continued ? 1 : 0, failures: run.status === 'failed' ? [run] : [] };
}

/**
 * Queues the next hop of a run that ran out of time. A send that fails fails only this run (its
 * cursor is in the checkpoint, so the next tick resumes it): the others' continuations, the
 * backfill upkeep and the invocation's report still happen.
 */
async function runThenContinue(run: RunResult, hop: number, deps: PipelineDeps): Promise<{ run: RunResult; continued: boolean }> {
  if (run.status !== 'budget-spent') return { run, continued: false };
  try {
    return { run, continued: await continueLater(run, hop, deps) };
  } catch (error) {
    const failed = continuationFailed(run, error);
    deps.log.error('continuation could not be sent; the next tick resumes from the checkpoint', { ...run.key, runId: run.runId, hop, status: failed.status, error: failed.error });
    return { run: failed, continued: false };
  }
}

/** Queues the next hop of a run that ran out of time, unless the chain reached the hop cap. */
export async function continueLater(run: RunResult, hop: number, deps: PipelineDeps, backfill?: ContinuationMessage['backfill']): Promise<boolean> {
  if (hop > deps.policy.maxHops) {
    // Not an error: the in-flight cursor is in the checkpoint and the next tick (a new chain) resumes it.
    deps.log.info('continuation hop cap reached; the next tick resumes', { ...run.key, runId: run.runId, hop });
    return false;
  }
  const stop = writeStopFor(deps.remainingMs, deps.policy.safetyMarginMs);
  try {
    await deps.queue.send(
      { source: run.key.source, collection: run.key.collection, runId: run.runId ?? 'unknown', hop, ...(backfill ? { backfill } : {}) },
      { signal: stop.signal },
    );
  } finally {
    stop.clear();
  }
  return true;
}

/** One collection's failure (even reading its checkpoint) must not stop the others. */
export async function safeRun(
  source: SourceRuntime,
  collection: string,
  mode: 'tick' | 'continue',
  deps: PipelineDeps & { lane?: string; bounds?: QueryWindow; pagingSlots?: Slots },
): Promise<RunResult> {
  const key = { source: source.name, collection, ...(deps.lane === undefined ? {} : { lane: deps.lane }) };
  const run = runDeps(source, deps);
  try {
    return await runCollection(key, mode, {
      ...run,
      ...(deps.bounds ? { bounds: deps.bounds } : {}),
      ...(deps.pagingSlots ? { pagingSlots: deps.pagingSlots } : {}),
    });
  } catch (error) {
    const described = describeError(error);
    deps.log.error('collection run failed', { ...key, error: described });
    return { key, status: escapedRunStatus(error), runId: undefined, window: undefined, records: 0, pages: 0, files: 0, bytes: 0, splits: 0, cursorRestarts: 0, watermark: undefined, error: described };
  } finally {
    run.budget.dispose();
  }
}

function runDeps(source: SourceRuntime, deps: PipelineDeps) {
  return {
    source: source.pages,
    store: deps.store,
    sink: deps.sink,
    clock: deps.clock,
    log: deps.log,
    owner: deps.owner,
    newRunId: deps.newRunId,
    policy: deps.policy,
    budget: new Budget({
      remainingMs: deps.remainingMs,
      safetyMarginMs: deps.policy.safetyMarginMs,
      initialStepEstimateMs: deps.policy.initialStepEstimateMs,
    }),
  };
}

async function mapLimited<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
