import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../infra/local/simulator/index.js';
import { BIN, baseEnv, jsonLines, startProcess } from './cli-harness.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({
    seed: 21,
    history: { counts: { events: 50, contacts: 20, tags: 5, campaigns: 5, lessons: 5, triggers: 5, message_reports: 5, trigger_logs: 5 } },
    // No timer: each request catches the live generator up to the real clock.
    live: { intervalMs: 0, createsPerMinute: { events: 600 } },
  });
});

afterAll(async () => {
  await sim.close();
});

describe('conveyour-stream --watch', () => {
  it('picks up records created after it started, then stops cleanly on SIGTERM with exit 0', async () => {
    // Prepare
    const startedAt = Math.floor(Date.now() / 1000);
    const env = baseEnv({ CONVEYOUR_BASE_URL: sim.url, CONVEYOUR_APPKEY: sim.credentials.appkey, CONVEYOUR_TOKEN: sim.credentials.token });

    // Act: tail from now; only live changes can appear.
    const cli = startProcess(process.execPath, [BIN, '--collection=events', '--start_time=now', '--watch', '--interval=200'], { env });
    await cli.waitForStdout((stdout) => jsonLines(stdout).length >= 3);
    cli.child.kill('SIGTERM');
    const result = await cli.finished;

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.endsWith('\n')).toBe(true);
    const printed = jsonLines(result.stdout);
    expect(new Set(printed.map((record) => record._id)).size).toBe(printed.length);
    for (const record of printed) {
      expect(Number(record.created_at)).toBeGreaterThanOrEqual(startedAt);
      expect(record).toEqual(sim.truth.record('events', String(record._id), Number(record.updated_at)));
    }
  });
});
