/**
 * The first `npm start` in a new data dir, as a user runs it (a child process, the embedded
 * simulator with its rate limit): the table comes without a wall of JSON warnings before it.
 * Retries are routine and shown as a counter under the table; only a request that fails for
 * good is worth a warning line.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dataDir: string | undefined;
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Runs `npm start` until its stdout matches `until`, then Ctrl-C (SIGINT) and waits for it to end. */
function startUntil(args: string[], until: RegExp, timeoutMs: number): Promise<{ stdout: string; stderr: string; matched: boolean }> {
  return new Promise((resolve, reject) => {
    // Its own process group, signalled as a whole, as a terminal's Ctrl-C does (npm's sh would not relay it).
    const child = spawn('npm', ['start', '--silent', '--', ...args], { cwd: ROOT, detached: true, env: { ...process.env, CONVEYOUR_APPKEY: '', CONVEYOUR_TOKEN: '' } });
    let stdout = '';
    let stderr = '';
    let matched = false;
    const stop = () => process.kill(-child.pid!, 'SIGINT');
    const timer = setTimeout(stop, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!matched && until.test(stdout)) {
        matched = true;
        clearTimeout(timer);
        stop();
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ stdout, stderr, matched });
    });
  });
}

describe('the first npm start', () => {
  it('prints its table with a retry counter and no 429 warning (its requests stay under the simulator’s rate limit)', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'conveyour-first-'));

    // Not a TTY: the table is printed (in one write) after each tick, the first being the whole catch-up.
    const result = await startUntil([`--data-dir=${dataDir}`], /^local\/triggers .*\n/m, 80_000);

    expect(result.matched, `stdout:\n${result.stdout}\nstderr:\n${result.stderr.slice(0, 2000)}`).toBe(true);
    expect(result.stdout).toMatch(/^local\/events\s+\d+/m);
    const counter = /^ConveYour requests: (\d+) retried \((\d+) throttled with 429\), (\d+) failed$/m.exec(result.stdout);
    expect(counter, result.stdout).not.toBeNull();
    // Paced under the limit, nothing is throttled (a loaded machine may still see the odd reset retried).
    expect(Number(counter![2]), result.stdout).toBe(0);
    const noise = result.stderr.split('\n').filter((line) => /\b429\b/.test(line) || line.includes('conveyour request retry'));
    expect(noise).toEqual([]);
  }, 120_000);
});
