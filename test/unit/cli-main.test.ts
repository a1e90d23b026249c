import { Writable } from 'node:stream';
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../functions/cli/cli.js';
import { ConveYourClient } from '../../functions/conveyour/client.js';
import { AuthError } from '../../functions/conveyour/errors.js';
import { checkSingerOutput } from './cli-singer-spec.js';
import { TEST_CREDENTIALS_ENV, fakeIo, fakeSource, record } from './cli-fakes.js';

const NOW_MS = 1_700_000_000_000;
const EVENTS = ['--collection=events', '--start_time=-1 hour'];

describe('runCli with a page source', () => {
  it('prints every record as one NDJSON line, exits 0 and closes the client', async () => {
    // Prepare
    const source = fakeSource(() => [[record('a'), record('b')], [record('c')]]);
    const io = fakeIo({ argv: EVENTS, createSource: () => source });

    // Act
    const exitCode = await runCli(io);

    // Assess
    expect(exitCode).toBe(0);
    expect(io.stdout.text().split('\n').slice(0, -1).map((line) => JSON.parse(line)._id)).toEqual(['a', 'b', 'c']);
    expect(io.stderr.text()).toBe('');
    expect(source.queries).toEqual([{ collection: 'events', window: { start: NOW_MS / 1000 - 3600, end: NOW_MS / 1000 } }]);
    expect(source.closed).toBe(true);
  });

  it('exits 1 with the client error on one line when the API refuses the credentials', async () => {
    const source = fakeSource(() => new AuthError(401));
    const io = fakeIo({ argv: EVENTS, createSource: () => source });
    expect(await runCli(io)).toBe(1);
    expect(io.stderr.text()).toBe(`conveyour-stream: ${new AuthError(401).message}\n`);
    expect(source.closed).toBe(true);
  });

  it('stops paging and exits 0 without a word when stdout is closed', async () => {
    // Prepare: a reader that takes one chunk and goes away.
    let chunks = 0;
    const stdout = new Writable({
      write(_chunk, _encoding, callback) {
        chunks += 1;
        callback(chunks > 1 ? Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }) : undefined);
      },
    });
    let pagesServed = 0;
    const source = fakeSource(() => Array.from({ length: 50 }, (_, index) => [record(`r${index}`)]));
    const counting = { ...source, pages: (query: Parameters<typeof source.pages>[0], options?: Parameters<typeof source.pages>[1]) => countPages(source.pages(query, options)) };
    async function* countPages<T>(pages: AsyncIterable<T>) {
      for await (const page of pages) {
        pagesServed += 1;
        yield page;
      }
    }
    const io = fakeIo({ argv: EVENTS, createSource: () => counting, stdout: stdout as never });

    // Act
    const exitCode = await runCli(io);

    // Assess
    expect(exitCode).toBe(0);
    expect(io.stderr.text()).toBe('');
    expect(pagesServed).toBeLessThan(10);
  });

  it('stops a watch on SIGTERM and exits 0', async () => {
    // Prepare
    const source = fakeSource(() => [[record('a')]]);
    let io: ReturnType<typeof fakeIo>;
    const polled = new Promise<void>((resolve) => {
      io = fakeIo({
        argv: [...EVENTS, '--watch', '--interval=60000'],
        createSource: () => ({ ...source, pages: (query, options) => (resolve(), source.pages(query, options)) }),
      });
    });

    // Act
    const run = runCli(io!);
    await polled;
    await new Promise((resolve) => setImmediate(resolve));
    io!.signal();

    // Assess
    expect(await run).toBe(0);
    expect(io!.stdout.text()).toBe(`${JSON.stringify(record('a'))}\n`);
  });

  it('runs Singer output end to end: SCHEMA, RECORDs, STATE with the window end', async () => {
    const io = fakeIo({ argv: [...EVENTS, '--format=singer'], createSource: () => fakeSource(() => [[record('a')], [record('b')]]) });
    expect(await runCli(io)).toBe(0);
    const check = checkSingerOutput(io.stdout.text());
    expect(check.problems).toEqual([]);
    expect(check.messages.map((message) => message.type)).toEqual(['SCHEMA', 'RECORD', 'RECORD', 'STATE']);
    expect(check.messages.at(-1)).toEqual({ type: 'STATE', value: { bookmarks: { events: { start_time: NOW_MS / 1000 } } } });
  });

  it('draws the progress line on a terminal stderr while records go to a file or pipe', async () => {
    const io = fakeIo({ argv: EVENTS, stderrIsTTY: true, stdoutIsTTY: false, createSource: () => fakeSource(() => [[record('a'), record('b')]]) });
    expect(await runCli(io)).toBe(0);
    expect(io.stderr.text()).toBe('\r\x1b[2K2 records, 1 pages, 2,000 records/s\r\x1b[2K2 records, 1 pages, 2,000 records/s\n');
  });

  it('draws no progress line when the records go to the same terminal', async () => {
    const io = fakeIo({ argv: EVENTS, stderrIsTTY: true, stdoutIsTTY: true, createSource: () => fakeSource(() => [[record('a')]]) });
    expect(await runCli(io)).toBe(0);
    expect(io.stderr.text()).toBe('');
  });

  it('prints the help on stdout and exits 0', async () => {
    const io = fakeIo({ argv: ['--help'] });
    expect(await runCli(io)).toBe(0);
    expect(io.stdout.text()).toContain('--collection=<name>');
  });

  it('prints the Singer catalog for --discover', async () => {
    const io = fakeIo({ argv: ['--discover'], env: {} });
    expect(await runCli(io)).toBe(0);
    expect(JSON.parse(io.stdout.text()).streams).toHaveLength(9);
  });
});

describe('--debug through the real client', () => {
  let agent: MockAgent | undefined;
  afterEach(async () => {
    await agent?.close();
  });

  it('prints each request with its params and timing on stderr, never the credentials', async () => {
    // Prepare
    agent = new MockAgent({ connections: 1 });
    agent.disableNetConnect();
    const origin = TEST_CREDENTIALS_ENV.CONVEYOUR_BASE_URL;
    const body = (results: object[], next?: string) => ({ data: { data: { results, query_id: 'q1', pagination: next ? { next_cursor: next } : {} } } });
    agent.get(origin).intercept({ path: (path) => path.includes('collection=events') }).reply(200, body([record('a')], 'c1'));
    agent.get(origin).intercept({ path: (path) => path.includes('cursor=c1') }).reply(503, { success: false, error: { code: 'server_error', message: 'busy' } });
    agent.get(origin).intercept({ path: (path) => path.includes('cursor=c1') }).reply(200, body([record('b')]));
    const io = fakeIo({
      argv: [...EVENTS, '--debug'],
      env: { ...TEST_CREDENTIALS_ENV, CONVEYOUR_RETRY_BASE_MS: '1' },
      createSource: (options) => new ConveYourClient({ ...options, dispatcher: agent! }),
    });

    // Act
    const exitCode = await runCli(io);

    // Assess
    const stderr = io.stderr.text();
    expect(exitCode).toBe(0);
    expect(stderr).toMatch(/^\[debug\] events window \[2023-11-14T21:13:20Z = 1699996400, 2023-11-14T22:13:20Z = 1700000000\)$/m);
    expect(stderr).toMatch(/^\[debug\] GET collectionStream collection=events start_time=1699996400 end_time=1700000000 data=1 -> 200 in \d+ms \(attempt 1\)$/m);
    expect(stderr).toMatch(/^\[debug\] GET collectionStream query_id=q1 cursor=c1 data=1 -> 503 failed after \d+ms \(attempt 1\): .*; retrying in \d+ms$/m);
    expect(stderr).toMatch(/^\[debug\] GET collectionStream query_id=q1 cursor=c1 data=1 -> 200 in \d+ms \(attempt 2\)$/m);
    expect(stderr).not.toContain(TEST_CREDENTIALS_ENV.CONVEYOUR_APPKEY);
    expect(stderr).not.toContain(TEST_CREDENTIALS_ENV.CONVEYOUR_TOKEN);
  });
});
