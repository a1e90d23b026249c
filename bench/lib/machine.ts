/** Where and how the numbers were made: the first thing a reader of a benchmark needs. */
import { execFileSync } from 'node:child_process';
import { cpus, freemem, release, totalmem, type } from 'node:os';
import { REPO_ROOT } from './child.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  freeMemoryGb: number;
  os: string;
  node: string;
  commit: string;
  dirty: boolean;
  date: string;
}

export function describeMachine(): Machine {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGb: totalmem() / 1024 ** 3,
    freeMemoryGb: freemem() / 1024 ** 3,
    os: `${type()} ${release()}`,
    node: process.version,
    commit: git('rev-parse', '--short', 'HEAD') || 'unknown',
    dirty: git('status', '--porcelain').length > 0,
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  };
}
