import { describe, expect, it } from 'vitest';
import { discoverCatalog, recordLines, schemaMessage, stateMessage } from '../../functions/cli/singer.js';
import { bookmarkOf, parseSingerState, selectedStreams } from '../../functions/cli/singerFiles.js';
import { LineWriter } from '../../functions/cli/output.js';
import { singerSink } from '../../functions/cli/sinks.js';
import { COLLECTIONS } from '../../functions/conveyour/collections.js';
import { checkSingerOutput } from './cli-singer-spec.js';
import { captureStream, record } from './cli-fakes.js';

describe('Singer messages', () => {
  it('describes a stream with key _id, bookmark updated_at and a permissive schema', () => {
    expect(schemaMessage('events')).toEqual({
      type: 'SCHEMA',
      stream: 'events',
      schema: {
        type: 'object',
        description: expect.any(String),
        properties: { _id: { type: 'string' }, created_at: { type: ['integer', 'null'] }, updated_at: { type: ['integer', 'null'] } },
        required: ['_id'],
        additionalProperties: true,
      },
      key_properties: ['_id'],
      bookmark_properties: ['updated_at'],
    });
  });

  it('writes one RECORD line per record, stamped with the extraction time', () => {
    const text = recordLines('events', [record('a'), record('b')], new Date('2023-11-14T22:13:20.5Z'), []);
    expect(text.split('\n').slice(0, -1).map((line) => JSON.parse(line))).toEqual([
      { type: 'RECORD', stream: 'events', record: record('a'), time_extracted: '2023-11-14T22:13:20.500Z' },
      { type: 'RECORD', stream: 'events', record: record('b'), time_extracted: '2023-11-14T22:13:20.500Z' },
    ]);
  });

  it("moves only this collection's bookmark to the window's end, keeping the rest of the state", () => {
    const prior = { bookmarks: { tags: { start_time: 5 }, events: { start_time: 10, note: 'kept' } }, currently_syncing: null };
    expect(stateMessage(prior, 'events', 99)).toEqual({
      type: 'STATE',
      value: { bookmarks: { tags: { start_time: 5 }, events: { start_time: 99, note: 'kept' } }, currently_syncing: null },
    });
    expect(prior.bookmarks.events.start_time).toBe(10);
  });

  it('discovers all nine collections as incremental streams keyed by _id', () => {
    const catalog = discoverCatalog();
    expect(catalog.streams.map((stream) => stream.tap_stream_id)).toEqual([...COLLECTIONS]);
    expect(catalog.streams[0]).toMatchObject({
      key_properties: ['_id'],
      metadata: [{ breadcrumb: [], metadata: { 'valid-replication-keys': ['updated_at'], 'forced-replication-method': 'INCREMENTAL' } }],
    });
  });

  it('produces output the spec checker accepts: SCHEMA, then RECORDs, then STATE', async () => {
    // Prepare
    const stdout = captureStream();
    const sink = singerSink(new LineWriter(stdout, () => {}), 'events', {}, []);

    // Act
    await sink.open();
    await sink.records([record('a')], new Date());
    await sink.windowComplete({ start: 0, end: 100 });

    // Assess
    const check = checkSingerOutput(stdout.text());
    expect(check.problems).toEqual([]);
    expect(check.messages.map((message) => message.type)).toEqual(['SCHEMA', 'RECORD', 'STATE']);
    expect(check.messages[2]).toEqual({ type: 'STATE', value: { bookmarks: { events: { start_time: 100 } } } });
  });

  it('carries each STATE forward into the next one', async () => {
    const stdout = captureStream();
    const sink = singerSink(new LineWriter(stdout, () => {}), 'events', { bookmarks: { tags: { start_time: 1 } } }, []);
    await sink.windowComplete({ start: 0, end: 100 });
    await sink.windowComplete({ start: 100, end: 160 });
    expect(JSON.parse(stdout.text().split('\n')[1]!)).toEqual({ type: 'STATE', value: { bookmarks: { tags: { start_time: 1 }, events: { start_time: 160 } } } });
  });
});

describe('the spec checker itself', () => {
  it('flags a RECORD before its SCHEMA and output that does not end in STATE', () => {
    const output = `${JSON.stringify({ type: 'RECORD', stream: 'events', record: { _id: 'a' } })}\n`;
    expect(checkSingerOutput(output).problems).toEqual(['line 1: RECORD of events before its SCHEMA', 'the last message is not a STATE']);
  });
});

describe('Singer state files', () => {
  it('reads a bare state value, as Meltano passes it', () => {
    expect(parseSingerState('{"bookmarks":{"events":{"start_time":5}}}', 's')).toEqual({ bookmarks: { events: { start_time: 5 } } });
  });

  it("reads the last STATE of a tap's whole output", () => {
    const output = [
      JSON.stringify(schemaMessage('events')),
      JSON.stringify(stateMessage({}, 'events', 5)),
      JSON.stringify({ type: 'RECORD', stream: 'events', record: { _id: 'a' } }),
      JSON.stringify(stateMessage({}, 'events', 9)),
      '',
    ].join('\n');
    expect(bookmarkOf(parseSingerState(output, 's'), 'events', 's')).toBe(9);
  });

  it('reads an empty file as an empty state', () => {
    expect(parseSingerState('\n', 's')).toEqual({});
  });

  it('gives no bookmark for a collection the state does not hold', () => {
    expect(bookmarkOf({ bookmarks: { tags: { start_time: 1 } } }, 'events', 's')).toBeUndefined();
  });
});

describe('Singer catalogs', () => {
  it('selects by top-level metadata, or by the legacy schema flag', () => {
    const catalog = {
      streams: [
        { tap_stream_id: 'events', metadata: [{ breadcrumb: [], metadata: { selected: true } }] },
        { tap_stream_id: 'tags', metadata: [{ breadcrumb: [], metadata: { selected: false } }], schema: { selected: true } },
        { tap_stream_id: 'lessons', schema: { selected: true } },
        { tap_stream_id: 'contacts' },
      ],
    };
    expect(selectedStreams(JSON.stringify(catalog), 'k')).toEqual(['events', 'lessons']);
  });
});
