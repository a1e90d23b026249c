/** Every error the client can meet on the wire, over real HTTP against the simulator. */
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConveYourClient } from '../../functions/conveyour/client.js';
import {
  AuthError,
  BadRequestError,
  CursorExpiredError,
  MalformedResponseError,
  NetworkError,
  RetriableStatusError,
  RetriesExhaustedError,
  StalledCursorError,
} from '../../functions/conveyour/errors.js';
import type { Simulator } from '../../infra/local/simulator/index.js';
import { collect, NOW_MS, smallSimulator, testClient, WINDOW } from './client-fixtures.js';

let sim: Simulator;
let client: ConveYourClient | undefined;
let clockMs = NOW_MS;

beforeAll(async () => {
  sim = await smallSimulator({ now: () => clockMs, cursorTtlSeconds: 60 });
});
afterEach(async () => {
  sim.setFaults(undefined);
  clockMs = NOW_MS;
  await client?.close();
  client = undefined;
});
afterAll(async () => {
  await sim.close();
});

const events = { collection: 'events', window: WINDOW };
const failure = async (iterable: AsyncIterable<unknown>): Promise<Error> => {
  try {
    await collect(iterable);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the query to fail');
};

describe('ConveYourClient against the simulator: errors', () => {
  it.each(['freeze', 'stall'] as const)('fails with a StalledCursorError, without retrying, on a %s cursor', async (kind) => {
    ({ client } = testClient(sim));
    const before = sim.stats().requests;
    sim.setFaults({ schedule: [{ request: 2, kind }] });

    const error = await failure(client.pages(events));

    expect(error).toBeInstanceOf(StalledCursorError);
    expect(sim.stats().faults[kind]).toBe(1);
    expect(sim.stats().requests - before).toBe(2);
  });

  it('fails with a CursorExpiredError when a next page answers 410 cursor_expired', async () => {
    ({ client } = testClient(sim));
    sim.setFaults({ schedule: [{ request: 2, kind: 'expire' }] });
    expect(await failure(client.pages(events))).toBeInstanceOf(CursorExpiredError);
    expect(sim.stats().faults.expire).toBe(1);
  });

  it('fails with a CursorExpiredError when the query idled past the cursor lifetime', async () => {
    // Prepare
    ({ client } = testClient(sim));
    const iterator = client.pages(events)[Symbol.asyncIterator]();
    await iterator.next();
    // Act: the consumer dawdles longer than cursorTtlSeconds.
    clockMs += 61_000;
    // Assess
    await expect(iterator.next()).rejects.toThrow(CursorExpiredError);
  });

  it('fails with a CursorExpiredError on a query the server does not know (404 query_not_found)', async () => {
    ({ client } = testClient(sim));
    const resume = { queryId: 'ffffffffffffffffffffffff', cursor: 'not-from-here', sequence: 1 };
    const error = await failure(client.pages(events, { resume }));
    expect(error).toBeInstanceOf(CursorExpiredError);
    expect(error.message).toMatch(/new query/);
  });

  it('fails with an AuthError, without retrying, on 401 invalid_credentials', async () => {
    ({ client } = testClient(sim));
    sim.setFaults({ schedule: [{ request: 1, kind: 'badcreds' }] });
    const before = sim.stats().requests;
    expect(await failure(client.pages(events))).toBeInstanceOf(AuthError);
    expect(sim.stats().requests - before).toBe(1);
  });

  it('fails with an AuthError on a wrong token, and never shows the token', async () => {
    const made = testClient(sim, { credentials: { appkey: sim.credentials.appkey, token: 'wrong-token-value-42' } });
    client = made.client;
    const error = await failure(client.pages(events));
    expect(error).toBeInstanceOf(AuthError);
    for (const text of [String(error), JSON.stringify(error), inspect(error, { depth: Infinity }), JSON.stringify(made.events)]) {
      expect(text).not.toContain('wrong-token-value-42');
      expect(text).not.toContain(sim.credentials.appkey);
    }
  });

  it('fails with a BadRequestError carrying the server message on an unknown collection', async () => {
    ({ client } = testClient(sim));
    const error = await failure(client.pages({ collection: 'evnts', window: WINDOW }));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.message).toMatch(/unknown_collection: collection 'evnts' does not exist/);
  });

  it('refuses a transcripts query without con_id at the call, before any request', async () => {
    ({ client } = testClient(sim));
    const before = sim.stats().requests;
    expect(() => client!.pages({ collection: 'lesson_transcripts', window: WINDOW })).toThrow(/query.conId is required for lesson_transcripts/);
    expect(sim.stats().requests).toBe(before);
  });

  it.each([
    ['503', RetriableStatusError],
    ['nonjson', MalformedResponseError],
    ['reset', NetworkError],
  ] as const)('gives up on persistent %s with a RetriesExhaustedError holding the last error', async (kind, last) => {
    ({ client } = testClient(sim, { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } }));
    sim.setFaults({ rate: { [kind]: 1 } });
    const error = await failure(client.pages(events));
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error).toMatchObject({ attempts: 3 });
    expect((error as RetriesExhaustedError).cause).toBeInstanceOf(last);
  });
});
