/**
 * ConveYour answers that must cross the whole path, bytes to landing object: through the real
 * client (over undici's MockAgent, so the exact bytes arrive, invalid UTF-8 included) and the
 * pipeline core with in-memory ports. What the API sent lands, line for line, or nothing lands
 * and the checkpoint stays where it was, with the defect named in its last error.
 */
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { MockAgent } from 'undici';
import { Budget } from '../../functions/pipeline/budget.js';
import { silentLog } from '../../functions/pipeline/ports.js';
import { runCollection } from '../../functions/pipeline/runCollection.js';
import { MemoryCheckpointStore } from '../support/memoryCheckpointStore.js';
import { MemorySink } from '../support/memorySink.js';
import { basePolicy } from '../support/pipelineFixture.js';
import { PIPELINE_RESPONSE_CASES, type PipelineResponseCase } from '../support/faultyInputs.js';
import { ORIGIN, fastClient, isStreamPath, mockAgent } from './conveyour-fixtures.js';

const NOW_MS = Date.parse('2026-01-15T12:00:00Z');
const key = { source: 'acme', collection: 'events' };
let agent: MockAgent | undefined;
afterEach(async () => {
  await agent?.close();
  agent = undefined;
});

/** One run of one collection against a server that answers every request with `body`. */
async function runAgainst(body: Buffer) {
  agent = mockAgent();
  agent.get(ORIGIN).intercept({ path: isStreamPath, method: 'GET' }).reply(200, body, { headers: { 'content-type': 'application/json' } }).persist();
  return runOnce(agent, 8 * 1024);
}

/** One run of one collection through the real client over `server`, into memory. */
async function runOnce(server: MockAgent, flushBytes: number) {
  const store = new MemoryCheckpointStore();
  const sink = new MemorySink();
  const result = await runCollection(key, 'tick', {
    source: fastClient(server, { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, maxElapsedMs: 2_000 } }),
    store,
    sink,
    clock: { nowMs: () => NOW_MS },
    budget: new Budget({ remainingMs: () => 600_000, safetyMarginMs: 1_000, initialStepEstimateMs: 100 }),
    log: silentLog,
    owner: 'invocation-1',
    newRunId: () => 'run-1',
    policy: { ...basePolicy, flushBytes },
  });
  return { result, store, sink };
}

/** Each landed object's text, split into lines, in key order: the landing zone as a reader sees it. */
function landedLines(sink: MemorySink): string[] {
  return [...sink.objects.values()]
    .sort((a, b) => a.key.localeCompare(b.key))
    .flatMap((object) => gunzipSync(object.body).toString('utf8').split('\n').filter((line) => line !== ''));
}

describe('ConveYour answers fed wrong, through the client and the pipeline', () => {
  it.each(PIPELINE_RESPONSE_CASES.filter((c) => 'lands' in c.expected).map((c) => [c.input, c] as const))(
    '%s: lands what the API sent, line for line',
    async (_input, badInput: PipelineResponseCase) => {
      const { result, store, sink } = await runAgainst(badInput.body);

      expect(result.status).toBe('caught-up');
      const expected = (badInput.expected as { lands: unknown[] }).lands;
      expect(landedLines(sink).map((line) => JSON.parse(line))).toEqual(expected);
      // Valid UTF-8 whatever came in: decoding and re-encoding the files changes nothing.
      for (const object of sink.objects.values()) {
        const raw = gunzipSync(object.body);
        expect(Buffer.from(raw.toString('utf8'), 'utf8').equals(raw)).toBe(true);
      }
      expect((await store.load(key))?.watermark).toBe(NOW_MS / 1000);
    },
  );

  it('puts a record with no time under dt=2000-01-01, inside the tables\' projection, rather than dropping it', async () => {
    const nulls = PIPELINE_RESPONSE_CASES.find((c) => c.input.startsWith('nulls'))!;

    const { sink } = await runAgainst(nulls.body);

    expect([...sink.objects.keys()]).toEqual([expect.stringContaining('collection=events/dt=2000-01-01/')]);
  });

  it('writes a record larger than the flush size alone in its object, whole', async () => {
    const huge = PIPELINE_RESPONSE_CASES.find((c) => c.input.includes('MB record'))!;

    const { sink } = await runAgainst(huge.body);

    expect(sink.objects.size).toBe(1);
    expect([...sink.objects.values()][0]!.rawBytes).toBeGreaterThan(6_000_000);
  });

  it.each(PIPELINE_RESPONSE_CASES.filter((c) => 'fails' in c.expected).map((c) => [c.input, c] as const))(
    '%s: nothing lands, the checkpoint stays, and its last error names the defect',
    async (_input, badInput: PipelineResponseCase) => {
      const { result, store, sink } = await runAgainst(badInput.body);

      expect(result.status).toBe('failed');
      expect(result.error?.code).toBe('CONVEYOUR_RETRIES_EXHAUSTED');
      expect(result.error?.message).toContain((badInput.expected as { fails: string }).fails);
      expect(sink.objects.size).toBe(0);
      // Nothing was claimed (the first page is peeked before the lease): no write at all, so nothing moved.
      const stored = await store.load(key);
      expect(stored?.watermark).toBeUndefined();
      expect(stored?.inFlight?.query?.next).toBeUndefined();
    },
  );

  it('a malformed next page: the pages before it land, the checkpoint keeps the bad page’s cursor, and its last error names the defect', async () => {
    agent = mockAgent();
    const origin = agent.get(ORIGIN);
    const first = { data: { data: { results: [{ _id: 'p0', created_at: 1_768_478_000, updated_at: 1_768_478_000 }], query_id: 'q1', pagination: { next_cursor: 'c1' } } } };
    origin.intercept({ path: (path) => isStreamPath(path) && !path.includes('cursor='), method: 'GET' }).reply(200, first).persist();
    origin.intercept({ path: (path) => isStreamPath(path) && path.includes('cursor=c1'), method: 'GET' }).reply(200, { data: { data: { results: 'oops', query_id: 'q1' } } }).persist();
    const { result, store, sink } = await runOnce(agent, 1);

    expect(result.status).toBe('failed');
    expect(landedLines(sink).map((line) => JSON.parse(line)._id)).toEqual(['p0']);
    const stored = await store.load(key);
    expect(stored?.watermark).toBeUndefined();
    expect(stored?.inFlight?.query?.next).toMatchObject({ queryId: 'q1', cursor: 'c1', sequence: 1 });
    expect(stored?.counters.lastError).toMatchObject({ code: 'CONVEYOUR_RETRIES_EXHAUSTED', message: expect.stringContaining('data.data.results that is not an array') });
    expect(stored?.lease).toBeUndefined();
  });
});
