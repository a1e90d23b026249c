/**
 * A hostile server echoes the credentials everywhere it can (bodies, headers, error
 * messages). Whatever the client throws or emits must still never contain them.
 */
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MockAgent } from 'undici';
import type { RequestEvent } from '../../functions/conveyour/client.js';
import {
  AuthError,
  BadRequestError,
  ConveYourError,
  CursorExpiredError,
  MalformedResponseError,
  NetworkError,
  RetriableStatusError,
  RetriesExhaustedError,
  StalledCursorError,
  UnexpectedStatusError,
} from '../../functions/conveyour/errors.js';
import { collect, CREDENTIALS, errorBody, fastClient, isStreamPath, mockAgent, ORIGIN, pageBody, records, WINDOW } from './conveyour-fixtures.js';

const { appkey, token } = CREDENTIALS;
const echo = `appkey=${appkey} token=${token}`;
const echoHeaders = { 'x-conveyour-token': token, 'set-cookie': `sid=${token}`, 'x-debug-echo': echo, 'retry-after': '0' };

let agent: MockAgent;
beforeEach(() => {
  agent = mockAgent();
});
afterEach(async () => {
  await agent.close();
});

const intercept = () => agent.get(ORIGIN).intercept({ path: isStreamPath });

/** Each scenario makes the client fail with one error type, the server echoing the secrets. */
const scenarios: Array<[string, abstract new (...args: never[]) => Error, () => void]> = [
  ['AuthError', AuthError, () => intercept().reply(401, errorBody('invalid_credentials', echo), { headers: echoHeaders })],
  ['BadRequestError', BadRequestError, () => intercept().reply(400, errorBody('unknown_collection', echo), { headers: echoHeaders })],
  ['CursorExpiredError', CursorExpiredError, () => intercept().reply(410, errorBody('cursor_expired', echo), { headers: echoHeaders })],
  ['UnexpectedStatusError', UnexpectedStatusError, () => intercept().reply(418, errorBody('teapot', echo), { headers: echoHeaders })],
  ['RetriesExhaustedError of RetriableStatusError', RetriableStatusError, () => intercept().reply(503, errorBody('server_error', echo), { headers: echoHeaders }).persist()],
  ['RetriesExhaustedError of MalformedResponseError', MalformedResponseError, () => intercept().reply(200, `<html>${echo}</html>`, { headers: echoHeaders }).persist()],
  [
    'RetriesExhaustedError of NetworkError',
    NetworkError,
    () => intercept().replyWithError(Object.assign(new Error(`reset while sending ${echo}`), { code: 'ECONNRESET' })).persist(),
  ],
  [
    'StalledCursorError',
    StalledCursorError,
    () => {
      intercept().reply(200, pageBody(records('a'), 'q1', 'c1'), { headers: echoHeaders });
      intercept().reply(200, pageBody(records('b'), 'q1', 'c1'), { headers: echoHeaders });
    },
  ],
  [
    // undici's MockNotMatchedError prints the request headers, credentials included.
    'ConveYourError of a dispatcher failure',
    ConveYourError,
    () => agent.get(ORIGIN).intercept({ path: isStreamPath, headers: { 'x-conveyour-token': 'another' } }).reply(200, pageBody([])),
  ],
];

describe('no error of the client carries a credential', () => {
  it.each(scenarios)('%s, serialised every way', async (_name, expected, arrange) => {
    // Prepare
    arrange();
    const seen: RequestEvent[] = [];
    const client = fastClient(agent, { retry: { maxAttempts: 2, baseDelayMs: 1 }, onEvent: (e) => seen.push(e) });
    // Act
    const error = (await collect(client.pages({ collection: 'events', window: WINDOW })).catch((e: unknown) => e)) as Error;
    // Assess
    const found = error instanceof RetriesExhaustedError ? error.cause : error;
    expect(found).toBeInstanceOf(expected);
    const renderings = [
      JSON.stringify(error),
      JSON.stringify(error, Object.getOwnPropertyNames(error)),
      inspect(error, { depth: Infinity, showHidden: true }),
      String(error),
      String(error.stack),
      JSON.stringify(seen),
      ...causes(error).flatMap((cause) => [JSON.stringify(cause), inspect(cause, { depth: Infinity, showHidden: true }), String(cause)]),
    ];
    for (const text of renderings) {
      expect(text).not.toContain(appkey);
      expect(text).not.toContain(token);
    }
  });
});

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let cause = (error as Error).cause; cause !== undefined; cause = (cause as Error).cause) chain.push(cause);
  return chain;
}
