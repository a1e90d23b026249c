/**
 * `npm run gaps` against a deployed stack's table, in a child process as a user runs it: the
 * deployed flags (--outputs, --table, --region) and the default AWS credential and endpoint
 * chain, pointed at dynalite through the SDK's standard AWS_ENDPOINT_URL_DYNAMODB.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCheckpoint, type Checkpoint } from '../../functions/pipeline/checkpoint.js';
import { withCoverageGap } from '../../functions/pipeline/coverageGaps.js';
import { OUTPUT } from '../../infra/cdk/outputs.js';
import { startAwsEmulators, type AwsTestEnv, type AwsTestResources } from '../support/awsEmulators.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SECOND = 1_768_478_400;

let aws: AwsTestEnv;
let res: AwsTestResources;
let dir: string;
beforeAll(async () => {
  aws = await startAwsEmulators();
  res = await aws.fresh();
  dir = await mkdtemp(path.join(tmpdir(), 'conveyour-gaps-deployed-'));
  for (const [source, seconds] of [['acme', [SECOND, SECOND + 7]], ['beta', [SECOND]]] as const) {
    let cp: Checkpoint = { ...emptyCheckpoint({ source, collection: 'events' }), version: 1, watermark: SECOND + 3600 };
    for (const second of seconds) cp = withCoverageGap(cp, { collection: 'events', second, returned: 100_000, foundAtMs: Date.now() });
    await res.checkpoints.claim(cp, 0, Date.now());
  }
});
afterAll(async () => {
  await aws?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function gaps(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'gaps', '--silent', '--', ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        AWS_ENDPOINT_URL_DYNAMODB: aws.emulators.endpoints.dynamodb,
        AWS_ACCESS_KEY_ID: aws.emulators.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: aws.emulators.credentials.secretAccessKey,
        AWS_REGION: '',
        AWS_PROFILE: '',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run gaps against a deployed table', () => {
  it('lists every open gap of the table named by --outputs', async () => {
    const outputs = path.join(dir, 'cdk-outputs.json');
    await writeFile(outputs, JSON.stringify({ ConveYourStream: { [OUTPUT.checkpointTable]: res.table } }));

    const listed = await gaps(['list', `--outputs=${outputs}`, `--region=${aws.emulators.region}`]);

    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.trim().split('\n')).toEqual([
      `acme/events second ${SECOND} (2026-01-15T12:00:00Z): the query returned the cap of 100000 records; records of that second may be missing`,
      `acme/events second ${SECOND + 7} (2026-01-15T12:00:07Z): the query returned the cap of 100000 records; records of that second may be missing`,
      `beta/events second ${SECOND} (2026-01-15T12:00:00Z): the query returned the cap of 100000 records; records of that second may be missing`,
    ]);
  }, 120_000);

  it('refuses a gap open in two sources without --source, and acknowledges it in the one named', async () => {
    const table = [`--table=${res.table}`, `--region=${aws.emulators.region}`];

    const ambiguous = await gaps(['ack', '--collection=events', `--second=${SECOND}`, ...table]);
    const acked = await gaps(['ack', '--collection=events', `--second=${SECOND}`, '--source=acme', ...table]);

    expect([ambiguous.code, ambiguous.stderr.trim()]).toEqual([2, 'error: events: the gap is open in sources acme, beta: pass --source=NAME']);
    expect(acked.code, acked.stderr).toBe(0);
    expect((await res.checkpoints.load({ source: 'acme', collection: 'events' }))?.coverageGaps?.open.map((gap) => gap.second)).toEqual([SECOND + 7]);
    expect((await res.checkpoints.load({ source: 'beta', collection: 'events' }))?.coverageGaps?.open.map((gap) => gap.second)).toEqual([SECOND]);
  }, 120_000);

  it('needs a region for a deployed table', async () => {
    const result = await gaps(['list', `--table=${res.table}`]);

    expect([result.code, result.stderr.trim()]).toEqual([2, 'error: --region (or AWS_REGION) is required with --outputs or --table']);
  }, 120_000);
});
