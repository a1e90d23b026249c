import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/config/env.js';
import { UnknownCollectionError } from '../../functions/conveyour/collections.js';
import { AuthError, CursorExpiredError } from '../../functions/conveyour/errors.js';
import type { ConveYourRecord, Page, PageSource, QuerySpec, QueryWindow } from '../../functions/conveyour/types.js';
import { pull } from '../../functions/lib/records.js';
import { type LibraryDependencies, runLibraryStream, transcriptsConfig } from '../../functions/lib/stream.js';
import type { StreamConfig } from '../../functions/lib/options.js';
import { EmptyWindowError } from '../../functions/time/errors.js';
import { ScriptedPageSource, makeRecords } from '../support/scriptedPageSource.js';

const T0 = 1_700_000_000;
const credentials = { domain: 'acme.conveyour.com', appkey: 'k', token: 't' };

/** A clock that moves only when the run sleeps; `onSleep` may stop the run. */
function world(source: PageSource, options: { onSleep?: (count: number) => void } = {}) {
  let nowMs = T0 * 1000;
  const sleeps: number[] = [];
  let closed = 0;
  const stderr: string[] = [];
  const deps: LibraryDependencies = {
    createSource: () => Object.assign(source, { close: async () => void (closed += 1) }),
    clock: () => nowMs,
    sleep: async (ms) => {
      sleeps.push(ms);
      nowMs += ms;
      options.onSleep?.(sleeps.length);
    },
    env: {},
    stderr: (line) => stderr.push(line),
  };
  return { deps, sleeps, stderr, closed: () => closed, advance: (ms: number) => (nowMs += ms) };
}

const events = (from: number, count: number, step = 10) => makeRecords(count, { from, step, prefix: 'e' });

describe('stream(config)', () => {
  it('with watch, delivers a record a server 90 s behind creates 10 s after a poll (windows on the server clock)', async () => {
    // Prepare: the server's clock (its Date and its stamps) runs 90 s behind ours.
    const stop = new AbortController();
    const records = events(T0 - 100, 3);
    let serverNow = () => T0 - 90;
    const source = new ScriptedPageSource(() => records, { pageSize: 5, serverNow: () => serverNow() });
    const { deps } = world(source, {
      onSleep: (count) => {
        if (count === 1) records.push({ _id: 'late', created_at: serverNow() + 10, updated_at: serverNow() + 10 });
        if (count === 10) stop.abort();
      },
    });
    serverNow = () => Math.floor(deps.clock() / 1000) - 90;
    const seen: string[] = [];

    // Act
    await runLibraryStream(
      { credentials, params: { collection: 'events', start_time: T0 - 100 }, callback: (record) => void seen.push(record._id), watch: true, signal: stop.signal },
      { ...deps, settleSeconds: 10 },
    );

    // Assess
    expect(seen).toContain('late');
  });

  it('awaits the callback for each record, in order, one at a time, then calls onComplete once', async () => {
    // Prepare
    const source = new ScriptedPageSource(() => events(T0 - 1000, 25), { pageSize: 10 });
    const { deps, closed } = world(source);
    const seen: string[] = [];
    let inFlight = 0;
    let completions = 0;
    const config: StreamConfig = {
      credentials,
      params: { collection: 'events', start_time: T0 - 1000 },
      callback: async (record) => {
        inFlight += 1;
        expect(inFlight).toBe(1);
        await new Promise((resolve) => setImmediate(resolve));
        seen.push(record._id);
        inFlight -= 1;
      },
      onComplete: () => {
        expect(seen).toHaveLength(25);
        completions += 1;
      },
    };

    // Act
    const result = await runLibraryStream(config, deps);

    // Assess
    expect(result).toEqual({ status: 'completed', records: 25 });
    expect(seen).toEqual(events(T0 - 1000, 25).map((r) => r._id));
    expect(completions).toBe(1);
    expect(source.requests.map((r) => r.sequence)).toEqual([0, 1, 2]);
    expect(closed()).toBe(1);
  });

  it('resolves the window on the client, once: a phrase becomes unix seconds, end defaults to now', async () => {
    // Prepare
    const source = new ScriptedPageSource(() => [], { pageSize: 10 });
    const { deps } = world(source);

    // Act
    await runLibraryStream({ credentials, params: { collection: 'tags', start_time: '-15 minutes' } }, deps);

    // Assess
    expect(source.requests).toEqual([{ collection: 'tags', sequence: 0, cursor: undefined, window: { start: T0 - 900, end: T0 } }]);
  });

  it('with watch, keeps polling after a multi-page window, each window starting where the previous ended', async () => {
    // Prepare
    const stop = new AbortController();
    const late = [5, 25, 35].map((offset) => ({ _id: `late${offset}`, created_at: T0 + offset, updated_at: T0 + offset }));
    const records = [...events(T0 - 100, 15, 5), ...late];
    const source = new ScriptedPageSource(() => records, { pageSize: 5 });
    const { deps, sleeps } = world(source, { onSleep: (count) => count === 3 && stop.abort() });
    const seen: string[] = [];
    let completions = 0;

    // Act
    const result = await runLibraryStream(
      {
        credentials,
        params: { collection: 'events', start_time: T0 - 100 },
        callback: (record) => void seen.push(record._id),
        watch: true,
        interval: 20_000,
        signal: stop.signal,
        onComplete: () => void (completions += 1),
      },
      deps,
    );

    // Assess
    expect(result.status).toBe('stopped');
    const windows = [...new Map(source.requests.map((r) => [JSON.stringify(r.window), r.window])).values()];
    expect(windows).toEqual<QueryWindow[]>([
      { start: T0 - 100, end: T0 },
      { start: T0, end: T0 + 20 },
      { start: T0 + 20, end: T0 + 40 },
    ]);
    expect(source.requests.filter((r) => r.window.start === T0 - 100).map((r) => r.sequence)).toEqual([0, 1, 2]);
    expect(seen).toEqual(records.map((r) => r._id));
    expect(sleeps).toEqual([20_000, 20_000, 20_000]);
    expect(completions).toBe(0);
  });

  it('stops between two records when the signal aborts, without onComplete, and closes its connections', async () => {
    // Prepare
    const stop = new AbortController();
    const source = new ScriptedPageSource(() => events(T0 - 1000, 30), { pageSize: 10 });
    const { deps, closed } = world(source);
    const seen: string[] = [];
    let completions = 0;

    // Act
    const result = await runLibraryStream(
      {
        credentials,
        params: { collection: 'events', start_time: 0 },
        callback: (record) => {
          seen.push(record._id);
          if (seen.length === 12) stop.abort();
        },
        onComplete: () => void (completions += 1),
        signal: stop.signal,
      },
      deps,
    );

    // Assess
    expect(result).toEqual({ status: 'stopped', records: 12 });
    expect(seen).toHaveLength(12);
    expect(completions).toBe(0);
    expect(closed()).toBe(1);
  });

  it('does not even connect when the signal is already aborted', async () => {
    const source = new ScriptedPageSource(() => events(T0 - 1000, 3), { pageSize: 10 });
    const { deps } = world(source);
    const result = await runLibraryStream({ credentials, params: { collection: 'events', start_time: 0 }, signal: AbortSignal.abort() }, deps);
    expect(result).toEqual({ status: 'stopped', records: 0 });
    expect(source.requests).toEqual([]);
  });

  it("rejects with the client's typed error when the API refuses, and with the callback's own error", async () => {
    // Prepare
    const refusing = new ScriptedPageSource(() => events(T0 - 1000, 3), {
      pageSize: 10,
      beforePage: () => {
        throw new AuthError(401);
      },
    });
    const serving = new ScriptedPageSource(() => events(T0 - 1000, 3), { pageSize: 10 });
    const oops = new Error('warehouse down');

    // Act / Assess
    await expect(runLibraryStream({ credentials, params: { collection: 'events', start_time: 0 } }, world(refusing).deps)).rejects.toBeInstanceOf(AuthError);
    const failing = world(serving);
    await expect(
      runLibraryStream({ credentials, params: { collection: 'events', start_time: 0 }, callback: () => Promise.reject(oops) }, failing.deps),
    ).rejects.toBe(oops);
    expect(failing.closed()).toBe(1);
  });

  it('reads a window again from its start when its cursor expires, and warns that records may repeat', async () => {
    // Prepare
    let expired = false;
    const source = new ScriptedPageSource(() => events(T0 - 1000, 25), {
      pageSize: 10,
      beforePage: ({ sequence }) => {
        if (sequence === 2 && !expired) {
          expired = true;
          throw new CursorExpiredError('query expired');
        }
      },
    });
    const { deps } = world(source);
    const warnings: string[] = [];
    const seen: string[] = [];

    // Act
    const result = await runLibraryStream(
      { credentials, params: { collection: 'events', start_time: 0 }, callback: (r) => void seen.push(r._id), warn: (line) => warnings.push(line) },
      deps,
    );

    // Assess
    expect(result.status).toBe('completed');
    expect(new Set(seen)).toEqual(new Set(events(T0 - 1000, 25).map((r) => r._id)));
    expect(seen).toHaveLength(45);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cursor expired after 20 records/);
  });

  it('writes debug lines to stderr (or the function given), never the credentials', async () => {
    // Prepare
    const source = new ScriptedPageSource(() => [], { pageSize: 10 });
    const { deps, stderr } = world(source);
    const lines: string[] = [];

    // Act
    await runLibraryStream({ credentials, params: { collection: 'events', start_time: 0 }, debug: true }, deps);
    await runLibraryStream({ credentials, params: { collection: 'events', start_time: 0 }, debug: (line) => lines.push(line) }, deps);

    // Assess
    expect(stderr.some((line) => line.startsWith('[debug] events window'))).toBe(true);
    expect(lines.some((line) => line.startsWith('[debug] events window'))).toBe(true);
  });

  it.each<[string, Partial<StreamConfig>, RegExp, new (...args: never[]) => Error]>([
    ['no credentials', { credentials: undefined as never }, /credentials must be an object/, ConfigError],
    ['no token', { credentials: { domain: 'a.conveyour.com', appkey: 'k', token: '' } }, /credentials\.token is required/, ConfigError],
    ['no domain', { credentials: { appkey: 'k', token: 't' } }, /credentials\.domain is required/, ConfigError],
    ['a domain with a scheme', { credentials: { domain: 'https://a.conveyour.com', appkey: 'k', token: 't' } }, /credentials\.domain must be a bare host/, ConfigError],
    ['plain http to another host', { credentials: { baseUrl: 'http://example.com', appkey: 'k', token: 't' } }, /credentials\.baseUrl must use https/, ConfigError],
    ['an unknown collection', { params: { collection: 'event' as never, start_time: 0 } }, /params\.collection 'event' is not a ConveYour collection/, UnknownCollectionError],
    ['no start_time', { params: { collection: 'events' } as never }, /params\.start_time is required/, ConfigError],
    ['an empty window', { params: { collection: 'events', start_time: 'now', end_time: '-1 hour' } }, /params\.end_time/, EmptyWindowError],
    ['watch with an end_time', { watch: true, params: { collection: 'events', start_time: 0, end_time: 'now' } }, /cannot take params\.end_time/, ConfigError],
    ['a zero interval', { watch: true, interval: 0 }, /interval must be a whole number of milliseconds >= 1000, got 0/, ConfigError],
    ['a callback that is not a function', { callback: 'print' as never }, /callback must be a function/, ConfigError],
  ])('rejects %s before any request, naming the option', async (_name, overrides, message, type) => {
    const source = new ScriptedPageSource(() => [], { pageSize: 10 });
    const config = { credentials, params: { collection: 'events' as const, start_time: 0 }, ...overrides } as StreamConfig;
    const outcome = runLibraryStream(config, world(source).deps);
    await expect(outcome).rejects.toThrow(message);
    await expect(outcome).rejects.toBeInstanceOf(type);
    expect(source.requests).toEqual([]);
  });

  it('connects to credentials.baseUrl, else CONVEYOUR_BASE_URL, else https://{domain}', async () => {
    const baseUrls: string[] = [];
    const source = new ScriptedPageSource(() => [], { pageSize: 10 });
    const base = world(source).deps;
    const deps = (env: Record<string, string>): LibraryDependencies => ({
      ...base,
      env,
      createSource: (options) => (baseUrls.push(options.baseUrl), base.createSource(options)),
    });
    const params = { collection: 'events' as const, start_time: 0 };
    await runLibraryStream({ credentials: { ...credentials, baseUrl: 'http://127.0.0.1:9' }, params }, deps({ CONVEYOUR_BASE_URL: 'http://localhost:8' }));
    await runLibraryStream({ credentials, params }, deps({ CONVEYOUR_BASE_URL: 'http://localhost:8' }));
    await runLibraryStream({ credentials, params }, deps({}));
    expect(baseUrls).toEqual(['http://127.0.0.1:9', 'http://localhost:8', 'https://acme.conveyour.com']);
  });
});

/** Contacts, and transcripts per contact (by con_id), like the API's two reports. */
class TranscriptSource implements PageSource {
  readonly transcriptQueries: Array<{ conId: string | undefined; window: QueryWindow }> = [];
  constructor(
    private readonly contacts: ConveYourRecord[],
    private readonly perContact: number,
  ) {}
  async *pages(query: QuerySpec): AsyncIterable<Page> {
    const page = (records: ConveYourRecord[]): Page => ({ records, queryId: 'q', cursor: undefined, nextCursor: undefined, sequence: 0, byteLength: 1, fetchMs: 1 });
    if (query.collection === 'contacts') {
      yield page(this.contacts.filter((c) => (c.updated_at as number) >= query.window.start && (c.updated_at as number) < query.window.end));
      return;
    }
    this.transcriptQueries.push({ conId: query.conId, window: query.window });
    yield page(Array.from({ length: this.perContact }, (_, i) => ({ _id: `${query.conId}-t${i}`, con_id: query.conId })));
  }
}

describe('lessonTranscripts(config)', () => {
  it("gives each contact's transcripts with the contact embedded, awaited in order; a watch asks for the new window's contacts, not the last one again", async () => {
    // Prepare
    const stop = new AbortController();
    const contacts = [
      { _id: 'c1', updated_at: T0 - 50 },
      { _id: 'c2', updated_at: T0 - 40 },
      { _id: 'c3', updated_at: T0 + 5 },
    ];
    const source = new TranscriptSource(contacts, 2);
    const { deps } = world(source, { onSleep: (count) => count === 2 && stop.abort() });
    const seen: string[] = [];

    // Act
    const result = await runLibraryStream(
      transcriptsConfig({
        credentials,
        params: { start_time: T0 - 100 },
        callback: async (record: ConveYourRecord) => {
          await new Promise((resolve) => setImmediate(resolve));
          seen.push(`${(record.contact as ConveYourRecord)._id}/${record._id}`);
        },
        watch: true,
        interval: 10_000,
        signal: stop.signal,
      }),
      deps,
    );

    // Assess
    expect(result.status).toBe('stopped');
    expect(seen).toEqual(['c1/c1-t0', 'c1/c1-t1', 'c2/c2-t0', 'c2/c2-t1', 'c3/c3-t0', 'c3/c3-t1']);
    expect(source.transcriptQueries).toEqual([
      { conId: 'c1', window: { start: T0 - 100, end: T0 } },
      { conId: 'c2', window: { start: T0 - 100, end: T0 } },
      { conId: 'c3', window: { start: T0, end: T0 + 10 } },
    ]);
  });

  it('refuses a collection other than lesson_transcripts', () => {
    expect(() => transcriptsConfig({ credentials, params: { collection: 'events' as never, start_time: 0 } })).toThrow(
      /lessonTranscripts reads lesson_transcripts only, got params.collection 'events'/,
    );
  });
});

describe('records(config)', () => {
  it('yields every record in order, and reads on only once the loop body is done', async () => {
    // Prepare
    const source = new ScriptedPageSource(() => events(T0 - 1000, 12), { pageSize: 5 });
    const { deps, closed } = world(source);
    const seen: string[] = [];

    // Act
    for await (const record of pull({ credentials, params: { collection: 'events', start_time: 0 } }, deps)) {
      // The page holding this record has been asked for, and at most the one after it (fetched ahead).
      const index = seen.length;
      expect(source.requests.length).toBeLessThanOrEqual(Math.floor(index / 5) + 2);
      seen.push(record._id);
    }

    // Assess
    expect(seen).toEqual(events(T0 - 1000, 12).map((r) => r._id));
    expect(closed()).toBe(1);
  });

  it('ends the read and closes the connections when the loop breaks', async () => {
    const source = new ScriptedPageSource(() => events(T0 - 1000, 30), { pageSize: 5 });
    const { deps, closed } = world(source);
    let count = 0;
    for await (const _record of pull({ credentials, params: { collection: 'events', start_time: 0 } }, deps)) {
      if (++count === 7) break;
    }
    expect(closed()).toBe(1);
    // Record 7 is on page 2; page 3 may have been fetched ahead, nothing after it.
    expect(source.requests.length).toBeLessThanOrEqual(3);
  });

  it('throws the typed error from the loop', async () => {
    const source = new ScriptedPageSource(() => events(T0 - 1000, 30), {
      pageSize: 5,
      beforePage: ({ sequence }) => {
        if (sequence === 1) throw new AuthError(403);
      },
    });
    const seen: string[] = [];
    const loop = async () => {
      for await (const record of pull({ credentials, params: { collection: 'events', start_time: 0 } }, world(source).deps)) seen.push(record._id);
    };
    await expect(loop()).rejects.toBeInstanceOf(AuthError);
    expect(seen).toHaveLength(5);
  });

  it('with watch, stops when the signal aborts', async () => {
    const stop = new AbortController();
    const source = new ScriptedPageSource(() => events(T0 - 100, 3), { pageSize: 5 });
    const { deps } = world(source, { onSleep: (count) => count === 2 && stop.abort() });
    const seen: string[] = [];
    for await (const record of pull({ credentials, params: { collection: 'events', start_time: T0 - 100 }, watch: true, signal: stop.signal }, deps)) {
      seen.push(record._id);
    }
    expect(seen).toHaveLength(3);
    expect(source.requests.map((r) => r.window)).toEqual([
      { start: T0 - 100, end: T0 },
      { start: T0, end: T0 + 60 },
    ]);
  });
});
