/**
 * The simulator CLI as a user runs it: it prints the URL and credentials as .env lines,
 * serves the API, stops cleanly on SIGTERM, and rejects a bad flag with exit code 2.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = resolve(ROOT, 'infra/local/simulator/main.ts');
const agent = new Agent({ keepAliveTimeout: 100, keepAliveMaxTimeout: 100 });
const children: ChildProcess[] = [];

interface Run {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  exit: Promise<number | null>;
}

function run(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output.stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output, exit };
}

/** Resolves with the first match of `pattern` in stdout; rejects if the process exits first. */
function printed(running: Run, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolveMatch, reject) => {
    const check = (): void => {
      const match = pattern.exec(running.output.stdout);
      if (match === null) return;
      running.child.stdout!.off('data', check);
      resolveMatch(match);
    };
    running.child.stdout!.on('data', check);
    void running.exit.then(() => reject(new Error(`simulator exited early: ${running.output.stderr}`)));
    check();
  });
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(async () => {
  await agent.close();
});

describe('simulator CLI', () => {
  it('prints its URL and credentials, serves pages, and stops on SIGTERM', async () => {
    // Prepare
    const running = run(['--port=0', '--seed=4', '--page-size=5', '--counts=events:30']);
    const [, url] = await printed(running, /CONVEYOUR_BASE_URL=(\S+)\nCONVEYOUR_APPKEY=sim-appkey\nCONVEYOUR_TOKEN=sim-token\n/);
    // Act
    const response = await request(`${url}/api/reports/collectionStream?collection=events&start_time=0&data=1`, {
      headers: { 'x-conveyour-appkey': 'sim-appkey', 'x-conveyour-token': 'sim-token' },
      dispatcher: agent,
    });
    const body = (await response.body.json()) as { data: { data: { results: unknown[] } } };
    running.child.kill('SIGTERM');
    // Assess
    expect(body.data.data.results).toHaveLength(5);
    expect(await running.exit).toBe(0);
  });

  it('rejects an invalid flag with exit code 2 and a message naming it', async () => {
    const running = run(['--page-size=0']);
    expect(await running.exit).toBe(2);
    expect(running.output.stderr).toContain("--page-size must be an integer >= 1, got '0'");
  });
});
