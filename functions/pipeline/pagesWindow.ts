/** Ordinary collections: a window is one query, read page by page from its checkpointed cursor. */
import type { Page, QuerySpec } from '../conveyour/types.js';
import { afterFlush, type Checkpoint } from './checkpoint.js';
import { pageRange } from './landing.js';
import type { RunDeps } from './ports.js';
import type { WindowReader } from './window.js';

/** A page already fetched by the run's peek: the reader starts with it instead of fetching it again. */
export interface Peeked {
  iterator: AsyncIterator<Page>;
  first: Page;
}

/** Reads the window's query from its saved cursor (or opens it), or carries on from a peeked first page. */
export function pagesReader(cp: Checkpoint, deps: Pick<RunDeps, 'source' | 'budget'>, peeked?: Peeked): WindowReader<Page> {
  const next = cp.inFlight!.query?.next;
  const iterator = peeked?.iterator ?? deps.source.pages(specOf(cp), { ...fetchOptions(deps), ...(next ? { resume: next } : {}) })[Symbol.asyncIterator]();
  let first: Page | undefined = peeked?.first;
  return {
    async next() {
      if (!first) return iterator.next();
      const page = first;
      first = undefined;
      return { done: false, value: page };
    },
    end: 'stopped',
    isLast: (page) => !page.nextCursor,
    byteLength: (page) => page.byteLength,
    pages: () => 1,
    records: (page) => page.records,
    rangeOf: (batch) => pageRange(batch[0]!.sequence, batch[batch.length - 1]!.sequence),
    advance(cp, batch, landed, _windowDone, nowMs) {
      const last = batch[batch.length - 1]!;
      return afterFlush(
        cp,
        {
          queryId: last.queryId,
          next: last.nextCursor ? { queryId: last.queryId, cursor: last.nextCursor, sequence: last.sequence + 1 } : undefined,
          pages: batch.length,
          ...landed,
        },
        nowMs,
      );
    },
    async close() {
      await iterator.return?.();
    },
  };
}

/** Every ConveYour request of a run stops at the invocation's deadline minus the margin. */
export function fetchOptions(deps: Pick<RunDeps, 'budget'>): { signal: AbortSignal; remainingMs: () => number } {
  return { signal: deps.budget.fetchSignal, remainingMs: () => deps.budget.fetchRemainingMs() };
}

export function specOf(cp: Checkpoint): QuerySpec {
  return { collection: cp.collection, window: cp.inFlight!.window };
}
