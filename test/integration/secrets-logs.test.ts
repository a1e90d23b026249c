/**
 * Failing invocations of the real handlers (through the local runtime) never print a secret:
 * every line written to stdout or stderr, by the handlers' logger, the SDKs or anything else,
 * and what the handlers return and store, is scanned for the ConveYour appkey and token (as
 * they are, URL-encoded and base64-encoded). Two failures: credentials refused on the first
 * request, and a run that started well and then lost the API mid-window.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime.js';

const CREDENTIALS = { appkey: 'ak-live-7Q2xLm9Vw4RbZ3', token: 'tk-live-9Hs3Pd6Kc1ZfY8' };
const FORMS = Object.values(CREDENTIALS).flatMap((secret) => [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64'), secret.slice(3, 15)]);

let runtime: LocalRuntime;
const output: string[] = [];

beforeAll(async () => {
  runtime = await startLocalRuntime({
    simulator: {
      seed: 5,
      credentials: CREDENTIALS,
      pageSize: 20,
      history: { days: 2, counts: { contacts: 30, events: 200, campaigns: 3, lessons: 3, message_reports: 10, tags: 3, triggers: 3, trigger_logs: 10 } },
    },
    functionTimeoutMs: 20_000,
    // Fail fast (two attempts, no waiting); each page its own object, so a run that fails mid-window has
    // landed and checkpointed the pages before; debug lines too, so they are scanned as well.
    env: { CONVEYOUR_RETRY_MAX_ATTEMPTS: '2', CONVEYOUR_RETRY_BASE_MS: '1', CONVEYOUR_RETRY_MAX_DELAY_MS: '2', FLUSH_BYTES: '1', POWERTOOLS_LOG_LEVEL: 'DEBUG' },
  });
  // Everything the process prints, whichever way: the streams (Powertools' own Console) and the global console.
  // Kept, not passed on: the test output stays readable; a leak is quoted in the failure.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void output.push(args.map(String).join(' ')));
  }
});
afterAll(async () => {
  vi.restoreAllMocks();
  await runtime.close();
});

function leaks(texts: readonly string[]): string[] {
  return texts.flatMap((text) => FORMS.filter((form) => text.includes(form)).map((form) => `${form} in ${text.slice(0, 200)}`));
}

describe('secrets stay out of the logs of failing invocations', () => {
  it('credentials refused: every collection fails, the logs say so, and no line holds the appkey or token', async () => {
    const before = output.length;
    runtime.simulator!.setFaults({ rate: { badcreds: 1 } });

    const outcome = await runtime.tick();

    expect(outcome.failures).toBe(outcome.collections);
    const printed = output.slice(before);
    expect(printed.join('')).toMatch(/CONVEYOUR_AUTH|rejected the credentials/);
    expect(leaks([...printed, JSON.stringify(outcome)])).toEqual([]);
  });

  it('a run that started well and then lost the API: pages landed, the failure is logged and stored, and no secret anywhere', async () => {
    const before = output.length;
    // First pages succeed (the runs claim their checkpoints and land page 0); every next page answers 500.
    runtime.simulator!.setFaults({ rate: { '500': 1 }, onlyFor: 'next' });

    const outcome = await runtime.tick();

    expect(outcome.failures).toBeGreaterThan(0);
    expect(outcome.runs.some((run) => run.status !== 'failed')).toBe(true);
    const checkpoints = await runtime.checkpoints();
    const failedAfterStart = checkpoints.filter((cp) => cp.counters.lastError?.code === 'CONVEYOUR_RETRIES_EXHAUSTED');
    expect(failedAfterStart.map((cp) => cp.collection)).toContain('events');
    const events = failedAfterStart.find((cp) => cp.collection === 'events');
    expect(events?.counters.records).toBeGreaterThan(0);
    expect(events?.inFlight?.query?.next).toBeDefined();
    const printed = output.slice(before);
    expect(printed.join('')).toMatch(/HTTP 500/);
    expect(leaks([...printed, JSON.stringify(outcome), JSON.stringify(checkpoints)])).toEqual([]);
  });

  it('the scan would have caught a leak (it is not vacuous)', () => {
    expect(leaks([`{"message":"request failed","headers":{"x-conveyour-token":"${CREDENTIALS.token}"}}`])).not.toEqual([]);
    expect(leaks([`appkey=${encodeURIComponent(CREDENTIALS.appkey)}`])).not.toEqual([]);
  });
});
