/**
 * The short, seeded form of `npm run test:chaos` (see harness.ts): the real pipeline core and
 * adapters, the simulator in live mode, every kind of fault at least once, then the proof:
 * nothing lost, every duplicate explained, no checkpoint moved backwards, nothing left in flight
 * or in the dead-letter queue unexplained. A failure prints the whole report and the command
 * that replays the same seed.
 */
import { describe, expect, it } from 'vitest';
import { CRASH_POINTS } from './invocation.js';
import { runChaos } from './harness.js';
import { formatReport } from './report.js';

const SEED = 20_260_115;

describe('the pipeline under faults (short seeded chaos run)', () => {
  it('lands every version at least once under every fault kind, explains every duplicate, never moves a checkpoint back', async () => {
    const report = await runChaos({ seed: SEED, durationSec: 8, maxDurationSec: 45, versions: 1_500, profile: 'quick' });
    const details = formatReport(report);

    expect(report.notExercised, details).toEqual([]);
    expect(Object.keys(report.faults.crashes), details).toEqual(expect.arrayContaining([...CRASH_POINTS]));
    expect(report.settled, details).toBe(true);
    expect(report.verdict.versionsChecked, details).toBeGreaterThan(3_000);
    expect(report.verdict.lost, details).toBe(0);
    expect(report.verdict.unexplainedDuplicates, details).toEqual([]);
    expect(report.verdict.misplaced, details).toEqual([]);
    expect(report.verdict.rewritesWithOtherRecords, details).toEqual([]);
    expect(report.verdict.checkpointWrites, details).toBeGreaterThan(100);
    expect(report.verdict.monotonicViolations, details).toEqual([]);
    expect(report.verdict.leftInFlight, details).toEqual([]);
    expect(report.verdict.lastErrors, details).toEqual([]);
    expect(report.verdict.deadLettersUnexplained, details).toEqual([]);
    expect(report.verdict.lostBySource, details).toEqual({ chaos: 0, 'chaos-b': 0 });
    expect(report.faults.blackouts.held, details).toBeGreaterThan(0);
    expect(report.isolation, details).toEqual({ outlivedDeadline: [], mainSourceFailedBySecret: [], continuationsMissing: [] });
    expect(report.ok, details).toBe(true);
  }, 120_000);
});
