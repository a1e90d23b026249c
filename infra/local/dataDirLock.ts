/**
 * One process per data dir: dynalite's LevelDB allows one opener, and a second one used to die
 * with "Database is closed". The lock file names the holder's pid; a lock whose pid is gone is
 * stale and taken over.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface DataDirLock {
  /** Calls `onLost` once if the lock file (or the data dir) disappears while held. */
  watch(onLost: () => void, everyMs?: number): void;
  release(): Promise<void>;
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly command: string,
  ) {
    super(`${dataDir} is in use by ${command} (pid ${pid}): stop that process first, or use another --data-dir`);
    this.name = 'DataDirInUseError';
  }
}

const FILE = 'lock';

export async function lockDataDir(dataDir: string, command: string): Promise<DataDirLock> {
  const file = path.join(dataDir, FILE);
  for (let attempt = 0; ; attempt += 1) {
    try {
      await writeFile(file, `${JSON.stringify({ pid: process.pid, command })}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error;
    }
    const holder = await readHolder(file);
    if (holder && holder.pid !== process.pid && alive(holder.pid)) throw new DataDirInUseError(dataDir, holder.pid, holder.command);
    await rm(file, { force: true });
  }
  let timer: NodeJS.Timeout | undefined;
  return {
    watch(onLost, everyMs = 1000) {
      timer = setInterval(() => {
        if (existsSync(file)) return;
        clearInterval(timer);
        onLost();
      }, everyMs);
      timer.unref();
    },
    async release() {
      clearInterval(timer);
      const holder = await readHolder(file);
      if (holder?.pid === process.pid) await rm(file, { force: true });
    },
  };
}

async function readHolder(file: string): Promise<{ pid: number; command: string } | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { pid?: unknown; command?: unknown };
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, command: String(parsed.command ?? 'a process') } : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
