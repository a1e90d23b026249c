/** The client reads the server's clock from every response's HTTP Date; a missing or odd one is undefined, never a crash. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MockAgent } from 'undici';
import { parseHttpDate } from '../../functions/conveyour/serverDate.js';
import { collect, fastClient, isStreamPath, mockAgent, ORIGIN, pageBody, records, WINDOW } from './conveyour-fixtures.js';

const NOON = Date.UTC(2026, 0, 15, 12, 0, 0) / 1000;

describe('parseHttpDate', () => {
  it('reads an IMF-fixdate as whole unix seconds', () => {
    expect(parseHttpDate('Thu, 15 Jan 2026 12:00:00 GMT')).toBe(NOON);
    expect(parseHttpDate(['Thu, 15 Jan 2026 12:00:59 GMT'])).toBe(NOON + 59);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not a date', 'soon'],
    ['asctime, which has no zone', 'Thu Jan 15 12:00:00 2026'],
    ['a zone other than GMT', 'Thu, 15 Jan 2026 12:00:00 +0100'],
    ['a day that does not exist', 'Sat, 31 Feb 2026 12:00:00 GMT'],
    ['an hour that does not exist', 'Thu, 15 Jan 2026 25:00:00 GMT'],
    ['two different values', ['Thu, 15 Jan 2026 12:00:00 GMT', 'Thu, 15 Jan 2026 12:00:05 GMT']],
  ])('is undefined for a Date header %s', (_, value) => {
    expect(parseHttpDate(value)).toBeUndefined();
  });
});

describe('ConveYourClient: the server clock on each page', () => {
  let agent: MockAgent;
  beforeEach(() => {
    agent = mockAgent();
  });
  afterEach(async () => {
    await agent.close();
  });

  it('gives every page the Date of the response it came in', async () => {
    agent.get(ORIGIN).intercept({ path: isStreamPath }).reply(200, pageBody(records('a'), 'q1', 'c1'), { headers: { date: 'Thu, 15 Jan 2026 12:00:00 GMT' } });
    agent.get(ORIGIN).intercept({ path: isStreamPath }).reply(200, pageBody(records('b'), 'q1'), { headers: { date: 'Thu, 15 Jan 2026 12:00:02 GMT' } });

    const pages = await collect(fastClient(agent).pages({ collection: 'events', window: WINDOW }));

    expect(pages.map((page) => page.serverTime)).toEqual([NOON, NOON + 2]);
  });

  it('leaves serverTime undefined, and still returns the page, when the Date is missing or unparseable', async () => {
    agent.get(ORIGIN).intercept({ path: isStreamPath }).reply(200, pageBody(records('a'), 'q1', 'c1'), { headers: { date: 'yesterday' } });
    agent.get(ORIGIN).intercept({ path: isStreamPath }).reply(200, pageBody(records('b'), 'q1'));

    const pages = await collect(fastClient(agent).pages({ collection: 'events', window: WINDOW }));

    expect(pages.map((page) => [page.records.length, page.serverTime])).toEqual([[1, undefined], [1, undefined]]);
  });
});
