/** historyStart: the one check a backfill (or a future rescan) makes before reading history no table shows. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertWithinHistory, DEFAULT_HISTORY_START, parseHistoryStart } from '../../functions/time/historyStart.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const at = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;

describe('historyStart', () => {
  it('defaults to 2000-01-01', () => {
    expect(DEFAULT_HISTORY_START).toBe('2000-01-01');
  });

  it('lets a start on or after its first day through', () => {
    expect(() => assertWithinHistory(at('2000-01-01'), '2000-01-01', '--from')).not.toThrow();
    expect(() => assertWithinHistory(at('2019-06-01'), '2000-01-01', '--from')).not.toThrow();
  });

  it('refuses a start before it, naming the flag, both dates and what to do', () => {
    expect(() => assertWithinHistory(at('2000-01-01') - 1, '2000-01-01', '--from')).toThrow(
      "--from (1999-12-31T23:59:59.000Z) is before the deployment's historyStart (2000-01-01): Athena's tables start there and would not show what it lands. Start at 2000-01-01 or later, or deploy with an earlier -c historyStart=yyyy-MM-dd first",
    );
  });

  it('accepts only real yyyy-MM-dd dates', () => {
    expect(parseHistoryStart('1999-02-28', 'historyStart')).toBe('1999-02-28');
    for (const bad of ['1999-02-30', '99-01-01', '2000-01-01T00:00:00Z']) expect(() => parseHistoryStart(bad, 'historyStart'), bad).toThrow(/historyStart must be a date yyyy-MM-dd/);
  });
});

describe('npm run backfill before historyStart', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'infra/backfill/main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, AWS_REGION: 'us-east-1' } });

  it('exits 2 locally before starting anything', () => {
    const dir = mkdtempSync(join(tmpdir(), 'backfill-history-'));
    try {
      const result = run(['--collection=contacts', '--from=1999-06-01', `--data-dir=${join(dir, 'data')}`]);
      expect([result.status, result.stdout]).toEqual([2, '']);
      expect(result.stderr).toContain("--from (1999-06-01T00:00:00.000Z) is before the deployment's historyStart (2000-01-01)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads a deployed stack's historyStart from its outputs file", () => {
    const dir = mkdtempSync(join(tmpdir(), 'backfill-history-'));
    try {
      const outputs = join(dir, 'cdk-outputs.json');
      writeFileSync(outputs, JSON.stringify({ ConveYourStream: { CheckpointTableName: 't', ContinuationQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q', HistoryStart: '1995-01-01' } }));
      const result = run(['--collection=contacts', '--from=1994-12-31', `--outputs=${outputs}`, '--source=acme']);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain("is before the deployment's historyStart (1995-01-01)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
