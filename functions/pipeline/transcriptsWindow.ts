/**
 * lesson_transcripts, the hybrid: the window's contacts, then each contact's transcripts.
 * Progress is checkpointed per contact, so a window with many contacts survives time-outs.
 */
import { CursorExpiredError, DeadlineError } from '../conveyour/errors.js';
import { lessonTranscripts, type ContactTranscripts } from '../conveyour/lessonTranscripts.js';
import type { CursorPosition, Page } from '../conveyour/types.js';
import { afterTranscriptsFlush, type Checkpoint, type TranscriptProgress } from './checkpoint.js';
import { encodeLandingObjects } from './landing.js';
import { fetchOptions } from './pagesWindow.js';
import type { Lease } from './lease.js';
import type { RunDeps } from './ports.js';
import { addLanded, type Totals, type WindowEnd } from './window.js';

export async function pageTranscriptsWindow(start: Checkpoint, deps: RunDeps, lease: Lease, totals: Totals): Promise<WindowEnd> {
  let cp = start;
  const inFlight = cp.inFlight!;
  const progress = inFlight.transcripts;
  if (progress && !progress.next) return { kind: 'exhausted', checkpoint: cp };
  // Inside the first contacts page there is no cursor to re-fetch it by: a new query reads it again from index 0.
  const resume = progress?.next?.contactsPage ? { contactsPage: progress.next.contactsPage, nextIndexInPage: progress.next.indexInPage } : undefined;
  const contacts = lessonTranscripts(deps.source, inFlight.window, { concurrency: deps.policy.transcriptConcurrency, signal: fetchOptions(deps).signal, ...(resume ? { resume } : {}) })[
    Symbol.asyncIterator
  ]();
  let buffer: ContactTranscripts[] = [];
  let bufferBytes = 0;
  try {
    for (;;) {
      if (!deps.budget.allowsAnotherStep()) {
        if (buffer.length > 0) cp = await flush(cp, buffer, false, deps, lease, totals, true);
        return { kind: 'budget-spent', checkpoint: cp };
      }
      const stepStarted = deps.clock.nowMs();
      const next = await contacts.next();
      if (next.done) {
        // Written with the window's outcome, in one write.
        cp = await flush(cp, buffer, true, deps, lease, totals, false);
        return { kind: 'exhausted', checkpoint: cp };
      }
      buffer.push(next.value);
      bufferBytes += next.value.pages.reduce((sum, page) => sum + page.byteLength, 0);
      if (bufferBytes >= deps.policy.flushBytes) {
        cp = await flush(cp, buffer, false, deps, lease, totals, true);
        buffer = [];
        bufferBytes = 0;
      }
      deps.budget.observe(deps.clock.nowMs() - stepStarted);
    }
  } catch (error) {
    if (error instanceof CursorExpiredError) {
      if (buffer.length > 0) cp = await flush(cp, buffer, false, deps, lease, totals, true);
      return { kind: 'cursor-expired', checkpoint: cp };
    }
    if (error instanceof DeadlineError && !deps.budget.writeSignal.aborted) {
      // The contacts in flight at the deadline are lost; those buffered land and the checkpoint moves past them.
      if (buffer.length > 0) cp = await flush(cp, buffer, false, deps, lease, totals, true);
      return { kind: 'budget-spent', checkpoint: cp };
    }
    throw error;
  } finally {
    await contacts.return?.();
  }
}

async function flush(
  cp: Checkpoint,
  batch: ContactTranscripts[],
  exhausted: boolean,
  deps: RunDeps,
  lease: Lease,
  totals: Totals,
  persist: boolean,
): Promise<Checkpoint> {
  const inFlight = cp.inFlight!;
  const first = batch[0];
  const last = batch[batch.length - 1];
  const contactsQueryId = last?.contactsPage.queryId ?? inFlight.transcripts?.contactsQueryId ?? '';
  const records = batch.flatMap((item) => item.records);
  const objects =
    first && last && records.length > 0
      ? await encodeLandingObjects(
          {
            prefix: deps.policy.prefix,
            source: cp.source,
            collection: cp.collection,
            window: inFlight.window,
            run: inFlight.runId,
            generation: inFlight.generation,
            range: `c${first.contactsPage.sequence}i${first.indexInPage}-c${last.contactsPage.sequence}i${last.indexInPage}`,
          },
          records,
        )
      : [];
  await Promise.all(objects.map((object) => deps.sink.put(object, { signal: deps.budget.writeSignal })));
  const flushed = {
    contactsQueryId,
    next: exhausted ? undefined : last ? positionAfter(last) : inFlight.transcripts?.next,
    contacts: batch.length,
    pages: batch.reduce((sum, item) => sum + item.pages.length, 0),
    records: records.length,
    files: objects.length,
    bytes: objects.reduce((sum, object) => sum + object.body.length, 0),
  };
  addLanded(totals, flushed);
  const next = afterTranscriptsFlush(cp, flushed, deps.clock.nowMs());
  return persist ? lease.save(next) : next;
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
