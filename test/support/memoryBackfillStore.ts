/** A BackfillStore in memory with the same optimistic rule as the DynamoDB one. */
import type { BackfillPlan, BackfillRef } from '../../functions/backfill/plan.js';
import { PlanConflictError, type BackfillStore } from '../../functions/backfill/ports.js';

const keyOf = (ref: BackfillRef) => `${ref.source}#${ref.collection}#${ref.id}`;

export class MemoryBackfillStore implements BackfillStore {
  readonly plans = new Map<string, BackfillPlan>();

  async create(plan: BackfillPlan): Promise<void> {
    if (this.plans.has(keyOf(plan))) throw new PlanConflictError(`${keyOf(plan)} exists`);
    plan.version = 1;
    this.plans.set(keyOf(plan), structuredClone(plan));
  }
  async load(ref: BackfillRef): Promise<BackfillPlan | undefined> {
    const plan = this.plans.get(keyOf(ref));
    return plan ? structuredClone(plan) : undefined;
  }
  async save(next: BackfillPlan): Promise<void> {
    if (this.plans.get(keyOf(next))?.version !== next.version - 1) throw new PlanConflictError(`${keyOf(next)} moved`);
    this.plans.set(keyOf(next), structuredClone(next));
  }
  async active(): Promise<BackfillRef[]> {
    return [...this.plans.values()].filter((plan) => plan.status === 'running').map(({ source, collection, id }) => ({ source, collection, id }));
  }
}
