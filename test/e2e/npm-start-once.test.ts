/**
 * `npm start -- --once` as a user runs it, in a child process: it must exit 0 with a summary,
 * and its landing zone on disk must hold every record the simulated account held when each
 * collection's window closed. The account is rebuilt in this process from the seed and anchor
 * the run saved, which reproduce it exactly.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { COLLECTIONS } from '../../functions/conveyour/collections.js';
import type { ConveYourRecord } from '../../functions/conveyour/types.js';
import { startSimulator } from '../../infra/local/simulator/index.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dataDir: string | undefined;
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['start', '--silent', '--', ...args], { cwd: ROOT, env: { ...process.env, CONVEYOUR_APPKEY: '', CONVEYOUR_TOKEN: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function landedFiles(dir: string): Promise<Map<string, ConveYourRecord[]>> {
  const byCollection = new Map<string, ConveYourRecord[]>();
  const bucket = path.join(dir, 'aws', 's3', 'conveyour-landing');
  for (const entry of await readdir(bucket, { recursive: true })) {
    if (!entry.endsWith('.ndjson.gz._S3rver_object')) continue;
    const collection = /collection=([a-z_]+)/.exec(entry)![1]!;
    const lines = gunzipSync(await readFile(path.join(bucket, entry))).toString('utf8').trimEnd().split('\n');
    byCollection.set(collection, [...(byCollection.get(collection) ?? []), ...lines.map((line) => JSON.parse(line) as ConveYourRecord)]);
  }
  return byCollection;
}

describe('npm start -- --once', () => {
  it('catches up every collection of the simulator, prints a summary and exits 0, landing every record', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'conveyour-once-'));

    const result = await run(['--once', `--data-dir=${dataDir}`, '--seed=5']);

    expect(result.stderr).not.toMatch(/^(error:|npm start failed)/m);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/caught up: 9 collections, \d+ records in \d+ files landed in total/);
    const saved = JSON.parse(await readFile(path.join(dataDir, 'simulator.json'), 'utf8')) as { seed: number; anchorMs: number };
    expect(saved.seed).toBe(5);
    const landed = await landedFiles(dataDir);
    const closedAt = Date.now();
    const replica = await startSimulator({ seed: saved.seed, anchorMs: saved.anchorMs, now: () => closedAt, live: { intervalMs: 0 } });
    try {
      replica.advanceLive(closedAt);
      const summary = /local\/(\w+)\s+(\d+)/g;
      const counts = new Map([...result.stdout.matchAll(summary)].map((m) => [m[1]!, Number(m[2])]));
      for (const collection of COLLECTIONS) {
        const records = landed.get(collection) ?? [];
        expect(records.length, collection).toBe(counts.get(collection));
        const latest = new Map<string, number>();
        for (const record of records) latest.set(record._id, Math.max(latest.get(record._id) ?? 0, record.updated_at!));
        // Each record as of the run's start, or a later version of it: none missing.
        const startedSec = Math.floor(saved.anchorMs / 1000);
        const missing = replica.truth.stateAt(collection, startedSec).filter((v) => (latest.get(v._id) ?? -1) < v.updated_at);
        expect(missing, `${collection}: ${missing.length} records missing`).toEqual([]);
        // No duplicates in a single catch-up: nothing re-read.
        expect(new Set(records.map((r) => `${r._id}@${r.updated_at}`)).size, collection).toBe(records.length);
      }
    } finally {
      await replica.close();
    }
  }, 120_000);
});
