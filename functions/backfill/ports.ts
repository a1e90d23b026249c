/** Where backfill plans live. The DynamoDB adapter keeps them in the checkpoint table. */
import type { BackfillPlan, BackfillRef } from './plan.js';
import { CodedError } from '../errors/coded.js';

export interface BackfillStore {
  /** Stores a new plan (refused if it exists) and lists it as active. */
  create(plan: BackfillPlan): Promise<void>;
  load(ref: BackfillRef): Promise<BackfillPlan | undefined>;
  /**
   * Writes `next` iff the stored version is `next.version - 1`; throws PlanConflictError
   * otherwise (another worker moved it: reload and retry). A retried write whose first attempt
   * landed (the stored plan holds `next.version` and `next.writeToken`) is done, not refused.
   * A plan saved as done stops being active.
   */
  save(next: BackfillPlan): Promise<void>;
  /** The plans still running: what the tick looks after. One read, whatever the table holds. */
  active(): Promise<BackfillRef[]>;
}

/** The plan changed under a conditional write: read it again and redo the step. */
export class PlanConflictError extends CodedError {
  readonly code = 'BACKFILL_PLAN_CONFLICT';
  override readonly retriable = true;
  override name = 'PlanConflictError';
}
