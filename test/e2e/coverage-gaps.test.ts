/**
 * A coverage gap as a user meets it, every command in a child process on one data dir:
 * `npm start -- --once` exits 1 naming it, `npm run status` and `npm run gaps -- list` name it,
 * `npm run gaps -- ack` refuses an unknown second and removes the real one, and the next
 * `npm start -- --once` exits 0.
 *
 * npm start's simulator has the real cap of 100,000 records a query, and no second of its
 * history holds that many; so the gap is written into the checkpoint here, as the pipeline
 * writes it (withCoverageGap), after a first catch-up. That the pipeline finds such seconds is
 * proven against the emulators and the simulator with a small cap (test/integration/coverage-gaps.test.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../functions/adapters/awsClients.js';
import { DynamoCheckpointStore } from '../../functions/adapters/dynamoCheckpointStore.js';
import { withCoverageGap } from '../../functions/pipeline/coverageGaps.js';
import { startEmulators } from '../../infra/local/emulators.js';
import { LOCAL_NAMES } from '../../infra/local/runtime.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dataDir: string | undefined;
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function npm(script: string[], args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', [...script, '--silent', '--', ...args], { cwd: ROOT, env: { ...process.env, CONVEYOUR_APPKEY: '', CONVEYOUR_TOKEN: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Writes a gap into local/events as the pipeline would, with the data dir's own emulators (no npm start runs). */
async function addGap(dir: string): Promise<number> {
  const emulators = await startEmulators({ dataDir: path.join(dir, 'aws') });
  const clients = createAwsClients({ region: emulators.region, requestTimeoutMs: 10_000, endpoints: emulators.endpoints, credentials: emulators.credentials });
  try {
    const store = new DynamoCheckpointStore(clients.documents, LOCAL_NAMES.table);
    const key = { source: LOCAL_NAMES.source, collection: 'events' };
    const stored = (await store.load(key))!;
    const second = stored.watermark! - 3600;
    const next = withCoverageGap({ ...stored, version: stored.version + 1 }, { collection: 'events', second, returned: 100_000, foundAtMs: Date.now(), runId: 'run-e2e' });
    await store.claim(next, stored.version, Date.now());
    return second;
  } finally {
    clients.destroy();
    await emulators.close();
  }
}

describe('a coverage gap, end to end', () => {
  it('fails npm start --once, is named by status and gaps list, and goes with gaps ack', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'conveyour-gaps-'));
    const dir = `--data-dir=${dataDir}`;
    const first = await npm(['start'], ['--once', dir, '--seed=3']);
    expect(first.code, first.stderr).toBe(0);
    const second = await addGap(dataDir);
    const utc = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    const named = `local/events second ${second} (${utc}): the query returned the cap of 100000 records`;

    const failing = await npm(['start'], ['--once', dir]);
    const status = await npm(['run', 'status'], [dir]);
    const listed = await npm(['run', 'gaps'], ['list', dir]);
    const unknown = await npm(['run', 'gaps'], ['ack', '--collection=events', `--second=${second + 1}`, dir]);
    const acked = await npm(['run', 'gaps'], ['ack', '--collection=events', `--second=${second}`, dir]);
    const passing = await npm(['start'], ['--once', dir]);

    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain('coverage gaps open: records of these seconds may be missing');
    expect(failing.stderr).toContain(named);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('coverage gaps: 1 open, until acknowledged');
    expect(status.stdout).toContain(named);
    expect([listed.code, listed.stdout.trim()]).toEqual([0, `${named}; records of that second may be missing`]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe(`error: events has no open coverage gap at second ${second + 1} (${new Date((second + 1) * 1000).toISOString().replace('.000Z', 'Z')}); open: local/${second} (npm run gaps -- list)`);
    expect(acked.code, acked.stderr).toBe(0);
    expect(acked.stdout).toContain(`acknowledged the coverage gap at second ${second} (${utc}) of local/events: 1 removed from 1 checkpoint`);
    expect(passing.code, passing.stderr).toBe(0);
    expect(passing.stderr).not.toContain('coverage gaps open');
  }, 240_000);
});
