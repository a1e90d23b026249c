/**
 * The README's "Use it as a library" examples, run as a user would: each code block saved as
 * a script in a project that has this package in node_modules (as `npm install` leaves it),
 * run by plain `node` against the simulator, its output checked against the simulator's truth.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectionName } from '../../functions/conveyour/collections.js';
import { startSimulator, type Simulator } from '../../infra/local/simulator/index.js';
import { PROJECT_ROOT, baseEnv, jsonLines, startProcess } from './cli-harness.js';

const WIDE_OPEN = 4_102_444_800; // 2100-01-01
let sim: Simulator;
let env: Record<string, string>;
let project: string;

/** The ```js blocks of the README section, in order. */
function readmeExamples(): string[] {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Use it as a library\n');
  const end = readme.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThan(0);
  return [...readme.slice(start, end).matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

function build(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'build:lib'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build:lib failed (${code}): ${stderr}`))));
  });
}

beforeAll(async () => {
  // All history in the last ~7 minutes, so the examples' '-15 minutes' covers every record.
  [sim] = await Promise.all([
    startSimulator({
      seed: 23,
      pageSize: 40,
      history: { days: 0.005, counts: { events: 150, contacts: 12, tags: 0, campaigns: 0, lessons: 0, triggers: 0, message_reports: 0, trigger_logs: 0 } },
    }),
    build(),
  ]);
  env = baseEnv({ CONVEYOUR_BASE_URL: sim.url, CONVEYOUR_APPKEY: sim.credentials.appkey, CONVEYOUR_TOKEN: sim.credentials.token });
  // A user's project: this package installed by path (npm links it), nothing else.
  project = mkdtempSync(join(tmpdir(), 'library-user-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-etl', private: true, type: 'module' }));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(PROJECT_ROOT, join(project, 'node_modules', 'conveyour-collection-stream'), 'dir');
}, 180_000);

afterAll(async () => {
  await sim?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

function runExample(index: number, options: { cwd?: string; env?: Record<string, string> } = {}) {
  const cwd = options.cwd ?? project;
  const path = join(cwd, `example-${index}.mjs`);
  writeFileSync(path, readmeExamples()[index]!);
  return startProcess(process.execPath, [path], { env: { ...env, ...options.env }, cwd });
}

const key = (record: Record<string, unknown>) => `${String(record._id)}@${String(record.updated_at)}`;

function truthKeys(collection: CollectionName): string[] {
  return sim.truth.expectedQuery(collection, { start: 0, end: WIDE_OPEN }, Math.floor(Date.now() / 1000)).map((v) => `${v._id}@${v.updated_at}`);
}

function expectExact(collection: CollectionName, printed: Array<Record<string, unknown>>): void {
  expect(printed.map(key).sort()).toEqual(truthKeys(collection).sort());
  for (const record of printed) {
    const { contact, ...served } = record;
    expect(served).toEqual(sim.truth.record(collection, String(record._id), Number(record.updated_at)));
    if (collection === 'lesson_transcripts') expect((contact as Record<string, unknown>)._id).toBe(record.con_id);
  }
}

describe("the README's library examples, run by node against the simulator", () => {
  it('has the three examples the section promises', () => {
    const examples = readmeExamples();
    expect(examples).toHaveLength(3);
    expect(examples[0]).toMatch(/import \{ stream, lessonTranscripts \} from 'conveyour-collection-stream'/);
  });

  it('stream() and lessonTranscripts(), original style: every event, then every transcript with its contact, onComplete once', async () => {
    // Act
    const result = await runExample(0).finished;

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('events: done\n');
    const printed = jsonLines(result.stdout);
    const events = printed.filter((record) => !('contact' in record));
    const transcripts = printed.filter((record) => 'contact' in record);
    expect(events.length).toBeGreaterThan(100);
    expect(transcripts.length).toBeGreaterThan(0);
    expectExact('events', events);
    expectExact('lesson_transcripts', transcripts);
    // Events first, all of them: the first call had resolved before the second began.
    expect(printed.slice(0, events.length)).toEqual(events);
  });

  it('a watch prints the window and waits for the next poll; SIGINT stops it, the promise resolves as stopped', async () => {
    // Prepare
    const expected = truthKeys('events').length;
    const running = runExample(1);

    // Act
    await running.waitForStdout((stdout) => stdout.split('\n').length > expected);
    running.kill('SIGINT');
    const result = await running.finished;

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`stopped after ${expected} records\n`);
    expectExact('events', jsonLines(result.stdout));
  });

  it('records(), the async iterator: every contact of the window, exactly', async () => {
    const result = await runExample(2).finished;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expectExact('contacts', jsonLines(result.stdout));
  });

  it('resolves by name from inside the package too (self-reference), and never prints the token', async () => {
    // Prepare: a script inside the package's own tree, without any node_modules link of its own.
    mkdirSync(join(PROJECT_ROOT, '.local'), { recursive: true });
    const inside = mkdtempSync(join(PROJECT_ROOT, '.local', 'library-self-'));
    try {
      // Act
      const result = await runExample(2, { cwd: inside }).finished;

      // Assess
      expect(result.code).toBe(0);
      expectExact('contacts', jsonLines(result.stdout));
      expect(result.stdout + result.stderr).not.toContain(sim.credentials.token);
    } finally {
      rmSync(inside, { recursive: true, force: true });
    }
  });

  it('rejects refused credentials with the typed error, which the example catches by class', async () => {
    const result = await runExample(2, { env: { CONVEYOUR_TOKEN: 'wrong-token-123' } }).finished;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^check CONVEYOUR_APPKEY and CONVEYOUR_TOKEN\n/);
    expect(result.stderr).toMatch(/AuthError/);
    expect(result.stderr).not.toContain('wrong-token-123');
  });
});
