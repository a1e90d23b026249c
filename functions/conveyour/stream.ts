/**
 * One entry for any collection, shared by the CLI and the pipeline: ordinary collections
 * give one batch per page; lesson_transcripts gives one batch per contact.
 */
import { type CollectionName, TRANSCRIPTS, parseCollectionName } from './collections.js';
import { lessonTranscripts } from './lessonTranscripts.js';
import { prefetch } from './prefetch.js';
import type { ConveYourRecord, CursorPosition, Page, PageSource, QueryWindow } from './types.js';

/** Records of one page (ordinary collections) or of one contact (lesson_transcripts). */
export interface RecordBatch {
  collection: CollectionName;
  /** For lesson_transcripts: each record has the contact embedded as `contact`. */
  records: ConveYourRecord[];
  /**
   * The page these records came from. For lesson_transcripts: the contact's last
   * transcript page (a contact's transcripts may span pages; all are read before the batch).
   */
  page: Page;
  /** lesson_transcripts only. */
  contact?: { record: ConveYourRecord; contactsPage: Page; indexInPage: number };
}

export interface StreamOptions {
  /** lesson_transcripts: contacts fetched in parallel, default DEFAULT_TRANSCRIPT_CONCURRENCY (16). */
  transcriptConcurrency?: number;
  /** Ordinary collections: pages requested ahead of the consumer, default 1 (fetch N+1 while N is processed). */
  prefetchPages?: number;
  /** Ordinary collections: continue a query from this cursor instead of opening one. */
  resume?: CursorPosition;
  signal?: AbortSignal;
}

/**
 * Streams `request.window` of a collection as batches. For lesson_transcripts, every
 * contact of the window yields a batch, one with empty `records` when the contact has no
 * transcripts: the consumer sees progress contact by contact (and can checkpoint it).
 *
 * @example for await (const batch of streamCollection(client, { collection: 'events', window })) print(batch.records);
 */
export function streamCollection(
  source: PageSource,
  request: { collection: CollectionName; window: QueryWindow },
  options: StreamOptions = {},
): AsyncIterable<RecordBatch> {
  const collection = parseCollectionName(request.collection);
  if (collection === TRANSCRIPTS) {
    if (options.resume) throw new TypeError('resume applies to ordinary collections; lesson_transcripts resumes through lessonTranscripts()');
    return transcriptBatches(source, request.window, options);
  }
  return pageBatches(source, collection, request.window, options);
}

async function* pageBatches(
  source: PageSource,
  collection: CollectionName,
  window: QueryWindow,
  options: StreamOptions,
): AsyncGenerator<RecordBatch, void, undefined> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const pages = source.pages({ collection, window }, { ...(options.resume ? { resume: options.resume } : {}), signal: stop.signal });
  const iterator = prefetch(pages, options.prefetchPages ?? 1)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield { collection, records: next.value.records, page: next.value };
    }
  } finally {
    // Abort first: a consumer that stops early should not wait for the page fetched ahead.
    stop.abort();
    options.signal?.removeEventListener('abort', onAbort);
    await iterator.return?.();
  }
}

async function* transcriptBatches(
  source: PageSource,
  window: QueryWindow,
  options: StreamOptions,
): AsyncGenerator<RecordBatch, void, undefined> {
  const contacts = lessonTranscripts(source, window, {
    ...(options.transcriptConcurrency !== undefined ? { concurrency: options.transcriptConcurrency } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  for await (const item of contacts) {
    yield {
      collection: TRANSCRIPTS,
      records: item.records,
      page: item.pages[item.pages.length - 1]!,
      contact: { record: item.contact, contactsPage: item.contactsPage, indexInPage: item.indexInPage },
    };
  }
}
