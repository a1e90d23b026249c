/**
 * Decides whether there is time for one more page before Lambda's deadline.
 *
 * The cost of a step (fetch + encode + S3 writes + checkpoint) is learned from the steps
 * seen so far: the next one is assumed to cost as much as the slowest yet, times 1.5, so a
 * slow page late in a run does not push the final checkpoint past the deadline.
 */
export interface BudgetOptions {
  /** Milliseconds left in the invocation (Lambda's context.getRemainingTimeInMillis). */
  remainingMs: () => number;
  /** Kept in reserve for the final flush, checkpoint, lease release and continuation message. */
  safetyMarginMs: number;
  /** Assumed cost of a step before any has been measured. */
  initialStepEstimateMs: number;
}

export class Budget {
  private slowestStepMs = 0;
  private steps = 0;

  constructor(private readonly options: BudgetOptions) {}

  /** Records the measured cost of one step. */
  observe(stepMs: number): void {
    this.steps += 1;
    this.slowestStepMs = Math.max(this.slowestStepMs, stepMs);
  }

  /** The time one more step is assumed to take. */
  nextStepEstimateMs(): number {
    return this.steps === 0 ? this.options.initialStepEstimateMs : Math.ceil(this.slowestStepMs * 1.5);
  }

  allowsAnotherStep(): boolean {
    return this.options.remainingMs() - this.options.safetyMarginMs > this.nextStepEstimateMs();
  }

  remainingMs(): number {
    return this.options.remainingMs();
  }
}
