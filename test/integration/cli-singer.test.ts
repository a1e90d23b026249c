import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../infra/local/simulator/index.js';
import { checkSingerOutput } from '../unit/cli-singer-spec.js';
import { baseEnv, emptyDir, runCli } from './cli-harness.js';

let sim: Simulator;
let dir: string;
let configFile: string;

beforeAll(async () => {
  sim = await startSimulator({
    seed: 41,
    pageSize: 50,
    history: { counts: { events: 300, contacts: 20, tags: 5, campaigns: 5, lessons: 5, triggers: 5, message_reports: 5, trigger_logs: 5 } },
    live: { intervalMs: 0, createsPerMinute: { events: 600 } },
  });
  dir = emptyDir();
  configFile = join(dir, 'config.json');
  // The way a Singer runner passes everything: one config file, no environment.
  writeFileSync(
    configFile,
    JSON.stringify({ base_url: sim.url, appkey: sim.credentials.appkey, token: sim.credentials.token, collection: 'events', start_time: '0' }),
  );
});

afterAll(async () => {
  await sim.close();
});

type Message = Record<string, unknown> & { record?: Record<string, unknown>; value?: { bookmarks: Record<string, { start_time: number }> } };

const ids = (messages: Message[]) => messages.filter((message) => message.type === 'RECORD').map((message) => String(message.record!._id));
const bookmark = (messages: Message[]) => (messages.at(-1) as Message).value!.bookmarks.events!.start_time;

describe('conveyour-stream as a Singer tap', () => {
  it('prints a catalog of the nine collections for --discover', async () => {
    const result = await runCli(['--config', configFile, '--discover'], baseEnv(), dir);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).streams.map((stream: { stream: string }) => stream.stream)).toHaveLength(9);
  });

  it('syncs a window, then resumes from its STATE and gets exactly what changed since, nothing lost', async () => {
    // Act 1: a full sync from the config's start_time.
    const first = await runCli(['--config', configFile, '--format', 'singer'], baseEnv(), dir);

    // Assess 1
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const firstCheck = checkSingerOutput(first.stdout);
    expect(firstCheck.problems).toEqual([]);
    const firstMessages = firstCheck.messages as Message[];
    const b1 = bookmark(firstMessages);
    expect(firstMessages[0]).toMatchObject({ type: 'SCHEMA', stream: 'events', key_properties: ['_id'], bookmark_properties: ['updated_at'] });
    expect(ids(firstMessages).sort()).toEqual(sim.truth.expectedQuery('events', { start: 0, end: b1 }, b1).map((v) => v._id).sort());
    for (const message of firstMessages.filter((m) => m.type === 'RECORD')) expect(Date.parse(String(message.time_extracted))).not.toBeNaN();

    // Prepare 2: the tap's whole output is the state file; wait until live mode has created records after the bookmark.
    const stateFile = join(dir, 'state.ndjson');
    writeFileSync(stateFile, first.stdout);
    // Times are whole seconds and the second run reads [b1, now): wait for a version of a second the clock has already left.
    await waitFor(() => (sim.advanceLive(), sim.truth.versions({ collection: 'events', from: b1, to: Math.floor(Date.now() / 1000) }).length > 0));

    // Act 2
    const second = await runCli(['--config', configFile, '--state', stateFile, '--format=singer'], baseEnv(), dir);

    // Assess 2
    expect(second.code).toBe(0);
    const secondCheck = checkSingerOutput(second.stdout);
    expect(secondCheck.problems).toEqual([]);
    const secondMessages = secondCheck.messages as Message[];
    const b2 = bookmark(secondMessages);
    expect(b2).toBeGreaterThan(b1);
    const resumed = ids(secondMessages);
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed.sort()).toEqual(sim.truth.expectedQuery('events', { start: b1, end: b2 }, b2).map((v) => v._id).sort());
    // Together the two runs hold every record of [0, b2).
    expect(new Set([...ids(firstMessages), ...resumed])).toEqual(new Set(sim.truth.expectedQuery('events', { start: 0, end: b2 }, b2).map((v) => v._id)));
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
