/** Ordinary collections: page one window's query and land it, page by page. */
import { CursorExpiredError, DeadlineError } from '../conveyour/errors.js';
import type { Page, QuerySpec } from '../conveyour/types.js';
import { afterFlush, type Checkpoint } from './checkpoint.js';
import { encodeLandingObjects, pageRange } from './landing.js';
import type { Lease } from './lease.js';
import type { RunDeps } from './ports.js';
import { addLanded, type Totals, type WindowEnd } from './window.js';

/**
 * Pages the current window's query from its checkpointed cursor. The next page is requested
 * before the current one is written (prefetch depth 1), but only when the budget allows a
 * whole further step, so every page fetched is also landed.
 */
export async function pageWindow(
  start: Checkpoint,
  deps: RunDeps,
  lease: Lease,
  totals: Totals,
  peeked: { iterator: AsyncIterator<Page>; first: IteratorResult<Page> } | undefined,
): Promise<WindowEnd> {
  let cp = start;
  const inFlight = cp.inFlight!;
  if (inFlight.query && !inFlight.query.next) return { kind: 'exhausted', checkpoint: cp };
  const iterator = peeked?.iterator ?? deps.source.pages(specOf(cp), { ...fetchOptions(deps), ...(inFlight.query?.next ? { resume: inFlight.query.next } : {}) })[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<Page>> | undefined = peeked ? Promise.resolve(peeked.first) : iterator.next();
  let buffer: Page[] = [];
  let bufferBytes = 0;
  try {
    while (pending) {
      const stepStarted = deps.clock.nowMs();
      const next: IteratorResult<Page> = await pending;
      if (next.done) break;
      const page: Page = next.value;
      pending = page.nextCursor && deps.budget.allowsAnotherStep() ? iterator.next() : undefined;
      // The prefetch may fail while this page is being written: the await below rethrows it, but until
      // then it must not count as unhandled (Node would end the process).
      pending?.catch(() => undefined);
      buffer.push(page);
      bufferBytes += page.byteLength;
      if (bufferBytes >= deps.policy.flushBytes || !page.nextCursor || !pending) {
        // The last page's checkpoint is written with the window's outcome, in one write.
        cp = await flush(cp, buffer, deps, lease, totals, Boolean(page.nextCursor));
        buffer = [];
        bufferBytes = 0;
      }
      deps.budget.observe(deps.clock.nowMs() - stepStarted);
      if (!page.nextCursor) return { kind: 'exhausted', checkpoint: cp };
    }
    if (buffer.length > 0) cp = await flush(cp, buffer, deps, lease, totals, true);
    return { kind: 'budget-spent', checkpoint: cp };
  } catch (error) {
    if (error instanceof CursorExpiredError) {
      // Pages already landed stay: they are true versions. The window is read again under new keys.
      if (buffer.length > 0) cp = await flush(cp, buffer, deps, lease, totals, true);
      return { kind: 'cursor-expired', checkpoint: cp };
    }
    if (error instanceof DeadlineError && !deps.budget.writeSignal.aborted) {
      // A fetch stopped at the deadline: only the page in flight is lost, and the checkpoint is before it.
      if (buffer.length > 0) cp = await flush(cp, buffer, deps, lease, totals, true);
      return { kind: 'budget-spent', checkpoint: cp };
    }
    throw error;
  } finally {
    await iterator.return?.();
  }
}

/** Lands the pages, then (if `persist`) moves the checkpoint past them; else the caller's next write covers them. */
async function flush(cp: Checkpoint, pages: Page[], deps: RunDeps, lease: Lease, totals: Totals, persist: boolean): Promise<Checkpoint> {
  const inFlight = cp.inFlight!;
  const first = pages[0]!;
  const last = pages[pages.length - 1]!;
  const records = pages.flatMap((page) => page.records);
  const objects = await encodeLandingObjects(
    {
      prefix: deps.policy.prefix,
      source: cp.source,
      collection: cp.collection,
      window: inFlight.window,
      run: inFlight.runId,
      generation: inFlight.generation,
      range: pageRange(first.sequence, last.sequence),
    },
    records,
  );
  await Promise.all(objects.map((object) => deps.sink.put(object, { signal: deps.budget.writeSignal })));
  const bytes = objects.reduce((sum, object) => sum + object.body.length, 0);
  const flushed = {
    queryId: last.queryId,
    next: last.nextCursor ? { queryId: last.queryId, cursor: last.nextCursor, sequence: last.sequence + 1 } : undefined,
    pages: pages.length,
    records: records.length,
    files: objects.length,
    bytes,
  };
  addLanded(totals, flushed);
  const next = afterFlush(cp, flushed, deps.clock.nowMs());
  return persist ? lease.save(next) : next;
}

/** Every ConveYour request of a run stops at the invocation's deadline minus the margin. */
export function fetchOptions(deps: Pick<RunDeps, 'budget'>): { signal: AbortSignal; remainingMs: () => number } {
  return { signal: deps.budget.fetchSignal, remainingMs: () => deps.budget.fetchRemainingMs() };
}

export function specOf(cp: Checkpoint): QuerySpec {
  return { collection: cp.collection, window: cp.inFlight!.window };
}
