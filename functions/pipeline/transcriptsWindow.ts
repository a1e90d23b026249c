/**
 * lesson_transcripts, the hybrid: the window's contacts, then each contact's transcripts.
 * Progress is checkpointed per contact, so a window with many contacts survives time-outs.
 */
import { lessonTranscripts, type ContactTranscripts } from '../conveyour/lessonTranscripts.js';
import type { CursorPosition, Page } from '../conveyour/types.js';
import { afterTranscriptsFlush, type Checkpoint, type TranscriptProgress } from './checkpoint.js';
import { fetchOptions } from './pagesWindow.js';
import type { RunDeps } from './ports.js';
import type { WindowReader } from './window.js';

/** Reads the window's contacts from the saved contact on, each with its transcripts; only the end of the contacts says the window is read. */
export function transcriptsReader(cp: Checkpoint, deps: Pick<RunDeps, 'source' | 'budget' | 'policy'>): WindowReader<ContactTranscripts> {
  const inFlight = cp.inFlight!;
  const progress = inFlight.transcripts;
  // Inside the first contacts page there is no cursor to re-fetch it by: a new query reads it again from index 0.
  const resume = progress?.next?.contactsPage ? { contactsPage: progress.next.contactsPage, nextIndexInPage: progress.next.indexInPage } : undefined;
  const contacts = lessonTranscripts(deps.source, inFlight.window, {
    concurrency: deps.policy.transcriptConcurrency,
    ...fetchOptions(deps),
    ...(resume ? { resume } : {}),
  })[Symbol.asyncIterator]();
  return {
    next: () => contacts.next(),
    end: 'exhausted',
    isLast: () => false,
    byteLength: (item) => item.pages.reduce((sum, page) => sum + page.byteLength, 0),
    pages: (item) => item.pages.length,
    records: (item) => item.records,
    rangeOf(batch) {
      const first = batch[0]!;
      const last = batch[batch.length - 1]!;
      return `c${first.contactsPage.sequence}i${first.indexInPage}-c${last.contactsPage.sequence}i${last.indexInPage}`;
    },
    advance(cp, batch, landed, windowDone, nowMs) {
      const previous = cp.inFlight!.transcripts;
      const last = batch[batch.length - 1];
      return afterTranscriptsFlush(
        cp,
        {
          contactsQueryId: last?.contactsPage.queryId ?? previous?.contactsQueryId ?? '',
          next: windowDone ? undefined : last ? positionAfter(last) : previous?.next,
          contacts: batch.length,
          pages: batch.reduce((sum, item) => sum + item.pages.length, 0),
          ...landed,
        },
        nowMs,
      );
    },
    async close() {
      await contacts.return?.();
    },
  };
}

function positionAfter(item: ContactTranscripts): TranscriptProgress['next'] {
  const page = item.contactsPage;
  if (item.indexInPage + 1 < page.records.length) return { contactsPage: positionOf(page), indexInPage: item.indexInPage + 1 };
  if (page.nextCursor) return { contactsPage: { queryId: page.queryId, cursor: page.nextCursor, sequence: page.sequence + 1 }, indexInPage: 0 };
  // The last contact of the last page: nothing after it, but only the iterator's end says the query is exhausted.
  return { contactsPage: positionOf(page), indexInPage: item.indexInPage + 1 };
}

function positionOf(page: Page): CursorPosition | undefined {
  return page.cursor ? { queryId: page.queryId, cursor: page.cursor, sequence: page.sequence } : undefined;
}
