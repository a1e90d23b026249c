/**
 * lesson_transcripts, the hybrid collection: the contacts updated in the window
 * (collectionStream), then each contact's transcripts from contactsLessonTranscripts
 * (`collection=lesson_transcripts`, the same start/end, `con_id`; paginator.ts picks the path),
 * each transcript with its contact embedded as `contact`. Several contacts are fetched at
 * once, results come out in contacts order, and nothing runs further ahead of the
 * consumer than the concurrency allows.
 */
import { setMaxListeners } from 'node:events';
import { TRANSCRIPTS } from './collections.js';
import { prefetch } from './prefetch.js';
import type { ConveYourRecord, CursorPosition, Page, PageOptions, PageSource, QueryWindow } from './types.js';

/** One contact with all of its transcripts. */
export interface ContactTranscripts {
  contact: ConveYourRecord;
  /** The contacts page holding this contact (its `.cursor` re-fetches it). */
  contactsPage: Page;
  indexInPage: number;
  /** The contact's transcript pages, in order (at least one, possibly empty). */
  pages: Page[];
  /** All of the contact's transcripts, each a copy with `contact` embedded, in page order. */
  records: ConveYourRecord[];
}

/**
 * Where to restart: the contacts page to fetch again by its cursor, and the first index to
 * read in it. `contactsPage: undefined` opens a new contacts query and skips by index; a new
 * query is a new snapshot, so if contacts changed meanwhile the skipped ones may not be
 * the ones already read. Restarting at index 0 is the safe choice there.
 */
export interface TranscriptsResume {
  contactsPage: CursorPosition | undefined;
  nextIndexInPage: number;
}

/**
 * Contacts in flight by default. One request per contact makes this collection latency-bound,
 * and its speed-up over one contact at a time can never exceed the concurrency (8 measured
 * 5.7-7.5x in BENCHMARKS.md); 16 gives about 14x, and together with COLLECTION_CONCURRENCY
 * cursors stays within the client's 32 connections.
 */
export const DEFAULT_TRANSCRIPT_CONCURRENCY = 16;

interface ContactRef {
  contact: ConveYourRecord;
  contactsPage: Page;
  indexInPage: number;
}

/**
 * The contacts of `window`, each with its transcripts, in contacts order whatever finishes
 * first. At most `concurrency` contacts are in flight or waiting for the consumer. The
 * first error stops new work, aborts the rest and is thrown; so does the consumer leaving
 * early (`return()`), minus the throw.
 */
export function lessonTranscripts(
  source: PageSource,
  window: QueryWindow,
  options: { concurrency?: number; resume?: TranscriptsResume; signal?: AbortSignal; remainingMs?: () => number } = {},
): AsyncIterable<ContactTranscripts> {
  const concurrency = options.concurrency ?? DEFAULT_TRANSCRIPT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be an integer >= 1, got ${String(concurrency)}`);
  }
  const skip = options.resume?.nextIndexInPage ?? 0;
  if (!Number.isInteger(skip) || skip < 0) throw new RangeError(`resume.nextIndexInPage must be an integer >= 0, got ${String(skip)}`);
  return run(source, window, concurrency, options.resume, options.signal, options.remainingMs);
}

/** The resume point just after `item`: the same contacts page, the next index. */
export function resumeAfter(item: Pick<ContactTranscripts, 'contactsPage' | 'indexInPage'>): TranscriptsResume {
  const page = item.contactsPage;
  return {
    contactsPage: page.cursor === undefined ? undefined : { queryId: page.queryId, cursor: page.cursor, sequence: page.sequence },
    nextIndexInPage: item.indexInPage + 1,
  };
}

async function* run(
  source: PageSource,
  window: QueryWindow,
  concurrency: number,
  resume: TranscriptsResume | undefined,
  signal: AbortSignal | undefined,
  remainingMs: (() => number) | undefined,
): AsyncGenerator<ContactTranscripts, void, undefined> {
  signal?.throwIfAborted();
  // Our own controller, so that an error or an early return stops work the caller did not cancel.
  const stop = new AbortController();
  // Every request in flight listens on it: the contacts in flight, plus the contacts query and its read-ahead.
  // Node warns of a leak past 10 listeners, which 16 contacts in flight would pass.
  setMaxListeners(concurrency + 4, stop.signal);
  const onAbort = (): void => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  // `remainingMs` lets the client refuse a retry wait that would not end before the caller's deadline, as for any query.
  const fetch: PageOptions = { signal: stop.signal, ...(remainingMs ? { remainingMs } : {}) };
  const contacts = contactsOf(source, window, resume, fetch)[Symbol.asyncIterator]();
  const running: Promise<ContactTranscripts>[] = [];
  // A box, not a `let`: it is set from task callbacks, which control-flow narrowing cannot see.
  const failure: { error?: unknown; happened: boolean } = { happened: false };
  let contactsDone = false;
  try {
    for (;;) {
      while (!contactsDone && !failure.happened && running.length < concurrency) {
        let next: IteratorResult<ContactRef>;
        try {
          next = await contacts.next();
        } catch (error) {
          throw failure.happened ? failure.error : error;
        }
        if (next.done) {
          contactsDone = true;
          break;
        }
        const task = transcriptsOf(source, window, next.value, fetch);
        task.catch((error: unknown) => {
          if (failure.happened) return;
          failure.happened = true;
          failure.error = error;
          // The others then fail with this same reason, so the first error is what surfaces.
          stop.abort(error);
        });
        running.push(task);
      }
      if (failure.happened) throw failure.error;
      const head = running.shift();
      if (!head) return;
      let item: ContactTranscripts;
      try {
        item = await head;
      } catch (error) {
        throw failure.happened ? failure.error : error;
      }
      yield item;
    }
  } finally {
    stop.abort();
    signal?.removeEventListener('abort', onAbort);
    await Promise.allSettled(running);
    await contacts.return?.();
  }
}

async function* contactsOf(
  source: PageSource,
  window: QueryWindow,
  resume: TranscriptsResume | undefined,
  fetch: PageOptions,
): AsyncGenerator<ContactRef, void, undefined> {
  const query = { collection: 'contacts', window };
  // The next contacts page is fetched while this page's contacts are being worked on.
  const pages = prefetch(source.pages(query, { ...(resume?.contactsPage ? { resume: resume.contactsPage } : {}), ...fetch }), 1);
  let skip = resume?.nextIndexInPage ?? 0;
  for await (const contactsPage of pages) {
    for (let indexInPage = skip; indexInPage < contactsPage.records.length; indexInPage++) {
      yield { contact: contactsPage.records[indexInPage]!, contactsPage, indexInPage };
    }
    skip = 0;
  }
}

async function transcriptsOf(source: PageSource, window: QueryWindow, ref: ContactRef, fetch: PageOptions): Promise<ContactTranscripts> {
  const pages: Page[] = [];
  const records: ConveYourRecord[] = [];
  for await (const page of source.pages({ collection: TRANSCRIPTS, window, conId: ref.contact._id }, fetch)) {
    pages.push(page);
    // Copies: the page's records and the contacts page stay as the API returned them.
    for (const record of page.records) records.push({ ...record, contact: structuredClone(ref.contact) });
  }
  return { ...ref, pages, records };
}
