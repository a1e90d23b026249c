import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../functions/conveyour/errors.js';
import { type ContactTranscripts, lessonTranscripts, resumeAfter } from '../../functions/conveyour/lessonTranscripts.js';
import type { PageOptions } from '../../functions/conveyour/types.js';
import { collect, FakeSource, records, WINDOW } from './conveyour-fixtures.js';

const contactIds = (items: ContactTranscripts[]) => items.map((item) => item.contact._id);

describe('lessonTranscripts', () => {
  it('yields contacts in contacts order although their transcripts finish in reverse', async () => {
    // Prepare
    const source = new FakeSource({ contacts: [records('c1', 'c2'), records('c3', 'c4')], gated: true });
    // Act
    const all = collect(lessonTranscripts(source, WINDOW, { concurrency: 4 }));
    await expect.poll(() => source.started.length).toBe(4);
    for (const id of ['c4', 'c3', 'c2', 'c1']) {
      source.release(id);
      await expect.poll(() => source.completed.includes(id)).toBe(true);
    }
    // Assess
    expect(source.completed).toEqual(['c4', 'c3', 'c2', 'c1']);
    expect(contactIds(await all)).toEqual(['c1', 'c2', 'c3', 'c4']);
  });

  it('never runs more contacts at once than the concurrency, and does reach it', async () => {
    const source = new FakeSource({ contacts: [records('a', 'b', 'c', 'd'), records('e', 'f', 'g'), records('h', 'i', 'j')] });
    const items = await collect(lessonTranscripts(source, WINDOW, { concurrency: 3 }));
    expect(items).toHaveLength(10);
    expect(source.maxInFlight).toBe(3);
  });

  it('does not run ahead of a consumer that holds an item', async () => {
    // Prepare
    const source = new FakeSource({ contacts: [records('a', 'b', 'c', 'd', 'e', 'f')] });
    const iterator = lessonTranscripts(source, WINDOW, { concurrency: 2 })[Symbol.asyncIterator]();
    // Act
    const first = await iterator.next();
    await expect.poll(() => source.inFlight).toBe(0);
    // Assess: the held item and one more, nothing beyond the concurrency.
    expect(first.value?.contact._id).toBe('a');
    expect(source.started).toEqual(['a', 'b']);
    await iterator.return?.();
  });

  it('sends the transcripts query with the same window and the contact _id as con_id', async () => {
    const source = new FakeSource({ contacts: [records('c1')] });
    await collect(lessonTranscripts(source, WINDOW));
    expect(source.calls.map((call) => call.query)).toEqual([
      { collection: 'contacts', window: WINDOW },
      { collection: 'lesson_transcripts', window: WINDOW, conId: 'c1' },
    ]);
  });

  it('embeds a copy of the contact in every transcript, leaving the pages untouched', async () => {
    // Prepare
    const contact = { _id: 'c1', d: { first_name: 'Ada' } };
    const source = new FakeSource({ contacts: [[contact]], transcripts: { c1: [records('t1', 't2'), records('t3')] } });
    // Act
    const [item] = await collect(lessonTranscripts(source, WINDOW));
    // Assess
    expect(item?.records.map((r) => [r._id, r.contact])).toEqual([
      ['t1', contact],
      ['t2', contact],
      ['t3', contact],
    ]);
    expect(item?.records[0]?.contact).not.toBe(contact);
    expect(item?.records[0]?.contact).not.toBe(item?.records[1]?.contact);
    expect(item?.pages.flatMap((p) => p.records).some((r) => 'contact' in r)).toBe(false);
    expect(item?.pages).toHaveLength(2);
  });

  it('yields a contact without transcripts with empty records', async () => {
    const source = new FakeSource({ contacts: [records('c1', 'c2')], transcripts: { c2: [records('t1')] } });
    const items = await collect(lessonTranscripts(source, WINDOW));
    expect(items.map((item) => [item.contact._id, item.records.length])).toEqual([
      ['c1', 0],
      ['c2', 1],
    ]);
  });

  it('records where each contact sits: its contacts page and index', async () => {
    const source = new FakeSource({ contacts: [records('a', 'b'), records('c')] });
    const items = await collect(lessonTranscripts(source, WINDOW));
    expect(items.map((item) => [item.contactsPage.sequence, item.indexInPage])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
  });

  it('surfaces the first error, aborts the contacts in flight and starts no others', async () => {
    // Prepare
    const failure = new BadRequestError(400, 'con_id rejected');
    const source = new FakeSource({ contacts: [records('c1', 'c2', 'c3', 'c4', 'c5', 'c6')], gated: true, failFor: { c2: failure } });
    // Act
    const result = collect(lessonTranscripts(source, WINDOW, { concurrency: 3 }));
    await expect.poll(() => source.started.length).toBe(3);
    source.release('c2');
    // Assess
    await expect(result).rejects.toBe(failure);
    expect(source.started).toEqual(['c1', 'c2', 'c3']);
    expect(source.aborted.sort()).toEqual(['c1', 'c3']);
  });

  it('aborts the contacts in flight when the consumer stops early', async () => {
    // Prepare
    const source = new FakeSource({ contacts: [records('c1', 'c2', 'c3', 'c4')], gated: true });
    const iterator = lessonTranscripts(source, WINDOW, { concurrency: 3 })[Symbol.asyncIterator]();
    const first = iterator.next();
    await expect.poll(() => source.started.length).toBe(3);
    source.release('c1');
    await first;
    // Act
    await iterator.return?.();
    // Assess
    expect(source.aborted.sort()).toEqual(['c2', 'c3']);
    expect(source.started).toEqual(['c1', 'c2', 'c3']);
    expect(source.inFlight).toBe(0);
  });

  it('stops with the reason when the caller aborts', async () => {
    const source = new FakeSource({ contacts: [records('c1', 'c2')], gated: true });
    const controller = new AbortController();
    const result = collect(lessonTranscripts(source, WINDOW, { signal: controller.signal }));
    await expect.poll(() => source.started.length).toBe(2);
    controller.abort(new Error('deadline'));
    await expect(result).rejects.toThrow('deadline');
  });

  it('resumes inside a contacts page: re-fetches it by its cursor and skips the contacts before the index', async () => {
    // Prepare
    const source = new FakeSource({ contacts: [records('a', 'b'), records('c', 'd', 'e'), records('f')] });
    const resume = { contactsPage: { queryId: 'qc', cursor: 'qc-c1', sequence: 1 }, nextIndexInPage: 2 };
    // Act
    const items = await collect(lessonTranscripts(source, WINDOW, { resume }));
    // Assess
    expect(source.calls[0]).toEqual({ query: { collection: 'contacts', window: WINDOW }, resume: resume.contactsPage });
    expect(contactIds(items)).toEqual(['e', 'f']);
  });

  it('resumes inside the first contacts page by opening the query again and skipping', async () => {
    const source = new FakeSource({ contacts: [records('a', 'b', 'c'), records('d')] });
    const items = await collect(lessonTranscripts(source, WINDOW, { resume: { contactsPage: undefined, nextIndexInPage: 1 } }));
    expect(source.calls[0]?.resume).toBeUndefined();
    expect(contactIds(items)).toEqual(['b', 'c', 'd']);
  });

  it('gives a resume point after a contact that continues with the next one', async () => {
    const source = new FakeSource({ contacts: [records('a'), records('b', 'c', 'd')] });
    const items = await collect(lessonTranscripts(source, WINDOW));
    const point = resumeAfter(items[1]!);
    const rest = await collect(lessonTranscripts(source, WINDOW, { resume: point }));
    expect(point).toEqual({ contactsPage: { queryId: 'qc', cursor: 'qc-c1', sequence: 1 }, nextIndexInPage: 1 });
    expect(contactIds(rest)).toEqual(['c', 'd']);
  });

  it("hands the caller's remaining time to every query it opens, so no retry waits past the deadline", async () => {
    // Prepare
    const source = new FakeSource({ contacts: [records('a', 'b')] });
    const seen: Array<{ collection: string; remaining: number | undefined }> = [];
    const pages = source.pages.bind(source);
    source.pages = (query, options: PageOptions = {}) => {
      seen.push({ collection: query.collection, remaining: options.remainingMs?.() });
      return pages(query, options);
    };
    // Act
    await collect(lessonTranscripts(source, WINDOW, { concurrency: 2, remainingMs: () => 1_234 }));
    // Assess
    expect(seen).toEqual([
      { collection: 'contacts', remaining: 1_234 },
      { collection: 'lesson_transcripts', remaining: 1_234 },
      { collection: 'lesson_transcripts', remaining: 1_234 },
    ]);
  });

  it('rejects a concurrency below one', () => {
    expect(() => lessonTranscripts(new FakeSource({ contacts: [] }), WINDOW, { concurrency: 0 })).toThrow(
      'concurrency must be an integer >= 1, got 0',
    );
  });
});
