/**
 * One process per data dir. A second `npm start` on a data dir in use used to die with
 * dynalite's "Database is closed"; now it is refused with the holder's pid, and a lock left by
 * a process that is gone is taken over.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirInUseError, lockDataDir } from '../../infra/local/dataDirLock.js';
import { startLocalRuntime } from '../../infra/local/runtime.js';
import { waitFor } from '../support/waitFor.js';

const dirs: string[] = [];
let holder: ChildProcess | undefined;
afterAll(async () => {
  holder?.kill();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'conveyour-lock-'));
  dirs.push(dir);
  return dir;
}

describe('the data dir lock', () => {
  it('refuses a data dir held by a live process, naming its pid', async () => {
    const dir = await dataDir();
    holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    await writeFile(path.join(dir, 'lock'), JSON.stringify({ pid: holder.pid, command: 'npm start' }));

    const error = await startLocalRuntime({ dataDir: dir }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DataDirInUseError);
    expect((error as Error).message).toContain(`in use by npm start (pid ${holder.pid})`);
    expect(JSON.parse(await readFile(path.join(dir, 'lock'), 'utf8')).pid).toBe(holder.pid);
  }, 30_000);

  it('takes over a lock whose process is gone, and releases it on close', async () => {
    const dir = await dataDir();
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.on('exit', resolve));
    await writeFile(path.join(dir, 'lock'), JSON.stringify({ pid: gone.pid, command: 'npm start' }));

    const runtime = await startLocalRuntime({ dataDir: dir });
    expect(JSON.parse(await readFile(path.join(dir, 'lock'), 'utf8')).pid).toBe(process.pid);
    await runtime.close();
    await expect(readFile(path.join(dir, 'lock'))).rejects.toThrow(/ENOENT/);
  }, 30_000);

  it('notices the data dir deleted under it', async () => {
    const dir = await dataDir();
    const lock = await lockDataDir(dir, 'npm start');
    let lost = false;
    lock.watch(() => (lost = true), 20);
    await rm(dir, { recursive: true, force: true });
    await waitFor(() => lost || undefined, 'the loss noticed', 5_000, 10);
    await lock.release();
  });
});
