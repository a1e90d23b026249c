/**
 * Runs the real CLI as a child process (`node functions/cli/bin.mjs`), as a user would,
 * with a clean environment: no inherited npm_config_* or CONVEYOUR_* can leak into a test.
 * Children are spawned asynchronously so the simulator in this process keeps answering.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll } from 'vitest';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(PROJECT_ROOT, 'functions/cli/bin.mjs');

/** Short patience, so injected faults cost milliseconds. */
export const FAST_CLIENT_ENV = {
  CONVEYOUR_RETRY_BASE_MS: '5',
  CONVEYOUR_RETRY_MAX_DELAY_MS: '50',
  CONVEYOUR_RETRY_MAX_ATTEMPTS: '20',
  CONVEYOUR_REQUEST_TIMEOUT_MS: '5000',
};

export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: 'UTC' };
  if (process.env.HOME) env.HOME = process.env.HOME;
  return { ...env, ...FAST_CLIENT_ENV, ...extra };
}

const made: string[] = [];
// Registered for each test file that imports the harness.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A directory without a .env, so only the environment we pass counts; removed after the test file. */
export function emptyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cli-test-'));
  made.push(dir);
  return dir;
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  /** Signals the child, or its whole process group when started `detached` (as Ctrl-C or a supervisor's stopasgroup does). */
  kill(signal: NodeJS.Signals): void;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout satisfies `predicate`; rejects if the child ends first. */
  waitForStdout(predicate: (stdout: string) => boolean, timeoutMs?: number): Promise<void>;
  finished: Promise<Finished>;
}

export function startProcess(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string; detached?: boolean },
): Running {
  const detached = options.detached ?? false;
  const child = spawn(command, args, { env: options.env, cwd: options.cwd ?? emptyDir(), stdio: ['ignore', 'pipe', 'pipe'], detached });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const check of waiters) check();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const finished = new Promise<Finished>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const check of waiters) check();
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
  let ended = false;
  void finished.then(() => (ended = true), () => (ended = true));
  const kill = (signal: NodeJS.Signals): void => {
    try {
      if (detached && child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  return {
    child,
    kill,
    stdout: () => stdout,
    stderr: () => stderr,
    finished,
    waitForStdout: (predicate, timeoutMs = 20_000) =>
      new Promise<void>((resolvePromise, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for stdout; stdout so far: ${stdout.slice(-500)}; stderr: ${stderr.slice(-500)}`));
        }, timeoutMs);
        const check = (): void => {
          if (predicate(stdout)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolvePromise();
          } else if (ended || child.exitCode !== null) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`the CLI ended before stdout matched; stderr: ${stderr}`));
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

/** `conveyour-stream <args>` to completion. */
export function runCli(args: string[], env: Record<string, string>, cwd?: string): Promise<Finished> {
  return startProcess(process.execPath, [BIN, ...args], { env, ...(cwd ? { cwd } : {}) }).finished;
}

/** stdout's JSON lines, parsed. */
export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
