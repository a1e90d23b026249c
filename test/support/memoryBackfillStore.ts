/** A BackfillStore in memory with the same optimistic rule as the DynamoDB one. */
import type { BackfillPlan, BackfillRef } from '../../functions/backfill/plan.js';
import { PlanConflictError, type BackfillStore } from '../../functions/backfill/ports.js';

const keyOf = (ref: BackfillRef) => `${ref.source}#${ref.collection}#${ref.id}`;

export class MemoryBackfillStore implements BackfillStore {
  readonly plans = new Map<string, BackfillPlan>();
  /** A save for which this returns true lands, but its caller gets an error: the answer was lost. */
  loseAnswer: ((next: BackfillPlan) => boolean) | undefined;

  async create(plan: BackfillPlan): Promise<void> {
    const stored = this.plans.get(keyOf(plan));
    if (stored && (plan.writeToken === undefined || stored.writeToken !== plan.writeToken)) throw new PlanConflictError(`${keyOf(plan)} exists`);
    plan.version = 1;
    this.plans.set(keyOf(plan), structuredClone(plan));
  }
  async load(ref: BackfillRef): Promise<BackfillPlan | undefined> {
    const plan = this.plans.get(keyOf(ref));
    return plan ? structuredClone(plan) : undefined;
  }
  async save(next: BackfillPlan): Promise<void> {
    const stored = this.plans.get(keyOf(next));
    // A retried write whose first attempt landed: done, as the DynamoDB store decides.
    if (stored && next.writeToken !== undefined && stored.version === next.version && stored.writeToken === next.writeToken) return;
    if (stored?.version !== next.version - 1) throw new PlanConflictError(`${keyOf(next)} moved`);
    this.plans.set(keyOf(next), structuredClone(next));
    if (this.loseAnswer?.(next)) {
      this.loseAnswer = undefined;
      throw Object.assign(new Error('socket hang up: the answer to a plan save was lost'), { name: 'TimeoutError' });
    }
  }
  async active(): Promise<BackfillRef[]> {
    return [...this.plans.values()].filter((plan) => plan.status === 'running').map(({ source, collection, id }) => ({ source, collection, id }));
  }
}
