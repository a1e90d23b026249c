import { describe, expect, it } from 'vitest';
import { FaultConfigError, FaultPlanner, validateFaultConfig } from '../../infra/local/simulator/faults.js';

const decideMany = (planner: FaultPlanner, count: number, isNextPage = true): Array<string | undefined> =>
  Array.from({ length: count }, () => planner.decide({ isNextPage })?.kind);

describe('simulator fault planner', () => {
  it('injects scheduled faults at the given request numbers', () => {
    const planner = new FaultPlanner({ schedule: [{ request: 2, kind: '500' }, { request: 4, kind: 'hang' }] });
    expect(decideMany(planner, 5)).toEqual([undefined, '500', undefined, 'hang', undefined]);
  });

  it('draws rate faults reproducibly from its seed', () => {
    const config = { seed: 3, rate: { '503': 0.2, reset: 0.2 } };
    const a = decideMany(new FaultPlanner(config), 200);
    expect(decideMany(new FaultPlanner(config), 200)).toEqual(a);
    const injected = a.filter((kind) => kind !== undefined).length;
    expect(injected).toBeGreaterThan(50);
    expect(injected).toBeLessThan(110);
  });

  it('counts occurrences per kind, for alternating variants', () => {
    const planner = new FaultPlanner({ rate: { truncate: 1 } });
    expect([planner.decide({ isNextPage: true }), planner.decide({ isNextPage: true })].map((d) => d?.occurrence)).toEqual([1, 2]);
  });

  it('never draws expire for a first page', () => {
    expect(decideMany(new FaultPlanner({ rate: { expire: 1 } }), 10, false).every((kind) => kind === undefined)).toBe(true);
  });

  it('limits rates to first pages with onlyFor first', () => {
    const planner = new FaultPlanner({ rate: { '500': 1 }, onlyFor: 'first' });
    expect([planner.decide({ isNextPage: false })?.kind, planner.decide({ isNextPage: true })?.kind]).toEqual(['500', undefined]);
  });

  it.each([
    [{ rate: { teapot: 0.1 } }, /faults.rate.teapot is not a fault kind/],
    [{ rate: { '500': 0.7, '503': 0.7 } }, /sum to at most 1/],
    [{ schedule: [{ request: 0, kind: '500' }] }, /schedule\[0\].request must be an integer >= 1/],
    [{ retryAfterSeconds: -1 }, /retryAfterSeconds must be an integer >= 0/],
  ])('rejects an invalid config %#', (config, message) => {
    expect(() => validateFaultConfig(config as never)).toThrow(FaultConfigError);
    expect(() => validateFaultConfig(config as never)).toThrow(message);
  });
});
