/**
 * A backfill window's work item: run the window as a bounded lane (the same run loop, lease and
 * checkpoint rules as the tail), then record it in the plan and hand out the next window.
 */
import { MalformedMessageError } from '../pipeline/errors.js';
import { continueLater, safeRun, type InvocationResult, type PipelineDeps, type SourceRuntime } from '../pipeline/orchestrate.js';
import type { CheckpointStore, ContinuationMessage } from '../pipeline/ports.js';
import { randomUUID } from 'node:crypto';
import { complete, dispatch, inFlightWindows, lastSentMs, newPlan, resent, throttle, windowLane, type BackfillPlan, type BackfillRef } from './plan.js';
import { PlanConflictError, type BackfillStore } from './ports.js';

export interface BackfillDeps extends PipelineDeps {
  plans: BackfillStore;
  /** Windows handed out but silent this long are sent again by the tick (lost message, hop cap, dead worker). */
  stallMs: number;
  /** Whether the API answered 429 during this invocation: then all workers back off together. */
  throttledRecently: () => boolean;
  /** How long every worker holds back after a throttle. */
  throttleHoldMs: number;
}

export async function runBackfillWindow(message: ContinuationMessage, sources: readonly SourceRuntime[], deps: BackfillDeps): Promise<InvocationResult> {
  const { id, window } = message.backfill!;
  const ref: BackfillRef = { source: message.source, collection: message.collection, id };
  const source = sources.find((candidate) => candidate.name === message.source);
  const plan = await deps.plans.load(ref);
  if (!source || !plan) throw new MalformedMessageError(`no backfill ${id} for ${message.source}/${message.collection}`);
  if (window >= plan.windows.length) throw new MalformedMessageError(`backfill ${id} has ${plan.windows.length} windows, not ${window + 1}`);
  const nowMs = deps.clock.nowMs();
  if (nowMs < plan.throttledUntilMs) {
    // The re-send is one more Lambda -> SQS -> Lambda hop: under lasting 429s it would otherwise pass Lambda's stop.
    const sent = await sendWindows([window], plan, message.hop + 1, deps, { delaySeconds: (plan.throttledUntilMs - nowMs) / 1000 });
    return { runs: [], continuations: sent, failures: [] };
  }
  const run = await safeRun(source, message.collection, 'tick', { ...deps, lane: windowLane(id, window), bounds: plan.windows[window]! });
  let continuations = 0;
  if (run.status === 'budget-spent' && (await continueLater(run, message.hop + 1, deps, message.backfill))) continuations += 1;
  const throttled = deps.throttledRecently();
  if (run.status === 'caught-up' || throttled) {
    // At the hop cap this chain ends: the next windows are handed out by the tick, on a new chain.
    const handOut = message.hop + 1 <= deps.policy.maxHops;
    const updated = await updatePlan(deps.plans, ref, deps.clock.nowMs, handOut, (current) => {
      const marked = run.status === 'caught-up' ? complete(current, window, deps.clock.nowMs()) : current;
      return throttled ? throttle(marked, deps.clock.nowMs(), deps.throttleHoldMs) : marked;
    });
    continuations += await sendWindows(updated.send, updated.plan, message.hop + 1, deps);
  }
  return { runs: [run], continuations, failures: run.status === 'failed' ? [run] : [] };
}

/** What handing out windows needs: the plan store, the queue, and the hop cap. */
type DispatchDeps = Pick<BackfillDeps, 'plans' | 'queue' | 'clock' | 'log'> & { policy: { maxHops: number } };

/**
 * The tick's care of running backfills, on a new chain (hop 1): hand out what the limit allows,
 * and re-send each window handed out that nobody is working on (no live lease) and that has not
 * moved for `stallMs`: its message was lost, its worker died, or its chain hit the hop cap.
 * Window by window: its own checkpoint lane's progress and its own send time, so a stranded
 * window is found while the plan's other windows keep finishing.
 */
export async function driveBackfills(deps: DispatchDeps & { stallMs: number; store: CheckpointStore }): Promise<number> {
  let sent = 0;
  for (const ref of await deps.plans.active()) {
    const plan = await deps.plans.load(ref);
    if (!plan) continue;
    const resend: number[] = [];
    const nowMs = deps.clock.nowMs();
    for (const index of inFlightWindows(plan)) {
      const cp = await deps.store.load({ source: plan.source, collection: plan.collection, lane: windowLane(plan.id, index) });
      const working = cp?.lease !== undefined && cp.lease.expiresAtMs > nowMs;
      const lastMoved = Math.max(cp?.counters.lastSuccessAtMs ?? 0, cp?.inFlight?.startedAtMs ?? 0, lastSentMs(plan, index));
      if (!working && nowMs - lastMoved >= deps.stallMs) resend.push(index);
    }
    // A re-send restarts that window's stall clock, so the next ticks give it time instead of piling up messages.
    const updated = await updatePlan(deps.plans, ref, deps.clock.nowMs, true, (current) => resent(current, resend, nowMs));
    sent += await sendWindows([...resend, ...updated.send], updated.plan, 1, deps);
  }
  return sent;
}

/** A write whose outcome is unknown (timeout, lost connection) is sent again as it was, this many times in all. */
const SAME_WRITE_ATTEMPTS = 3;

/**
 * Applies `change` to the stored plan and hands out windows, retrying when another worker got there
 * first. A write whose answer was lost is sent again unchanged, with its write token: the store
 * recognises it if it landed, so the windows it handed out are still sent, never stranded.
 */
async function updatePlan(
  plans: BackfillStore,
  ref: BackfillRef,
  nowMs: () => number,
  handOut: boolean,
  change: (plan: BackfillPlan) => BackfillPlan,
): Promise<{ plan: BackfillPlan; send: number[] }> {
  for (let attempt = 1; ; attempt++) {
    const current = await plans.load(ref);
    if (!current) throw new MalformedMessageError(`backfill ${ref.id} for ${ref.source}/${ref.collection} is gone`);
    const changed = change(current);
    const { plan, send } = handOut ? dispatch(changed, nowMs()) : { plan: changed, send: [] };
    if (plan === current) return { plan, send };
    const next = { ...plan, version: current.version + 1, writeToken: randomUUID() };
    try {
      await saveOnce(plans, next);
      return { plan: next, send };
    } catch (error) {
      if (!(error instanceof PlanConflictError) || attempt >= 8) throw error;
    }
  }
}

async function saveOnce(plans: BackfillStore, next: BackfillPlan): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await plans.save(next);
    } catch (error) {
      if (error instanceof PlanConflictError || attempt >= SAME_WRITE_ATTEMPTS) throw error;
    }
  }
}

async function sendWindows(
  windows: number[],
  plan: BackfillPlan,
  hop: number,
  deps: Omit<DispatchDeps, 'plans' | 'clock'>,
  options: { delaySeconds?: number } = {},
): Promise<number> {
  let sent = 0;
  for (const window of windows) {
    const message = { source: plan.source, collection: plan.collection, runId: plan.id, hop, backfill: { id: plan.id, window } };
    if (hop > deps.policy.maxHops) {
      deps.log.info('backfill window left to the next tick: hop cap reached', { ...message });
      continue;
    }
    await deps.queue.send(message, options);
    sent += 1;
  }
  return sent;
}

/**
 * Plans a backfill, stores the plan, and sends its first windows. If sending fails half-way the
 * plan already counts them as handed out, and the tick re-sends them once they look stalled.
 */
export async function startBackfill(
  spec: BackfillRef & { from: number; to: number; concurrency: number },
  deps: DispatchDeps,
): Promise<BackfillPlan> {
  const nowMs = deps.clock.nowMs();
  const dispatched = dispatch(newPlan(spec, spec, spec.concurrency, nowMs), nowMs);
  const { send } = dispatched;
  const plan = { ...dispatched.plan, writeToken: randomUUID() };
  await deps.plans.create(plan);
  await sendWindows(send, plan, 1, deps);
  return plan;
}
