/**
 * `npm run doctor` against the local runtime: the real handlers on the emulators, the doctor's
 * real SDK clients on their protocols (Secrets Manager and Scheduler on our in-process
 * emulators). Healthy first; then a missing secret, a full dead-letter queue and a failing
 * collection, each reported with its fix, once as a function and once as a child process.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorMain } from '../../infra/doctor/main.js';
import type { DoctorReport, Finding } from '../../infra/doctor/findings.js';
import { endpointsOf, publishEndpoints } from '../../infra/local/endpointsFile.js';
import { LOCAL_NAMES, startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime.js';
import { waitFor } from '../support/waitFor.js';

const run = promisify(execFile);
let runtime: LocalRuntime;
let dataDir: string;

beforeAll(async () => {
  runtime = await startLocalRuntime({
    simulator: {
      seed: 5,
      history: { days: 1, counts: { contacts: 30, events: 60, campaigns: 3, lessons: 3, message_reports: 10, tags: 3, triggers: 3, trigger_logs: 10 } },
      pageSize: 20,
      live: { intervalMs: 0, createsPerMinute: { events: 3000 }, updatesPerMinute: {} },
    },
    functionTimeoutMs: 60_000,
  });
  dataDir = await mkdtemp(path.join(tmpdir(), 'doctor-'));
  // As npm start does: the doctor finds the emulators and the outputs here (this process is the one alive).
  await publishEndpoints(dataDir, endpointsOf(runtime));
});
afterAll(async () => {
  await runtime?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function doctor(...flags: string[]): Promise<{ code: number; report: DoctorReport; text: string }> {
  let out = '';
  const io = { stdout: (text: string) => void (out += text), stderr: (text: string) => void (out += text), readFile: async () => '' };
  const code = await doctorMain([`--data-dir=${dataDir}`, '--json', ...flags], io);
  let text = '';
  await doctorMain([`--data-dir=${dataDir}`, ...flags], { ...io, stdout: (chunk) => void (text += chunk) });
  return { code, report: JSON.parse(out) as DoctorReport, text };
}

const problems = (report: DoctorReport): Finding[] => report.findings.filter((finding) => finding.verdict === 'problem');

describe('npm run doctor on the local runtime', () => {
  it('is healthy, exit 0, once every collection has caught up', async () => {
    await waitFor(async () => {
      const outcome = await runtime.tick();
      return outcome.runs.every((r) => r.status === 'caught-up' || r.status === 'idle') || undefined;
    }, 'every collection caught up', 60_000, 10);

    const { code, report, text } = await doctor();

    expect(problems(report)).toEqual([]);
    expect(code).toBe(0);
    expect(report.findings.find((f) => f.check === 'secret')).toMatchObject({ subject: 'local', verdict: 'ok' });
    expect(report.findings.find((f) => f.check === 'schedule')).toMatchObject({ subject: `default/${LOCAL_NAMES.schedule}`, verdict: 'ok', detail: 'ENABLED, rate(1 minute)' });
    expect(report.findings.filter((f) => f.check === 'dead-letters').map((f) => [f.subject, f.verdict])).toEqual([
      ['continuations', 'ok'],
      ['schedule', 'ok'],
    ]);
    expect(report.findings.filter((f) => f.check === 'collection')).toHaveLength(9);
    expect(report.findings.find((f) => f.check === 'snowpipe')?.verdict).toBe('skipped');
    expect(text).toMatch(/\nhealthy: every check passed\n$/);
  });

  it('names a missing secret, a full DLQ and a failing collection, each with its fix, and exits 1', async () => {
    // A failing collection: its first page answers, every next page is refused (401) once its lease is held.
    runtime.simulator!.setFaults({ rate: { badcreds: 1 }, onlyFor: 'next' });
    let created = 0;
    await waitFor(() => (created += runtime.simulator!.advanceLive()) > 60 || undefined, 'more new events than two pages hold', 20_000);
    await runtime.tick();
    // A missing secret and a full dead-letter queue.
    await runtime.clients.secretsManager.send(new DeleteSecretCommand({ SecretId: LOCAL_NAMES.secret, ForceDeleteWithoutRecovery: true }));
    await runtime.clients.sqs.send(new SendMessageCommand({ QueueUrl: runtime.resources.deadLetterQueueUrl, MessageBody: '{"source":"local","collection":"events"}' }));

    const { code, report, text } = await doctor();

    expect(code).toBe(1);
    const secret = report.findings.find((f) => f.check === 'secret')!;
    expect(secret).toMatchObject({ subject: 'local', verdict: 'problem', detail: `secret ${LOCAL_NAMES.secret} does not exist` });
    expect(secret.fix).toEqual([
      `aws secretsmanager create-secret --name ${LOCAL_NAMES.secret} --secret-string '{"appkey":"YOUR_APP_KEY","token":"YOUR_TOKEN"}' --endpoint-url ${runtime.emulators.endpoints.secretsManager}`,
    ]);
    const dlq = report.findings.find((f) => f.check === 'dead-letters' && f.subject === 'continuations')!;
    expect(dlq).toMatchObject({ verdict: 'problem', detail: expect.stringMatching(/^conveyour-continuations-dlq holds 1 message: /) });
    expect(dlq.fix?.at(-1)).toBe(`aws sqs purge-queue --queue-url ${runtime.resources.deadLetterQueueUrl} --endpoint-url ${runtime.emulators.endpoints.sqs}`);
    const events = report.findings.find((f) => f.check === 'collection' && f.subject === 'local/events')!;
    expect(events).toMatchObject({ verdict: 'problem', detail: expect.stringMatching(/^failing: CONVEYOUR_AUTH at /) });
    expect(events.fix?.[0]).toMatch(new RegExp(`^aws secretsmanager put-secret-value --secret-id ${LOCAL_NAMES.secret} `));
    expect(text).toContain('PROBLEM  secret local');
    expect(text).toMatch(/\n\d+ problems found\n$/);
  });

  // Reads the broken state the test above set up: the tests of this file run in order.
  it('exits 1 with the same report as a child process (the script behind npm run doctor)', async () => {
    const child = await run('npx', ['tsx', 'infra/doctor/main.ts', `--data-dir=${dataDir}`, '--json'], { cwd: process.cwd() }).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );

    expect(child.code).toBe(1);
    const report = JSON.parse(child.stdout) as DoctorReport;
    expect(problems(report).map((f) => `${f.check} ${f.subject}`)).toEqual(expect.arrayContaining(['secret local', 'dead-letters continuations', 'collection local/events']));
  });

  it('exits 2 on a bad flag, naming it', async () => {
    let err = '';
    const code = await doctorMain(['--lag-threshold=soon'], { stdout: () => {}, stderr: (text) => void (err += text), readFile: async () => '' });
    expect(code).toBe(2);
    expect(err).toMatch(/^doctor: --lag-threshold must be an integer, got 'soon'/);
  });
});
