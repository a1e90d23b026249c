import { describe, expect, it } from 'vitest';
import { type RunDependencies, type WindowReader, runStream } from '../../functions/cli/run.js';
import type { StreamPlan } from '../../functions/cli/options.js';
import type { RecordSink } from '../../functions/cli/sinks.js';
import { AuthError, CursorExpiredError, NetworkError, RetriesExhaustedError } from '../../functions/conveyour/errors.js';
import type { ConveYourRecord, QueryWindow } from '../../functions/conveyour/types.js';
import { record } from './cli-fakes.js';

type SinkEvent = { kind: 'open' } | { kind: 'records'; ids: string[] } | { kind: 'complete'; window: QueryWindow };

function recordingSink(onRecords: () => void = () => {}): RecordSink & { events: SinkEvent[] } {
  const events: SinkEvent[] = [];
  return {
    events,
    open: async () => void events.push({ kind: 'open' }),
    records: async (records) => {
      events.push({ kind: 'records', ids: records.map((r) => r._id) });
      onRecords();
    },
    windowComplete: async (window) => void events.push({ kind: 'complete', window }),
  };
}

/** Serves `pages` for every window; records the windows asked for. */
function reader(pages: (window: QueryWindow, call: number) => Array<ConveYourRecord[] | Error>) {
  const windows: QueryWindow[] = [];
  const read: WindowReader = async function* (window) {
    windows.push(window);
    for (const page of pages(window, windows.length)) {
      if (page instanceof Error) throw page;
      yield { records: page };
    }
  };
  return { read, windows };
}

function deps(overrides: Partial<RunDependencies> & Pick<RunDependencies, 'read' | 'sink'>): RunDependencies & { logs: string[] } {
  const logs: string[] = [];
  return {
    reporter: { page: () => {}, status: () => {}, log: (line) => logs.push(line) },
    signal: new AbortController().signal,
    nowSeconds: () => 2000,
    sleep: async () => {},
    logs,
    ...overrides,
  };
}

const plan = (overrides: Partial<StreamPlan> = {}): StreamPlan => ({
  collection: 'events',
  window: { start: 1000, end: 2000 },
  watch: false,
  intervalMs: 60_000,
  ...overrides,
});

describe('runStream: one window', () => {
  it('writes every page in order, then marks the window complete', async () => {
    // Prepare
    const sink = recordingSink();
    const { read, windows } = reader(() => [[record('a'), record('b')], [record('c')]]);

    // Act
    const result = await runStream(plan(), deps({ read, sink }));

    // Assess
    expect(result).toBe('completed');
    expect(windows).toEqual([{ start: 1000, end: 2000 }]);
    expect(sink.events).toEqual([
      { kind: 'open' },
      { kind: 'records', ids: ['a', 'b'] },
      { kind: 'records', ids: ['c'] },
      { kind: 'complete', window: { start: 1000, end: 2000 } },
    ]);
  });

  it('marks an empty window complete without querying it', async () => {
    const sink = recordingSink();
    const { read, windows } = reader(() => []);
    await runStream(plan({ window: { start: 2000, end: 2000 } }), deps({ read, sink }));
    expect(windows).toEqual([]);
    expect(sink.events.at(-1)).toEqual({ kind: 'complete', window: { start: 2000, end: 2000 } });
  });

  it('passes a failure through without marking the window complete', async () => {
    const sink = recordingSink();
    const { read } = reader(() => [[record('a')], new AuthError(401)]);
    await expect(runStream(plan(), deps({ read, sink }))).rejects.toBeInstanceOf(AuthError);
    expect(sink.events.some((event) => event.kind === 'complete')).toBe(false);
  });
});

describe('runStream: an expired cursor', () => {
  it('reads the window again from its start, with a warning that records may repeat', async () => {
    // Prepare
    const sink = recordingSink();
    const { read, windows } = reader((_window, call) =>
      call === 1 ? [[record('a')], new CursorExpiredError('cursor expired')] : [[record('a')], [record('b')]],
    );
    const run = deps({ read, sink });

    // Act
    const result = await runStream(plan(), run);

    // Assess
    expect(result).toBe('completed');
    expect(windows).toEqual([{ start: 1000, end: 2000 }, { start: 1000, end: 2000 }]);
    expect(sink.events.filter((event) => event.kind === 'records')).toEqual([
      { kind: 'records', ids: ['a'] },
      { kind: 'records', ids: ['a'] },
      { kind: 'records', ids: ['b'] },
    ]);
    expect(run.logs).toEqual([
      'warning: the events cursor expired after 1 records (cursor expired); reading [1970-01-01T00:16:40Z = 1000, ' +
        '1970-01-01T00:33:20Z = 2000) again from its start (restart 1 of 3): records already written may repeat',
    ]);
  });

  it('gives up after three restarts', async () => {
    const sink = recordingSink();
    const { read, windows } = reader(() => [new CursorExpiredError('cursor expired')]);
    await expect(runStream(plan(), deps({ read, sink }))).rejects.toBeInstanceOf(CursorExpiredError);
    expect(windows).toHaveLength(4);
  });
});

describe('runStream: --watch', () => {
  it('tiles windows without gaps: each starts where the previous ended, at now', async () => {
    // Prepare
    const stop = new AbortController();
    const sink = recordingSink();
    const { read, windows } = reader(() => [[record('x')]]);
    let sleeps = 0;

    // Act
    await runStream(
      plan({ watch: true }),
      deps({
        read,
        sink,
        signal: stop.signal,
        // A minute passes in each sleep.
        nowSeconds: () => 2000 + 60 * sleeps,
        sleep: async () => {
          sleeps += 1;
          if (sleeps === 3) stop.abort();
        },
      }),
    );

    // Assess
    expect(windows).toEqual([
      { start: 1000, end: 2000 },
      { start: 2000, end: 2060 },
      { start: 2060, end: 2120 },
    ]);
    expect(sink.events.filter((event) => event.kind === 'complete')).toHaveLength(3);
  });

  it('skips a poll when the clock has not passed the previous end', async () => {
    const stop = new AbortController();
    const { read, windows } = reader(() => []);
    let sleeps = 0;
    await runStream(
      plan({ watch: true }),
      deps({ read, sink: recordingSink(), signal: stop.signal, nowSeconds: () => 2000, sleep: async () => void (++sleeps === 2 && stop.abort()) }),
    );
    expect(windows).toEqual([{ start: 1000, end: 2000 }]);
  });
});

describe('runStream: --watch through an outage', () => {
  it('reads a failed window again at the next poll, extended to now, after a warning', async () => {
    // Prepare: the second poll fails after the retries ran out; the third works.
    const stop = new AbortController();
    const sink = recordingSink();
    const outage = new RetriesExhaustedError(8, 120_000, 'ConveYour kept failing');
    const { read, windows } = reader((_window, call) => (call === 2 ? [outage] : [[record(`r${call}`)]]));
    let sleeps = 0;
    const run = deps({
      read,
      sink,
      signal: stop.signal,
      nowSeconds: () => 2000 + 60 * sleeps,
      sleep: async () => void (++sleeps === 3 && stop.abort()),
    });

    // Act
    await runStream(plan({ watch: true }), run);

    // Assess
    expect(windows).toEqual([
      { start: 1000, end: 2000 },
      { start: 2000, end: 2060 },
      { start: 2000, end: 2120 },
    ]);
    expect(sink.events.filter((event) => event.kind === 'complete').map((event) => (event as { window: QueryWindow }).window)).toEqual([
      { start: 1000, end: 2000 },
      { start: 2000, end: 2120 },
    ]);
    expect(run.logs).toHaveLength(1);
    expect(run.logs[0]).toMatch(/^warning: reading events \[.*\) failed \(ConveYour kept failing\); reading it again at the next poll/);
  });

  it('fails at once when the very first window fails, which is more likely a wrong setup', async () => {
    const { read } = reader(() => [new NetworkError('connection refused')]);
    await expect(runStream(plan({ watch: true }), deps({ read, sink: recordingSink() }))).rejects.toBeInstanceOf(NetworkError);
  });

  it('fails at once on refused credentials, even after good polls', async () => {
    const stop = new AbortController();
    const { read } = reader((_window, call) => (call === 2 ? [new AuthError(401)] : [[record('a')]]));
    await expect(runStream(plan({ watch: true }), deps({ read, sink: recordingSink(), signal: stop.signal, nowSeconds: () => 3000 }))).rejects.toBeInstanceOf(AuthError);
  });
});

describe('runStream: stopping', () => {
  it('stops after the page in hand, without marking the window complete', async () => {
    // Prepare
    const stop = new AbortController();
    const sink = recordingSink(() => stop.abort());
    const { read } = reader(() => [[record('a')], [record('b')]]);

    // Act
    const result = await runStream(plan(), deps({ read, sink, signal: stop.signal }));

    // Assess
    expect(result).toBe('stopped');
    expect(sink.events).toEqual([{ kind: 'open' }, { kind: 'records', ids: ['a'] }]);
  });

  it('treats a reader that ends quietly after an abort as stopped, not complete', async () => {
    const stop = new AbortController();
    const sink = recordingSink();
    const read: WindowReader = async function* () {
      stop.abort();
    };
    expect(await runStream(plan(), deps({ read, sink, signal: stop.signal }))).toBe('stopped');
    expect(sink.events).toEqual([{ kind: 'open' }]);
  });

  it('swallows the error an aborted request throws', async () => {
    const stop = new AbortController();
    const read: WindowReader = async function* () {
      stop.abort();
      throw new DOMException('aborted', 'AbortError');
    };
    expect(await runStream(plan(), deps({ read, sink: recordingSink(), signal: stop.signal }))).toBe('stopped');
  });
});

describe('runStream: --watch on the server clock', () => {
  /** A reader whose server runs `offset` seconds from our clock and stamps a record `late` 10 s after the first poll. */
  function serverReader(offset: number, now: () => number) {
    const windows: QueryWindow[] = [];
    const stamped: Array<{ id: string; at: number }> = [];
    const read: WindowReader = async function* (window) {
      windows.push(window);
      const records = stamped.filter((r) => r.at >= window.start && r.at < window.end).map((r) => record(r.id));
      yield { records, page: { serverTime: now() + offset } };
    };
    return { read, windows, stamped };
  }

  it.each([
    ['90 s behind', -90],
    ['150 s behind', -150],
    ['150 s ahead', 150],
  ])('writes a record a server %s creates 10 s after a poll, and tiles windows on its clock', async (_, offset) => {
    const stop = new AbortController();
    const sink = recordingSink();
    let clock = 2000;
    const server = serverReader(offset, () => clock);

    await runStream(
      plan({ watch: true }),
      deps({
        read: server.read,
        sink,
        signal: stop.signal,
        settleSeconds: 10,
        nowSeconds: () => clock,
        sleep: async () => {
          if (clock === 2000) server.stamped.push({ id: 'late', at: clock + 10 + offset });
          clock += 60;
          if (clock > 2000 + 60 * 10) stop.abort();
        },
      }),
    );

    const written = sink.events.flatMap((event) => (event.kind === 'records' ? event.ids : []));
    expect(written).toEqual(['late']);
    const complete = sink.events.flatMap((event) => (event.kind === 'complete' ? [event.window] : []));
    // Tiled without gaps, each ending the settle margin before the server's Date.
    for (let i = 1; i < complete.length; i++) expect(complete[i]!.start).toBe(complete[i - 1]!.end);
    expect(complete.at(-1)!.end).toBe(clock - 60 + offset - 10);
    // In step with the server after the first poll: the end asked for is the end covered.
    expect(server.windows.slice(1)).toEqual(complete.slice(1));
  });
});
