import { DEFAULT_SETTLE_SECONDS } from '../../functions/config/limits.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../infra/local/simulator/index.js';
import { PROJECT_ROOT, baseEnv, startProcess } from './cli-harness.js';

let sim: Simulator;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({
    seed: 31,
    history: { counts: { events: 20, contacts: 20, tags: 12, campaigns: 5, lessons: 5, triggers: 5, message_reports: 5, trigger_logs: 5 } },
  });
  env = baseEnv({ CONVEYOUR_BASE_URL: sim.url, CONVEYOUR_APPKEY: sim.credentials.appkey, CONVEYOUR_TOKEN: sim.credentials.token });
});

afterAll(async () => {
  await sim.close();
});

/** npm prints a banner ("> pkg@1.0.0 stream", "> tsx ...") on stdout before the script runs. */
function withoutNpmBanner(stdout: string): string {
  return stdout
    .split('\n')
    .filter((line) => !line.startsWith('> ') && line !== '')
    .join('\n');
}

describe('the original spelling: npm run stream --flag=value (no --)', () => {
  it('reads --collection, --start_time, --fields, --pretty and --debug from what npm passes', async () => {
    // Act
    const npm = startProcess('npm', ['run', 'stream', '--collection=tags', '--start_time=0', '--fields=_id', '--pretty', '--debug'], {
      env,
      cwd: PROJECT_ROOT,
    });
    const result = await npm.finished;

    // Assess
    expect(result.code).toBe(0);
    const expected = sim.truth.expectedQuery('tags', { start: 0, end: 4_102_444_800 }, Math.floor(Date.now() / 1000));
    const records = withoutNpmBanner(result.stdout).split(/(?<=^})\n/m);
    expect(records.map((text) => JSON.parse(text)._id).sort()).toEqual(expected.map((version) => version._id).sort());
    expect(records.every((text) => /^\{\n {4}"_id": "[^"]+"\n\}$/.test(text.trim()))).toBe(true);
    expect(result.stderr).toMatch(/^\[debug\] GET collectionStream collection=tags start_time=0 end_time=\d+ data=1 -> 200 in \d+ms \(attempt 1\)$/m);
  });

  it('reads --watch and --interval from npm too', async () => {
    // Prepare: its own process group, so the stop reaches the CLI under npm and sh as Ctrl-C would.
    const npm = startProcess('npm', ['run', 'stream', '--collection=tags', '--start_time=0', '--watch', '--interval=200', '--debug'], {
      env,
      cwd: PROJECT_ROOT,
      detached: true,
    });
    try {
      // Act: a second window proves the watch loop runs, at the interval npm passed.
      await waitFor(() => (npm.stderr().match(/\[debug\] tags window/g) ?? []).length >= 2);
    } finally {
      npm.kill('SIGTERM');
    }
    const result = await npm.finished;

    // Assess
    const windows = [...result.stderr.matchAll(/\[debug\] tags window \[.* = (\d+), .* = (\d+)\)/g)].map((match) => [Number(match[1]), Number(match[2])]);
    expect(windows[0]![0]).toBe(0);
    // The first window covered up to the server's Date minus the settle margin (the simulator's clock is ours here): the next starts there.
    expect(windows[1]![0]).toBeGreaterThanOrEqual(windows[0]![1]! - DEFAULT_SETTLE_SECONDS - 1);
    expect(windows[1]![0]).toBeLessThanOrEqual(windows[0]![1]! - DEFAULT_SETTLE_SECONDS + 1);
    expect(withoutNpmBanner(result.stdout).split('\n').filter((line) => line.startsWith('{'))).toHaveLength(
      sim.truth.expectedQuery('tags', { start: 0, end: 4_102_444_800 }, Math.floor(Date.now() / 1000)).length,
    );
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
