import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MockAgent } from 'undici';
import { UnknownCollectionError } from '../../functions/conveyour/collections.js';
import { streamCollection } from '../../functions/conveyour/stream.js';
import { collect, FakeSource, fastClient, isStreamPath, mockAgent, ORIGIN, pageBody, records, WINDOW } from './conveyour-fixtures.js';

describe('streamCollection', () => {
  it('gives one batch per page for an ordinary collection', async () => {
    const source = new FakeSource({ contacts: [records('a', 'b'), records('c')] });
    const batches = await collect(streamCollection(source, { collection: 'contacts', window: WINDOW }));
    expect(batches.map((b) => [b.collection, b.page.sequence, b.records.map((r) => r._id), b.contact])).toEqual([
      ['contacts', 0, ['a', 'b'], undefined],
      ['contacts', 1, ['c'], undefined],
    ]);
  });

  it('gives one batch per contact for lesson_transcripts, empty ones included', async () => {
    // Prepare
    const source = new FakeSource({ contacts: [records('c1', 'c2')], transcripts: { c1: [records('t1'), records('t2')] } });
    // Act
    const batches = await collect(streamCollection(source, { collection: 'lesson_transcripts', window: WINDOW }));
    // Assess
    expect(
      batches.map((b) => [b.collection, b.contact?.record._id, b.contact?.indexInPage, b.records.map((r) => r._id), b.page.queryId, b.page.nextCursor]),
    ).toEqual([
      ['lesson_transcripts', 'c1', 0, ['t1', 't2'], 'qt-c1', undefined],
      ['lesson_transcripts', 'c2', 1, [], 'qt-c2', undefined],
    ]);
    expect(batches[0]?.records[0]?.contact).toMatchObject({ _id: 'c1' });
  });

  it('rejects an unknown collection at the call', () => {
    const source = new FakeSource({ contacts: [] });
    expect(() => streamCollection(source, { collection: 'evnts' as 'events', window: WINDOW })).toThrow(UnknownCollectionError);
  });
});

describe('streamCollection over the HTTP client', () => {
  let agent: MockAgent;
  beforeEach(() => {
    agent = mockAgent();
  });
  afterEach(async () => {
    await agent.close();
  });

  it('fetches page N+1 while the consumer holds page N', async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: isStreamPath }).reply(200, pageBody(records('a'), 'q1', 'c1'));
    pool.intercept({ path: isStreamPath }).reply(200, pageBody(records('b'), 'q1'));
    const iterator = streamCollection(fastClient(agent), { collection: 'events', window: WINDOW })[Symbol.asyncIterator]();
    await iterator.next();
    await expect.poll(() => agent.getCallHistory()?.calls().length).toBe(2);
    await iterator.return?.();
  });

  it('aborts the page fetched ahead when the consumer stops, instead of waiting for it', async () => {
    // Prepare: the read-ahead page would take a minute.
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: isStreamPath }).reply(200, pageBody(records('a'), 'q1', 'c1'));
    pool.intercept({ path: isStreamPath }).reply(200, pageBody(records('b'), 'q1')).delay(60_000);
    const client = fastClient(agent, { requestTimeoutMs: 120_000 });
    const started = Date.now();
    // Act
    for await (const batch of streamCollection(client, { collection: 'events', window: WINDOW })) {
      await expect.poll(() => agent.getCallHistory()?.calls().length).toBe(2);
      if (batch.page.sequence === 0) break;
    }
    // Assess
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
