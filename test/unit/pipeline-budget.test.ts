import { describe, expect, it } from 'vitest';
import { Budget } from '../../functions/pipeline/budget.js';

describe('budget', () => {
  it('uses the initial estimate until a step is measured', () => {
    const budget = new Budget({ remainingMs: () => 10_000, safetyMarginMs: 2_000, initialStepEstimateMs: 7_999 });
    expect(budget.allowsAnotherStep()).toBe(true);
    const tight = new Budget({ remainingMs: () => 10_000, safetyMarginMs: 2_000, initialStepEstimateMs: 8_000 });
    expect(tight.allowsAnotherStep()).toBe(false);
  });

  it('learns from the slowest step measured, with half again as margin', () => {
    let remaining = 20_000;
    const budget = new Budget({ remainingMs: () => remaining, safetyMarginMs: 1_000, initialStepEstimateMs: 100 });
    budget.observe(1_000);
    budget.observe(4_000);
    budget.observe(2_000);
    expect(budget.nextStepEstimateMs()).toBe(6_000);
    remaining = 7_001;
    expect(budget.allowsAnotherStep()).toBe(true);
    remaining = 7_000;
    expect(budget.allowsAnotherStep()).toBe(false);
  });

  it('lets every concurrent request of a run listen on its deadline signals without a leak warning', async () => {
    // Prepare: a flush PUTs one object per dt at once; a backfill window of a month is 31 of them.
    const budget = new Budget({ remainingMs: () => 60_000, safetyMarginMs: 10_000, initialStepEstimateMs: 100 });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      // Act
      for (const signal of [budget.fetchSignal, budget.writeSignal]) for (let i = 0; i < 40; i++) signal.addEventListener('abort', () => {});
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
      budget.dispose();
    }
    // Assess
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});
