/** lesson_transcripts over real HTTP: the hybrid read against the simulator's truth. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConveYourClient } from '../../functions/conveyour/client.js';
import { type ContactTranscripts, lessonTranscripts, resumeAfter } from '../../functions/conveyour/lessonTranscripts.js';
import { streamCollection } from '../../functions/conveyour/stream.js';
import type { Page, PageSource, QuerySpec } from '../../functions/conveyour/types.js';
import type { Simulator } from '../../infra/local/simulator/index.js';
import { collect, NOW, smallSimulator, testClient, versionKey, WINDOW } from './client-fixtures.js';

let sim: Simulator;
let client: ConveYourClient;

beforeAll(async () => {
  sim = await smallSimulator();
});
afterEach(async () => {
  sim.setFaults(undefined);
  await client.close();
});
afterAll(async () => {
  await sim.close();
});

/** Each transcript version with the contact it belongs to, in the hybrid's order. */
const expectedTranscripts = () => sim.truth.expectedQuery('lesson_transcripts', WINDOW, NOW).map((v) => `${v.con_id}/${versionKey(v)}`);
const expectedContacts = () => sim.truth.expectedQuery('contacts', WINDOW, NOW).map((v) => v._id);
const flatten = (items: ContactTranscripts[]) => items.flatMap((item) => item.records.map((r) => `${(r.contact as { _id: string })._id}/${versionKey(r)}`));

/** Counts the transcript queries running at once through a real client. */
function countingSource(source: PageSource): PageSource & { maxInFlight: number } {
  let inFlight = 0;
  const counter = {
    maxInFlight: 0,
    pages(query: QuerySpec, options?: { signal?: AbortSignal }): AsyncIterable<Page> {
      if (query.collection !== 'lesson_transcripts') return source.pages(query, options);
      return (async function* () {
        inFlight += 1;
        counter.maxInFlight = Math.max(counter.maxInFlight, inFlight);
        try {
          yield* source.pages(query, options);
        } finally {
          inFlight -= 1;
        }
      })();
    },
  };
  return counter;
}

describe('lessonTranscripts against the simulator', () => {
  it('reads every contact of the window, in order, with exactly its transcripts', async () => {
    ({ client } = testClient(sim));
    const items = await collect(lessonTranscripts(client, WINDOW, { concurrency: 4 }));
    expect(items.map((item) => item.contact._id)).toEqual(expectedContacts());
    expect(flatten(items)).toEqual(expectedTranscripts());
  });

  it('runs up to the concurrency of contacts at once over real HTTP, never more', async () => {
    ({ client } = testClient(sim));
    const source = countingSource(client);
    const items = await collect(lessonTranscripts(source, WINDOW, { concurrency: 3 }));
    expect(items.length).toBeGreaterThan(3);
    expect(source.maxInFlight).toBe(3);
  });

  it('reads exactly the truth through faults hitting contacts and transcript queries alike', async () => {
    ({ client } = testClient(sim, { requestTimeoutMs: 300, retry: { maxAttempts: 12, baseDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 20_000 } }));
    sim.setFaults({ seed: 9, rate: { '503': 0.1, truncate: 0.1, reset: 0.05, nonjson: 0.1, '429': 0.05 }, retryAfterSeconds: 0 });
    const items = await collect(lessonTranscripts(client, WINDOW));
    expect(flatten(items)).toEqual(expectedTranscripts());
    expect(sim.stats().faultsTotal).toBeGreaterThan(0);
  });

  it('resumes inside a later contacts page and reads exactly the contacts after the resume point', async () => {
    // Prepare
    ({ client } = testClient(sim));
    const all = await collect(lessonTranscripts(client, WINDOW));
    const at = all.findIndex((item) => item.contactsPage.sequence === 1 && item.indexInPage === 3);
    // Act
    const rest = await collect(lessonTranscripts(client, WINDOW, { resume: resumeAfter(all[at]!) }));
    // Assess
    expect(at).toBeGreaterThan(0);
    expect(rest.map((item) => item.contact._id)).toEqual(all.slice(at + 1).map((item) => item.contact._id));
    expect(flatten(rest)).toEqual(flatten(all.slice(at + 1)));
  });

  it('streams one batch per contact, contacts without transcripts included', async () => {
    ({ client } = testClient(sim));
    const batches = await collect(streamCollection(client, { collection: 'lesson_transcripts', window: WINDOW }));
    expect(batches.map((b) => b.contact?.record._id)).toEqual(expectedContacts());
    expect(batches.some((b) => b.records.length === 0)).toBe(true);
    expect(batches.flatMap((b) => b.records).length).toBe(expectedTranscripts().length);
  });
});

describe('lessonTranscripts with many contacts in flight', () => {
  it('reads every transcript with 32 contacts in flight, without Node warning of leaked abort listeners', async () => {
    // Prepare: every request listens on the reader's one AbortSignal; Node warns past 10 listeners.
    ({ client } = testClient(sim));
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      // Act
      const items = await collect(lessonTranscripts(client, WINDOW, { concurrency: 32 }));
      // Assess: 'warning' is emitted on the next tick; give it one before looking.
      await new Promise((resolve) => setImmediate(resolve));
      expect(flatten(items).sort()).toEqual(expectedTranscripts().sort());
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
