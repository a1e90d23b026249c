import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../infra/local/simulator/index.js';
import { BIN, baseEnv, emptyDir, jsonLines, runCli, startProcess } from './cli-harness.js';

let sim: Simulator;
let env: Record<string, string>;
const WIDE_OPEN = 4_102_444_800; // 2100-01-01: past every record the simulator holds (no live mode here).

beforeAll(async () => {
  sim = await startSimulator({
    seed: 11,
    pageSize: 100,
    history: { counts: { events: 1500, contacts: 60, tags: 10, campaigns: 10, lessons: 20, triggers: 20, message_reports: 10, trigger_logs: 10 } },
  });
  env = baseEnv({ CONVEYOUR_BASE_URL: sim.url, CONVEYOUR_APPKEY: sim.credentials.appkey, CONVEYOUR_TOKEN: sim.credentials.token });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  sim.setFaults(undefined);
});

const key = (record: Record<string, unknown>) => `${String(record._id)}@${String(record.updated_at)}`;

function expectedEvents() {
  return sim.truth.expectedQuery('events', { start: 0, end: WIDE_OPEN }, Math.floor(Date.now() / 1000));
}

describe('conveyour-stream against the simulator', () => {
  it('prints exactly the records the truth holds for the window, each once, through 429, 503, resets and truncated bodies', async () => {
    // Prepare
    // The schedule guarantees each kind at least once; the rates add more at seeded random.
    sim.setFaults({
      seed: 5,
      rate: { '429': 0.2, '503': 0.1, reset: 0.1, truncate: 0.1 },
      schedule: [
        { request: 1, kind: '503' },
        { request: 3, kind: 'reset' },
        { request: 5, kind: '429' },
        { request: 7, kind: 'truncate' },
      ],
      retryAfterSeconds: 0,
    });
    const before = sim.stats();

    // Act
    const result = await runCli(['--collection=events', '--start_time=0', '--end_time=now'], env);

    // Assess
    const after = sim.stats();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const printed = jsonLines(result.stdout);
    const expected = expectedEvents();
    expect(printed.map(key).sort()).toEqual(expected.map((version) => `${version._id}@${version.updated_at}`).sort());
    expect(new Set(printed.map((record) => record._id)).size).toBe(printed.length);
    for (const record of printed) expect(record).toEqual(sim.truth.record('events', String(record._id), Number(record.updated_at)));
    for (const kind of ['429', '503', 'reset', 'truncate'] as const) expect(after.faults[kind] - before.faults[kind]).toBeGreaterThan(0);
  });

  it('reads the window again when its cursor expires, warning that records may repeat, losing none', async () => {
    // Prepare
    sim.setFaults({ schedule: [{ request: 4, kind: 'expire' }] });

    // Act
    const result = await runCli(['--collection=events', '--start_time=0', '--end_time=now'], env);

    // Assess
    expect(result.code).toBe(0);
    const warning = /^warning: the events cursor expired after (\d+) records .*\(restart 1 of 3\): records already written may repeat\n$/.exec(result.stderr);
    expect(warning).not.toBeNull();
    const printed = jsonLines(result.stdout);
    const expected = expectedEvents();
    expect(new Set(printed.map(key))).toEqual(new Set(expected.map((version) => `${version._id}@${version.updated_at}`)));
    // The records before the expiry, and only those, appear twice.
    expect(printed).toHaveLength(expected.length + Number(warning![1]));
    expect(Number(warning![1])).toBeGreaterThan(0);
  });

  it('exits 0 quietly and stops paging when the reader goes away (| head -1)', async () => {
    // Prepare
    const totalPages = Math.ceil(expectedEvents().length / 100);
    const before = sim.stats().pagesServed;

    // Act
    const shell = startProcess('bash', ['-c', '"$0" "$1" --collection=events --start_time=0 | head -1; exit "${PIPESTATUS[0]}"', process.execPath, BIN], {
      env,
    });
    const result = await shell.finished;

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toHaveLength(1);
    expect(sim.stats().pagesServed - before).toBeLessThan(totalPages);
  });

  it('prints only the --fields paths, as new objects', async () => {
    const result = await runCli(['--collection=events', '--start_time=0', '--fields=con_id, d.points'], env);
    expect(result.code).toBe(0);
    const printed = jsonLines(result.stdout);
    const expected = expectedEvents().map((version) => sim.truth.record('events', version._id, version.updated_at)!);
    expect(printed).toEqual(expect.arrayContaining(expected.map((record) => ({ con_id: record.con_id, d: { points: (record.d as { points?: unknown }).points } }))));
    expect(printed).toHaveLength(expected.length);
  });

  it('indents each record by 4 spaces with --pretty', async () => {
    const result = await runCli(['--collection=tags', '--start_time=0', '--pretty'], env);
    expect(result.code).toBe(0);
    const tags = sim.truth.expectedQuery('tags', { start: 0, end: WIDE_OPEN }, Math.floor(Date.now() / 1000));
    const expected = tags.map((version) => `${JSON.stringify(sim.truth.record('tags', version._id, version.updated_at), null, 4)}\n`);
    expect(result.stdout.split(/(?<=\n})\n/).map((chunk) => (chunk.endsWith('\n') ? chunk : `${chunk}\n`)).filter((chunk) => chunk.trim() !== '').sort()).toEqual(
      expected.sort(),
    );
  });

  it("streams lesson_transcripts with the contact's fields reachable as contact.d.first_name", async () => {
    // Act
    const result = await runCli(['--collection=lesson_transcripts', '--start_time=0', '--fields=_id,contact.d.first_name,contact._id'], env);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const printed = jsonLines(result.stdout) as Array<{ _id: string; contact: { _id: string; d: { first_name: string } } }>;
    const expected = sim.truth.expectedQuery('lesson_transcripts', { start: 0, end: WIDE_OPEN }, Math.floor(Date.now() / 1000));
    expect(printed.length).toBeGreaterThan(0);
    expect(printed.map((record) => `${record._id}/${record.contact._id}`).sort()).toEqual(expected.map((version) => `${version._id}/${version.con_id}`).sort());
    for (const record of printed) {
      expect(Object.keys(record)).toEqual(['_id', 'contact']);
      expect(typeof record.contact.d.first_name).toBe('string');
    }
  });

  it('exits 1 with one line naming what to check when the API refuses the credentials', async () => {
    const result = await runCli(['--collection=events', '--start_time=0'], { ...env, CONVEYOUR_TOKEN: 'wrong-token-xyz' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^conveyour-stream: ConveYour rejected the credentials \(HTTP 401\)\. Check CONVEYOUR_APPKEY and CONVEYOUR_TOKEN.*\n$/);
    expect(result.stderr).not.toContain('wrong-token-xyz');
  });

  it('exits 2 on bad usage, before any request', async () => {
    const before = sim.stats().requests;
    const result = await runCli(['--collection=event', '--start_time=0'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^conveyour-stream: --collection 'event' is not a ConveYour collection; valid: .*\n$/);
    expect(sim.stats().requests).toBe(before);
  });

  it('exits 2 naming the missing variables when no credentials are set (and no .env)', async () => {
    const result = await runCli(['--collection=events', '--start_time=0'], baseEnv(), emptyDir());
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'conveyour-stream: CONVEYOUR_DOMAIN (or CONVEYOUR_BASE_URL), CONVEYOUR_APPKEY, CONVEYOUR_TOKEN are required: set them in .env or the environment (see .env.example)\n',
    );
  });
});
