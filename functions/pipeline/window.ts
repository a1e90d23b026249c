/**
 * Reading one window, whatever the collection: one loop and one flush over a `WindowReader`.
 * A reader knows how its collection is fetched and how its position is checkpointed (pages by
 * cursor, lesson_transcripts by contact); this loop knows when to fetch, land and save.
 *
 * Within a window the order of effects is that of the run (runCollection.ts): an item is
 * fetched, its batch PUT, and only then does the checkpoint move past it.
 */
import type { ConveYourRecord } from '../conveyour/types.js';
import { windowExhausted, type Checkpoint } from './checkpoint.js';
import { failurePolicy } from './errors.js';
import { encodeLandingObjects } from './landing.js';
import type { Lease } from './lease.js';
import type { RunDeps } from './ports.js';

export interface Totals {
  records: number;
  pages: number;
  files: number;
  bytes: number;
  splits: number;
  cursorRestarts: number;
}

export type WindowEnd =
  | { kind: 'exhausted'; checkpoint: Checkpoint }
  | { kind: 'budget-spent'; checkpoint: Checkpoint }
  | { kind: 'cursor-expired'; checkpoint: Checkpoint };

/** What one flush put into S3. */
export interface Landed {
  records: number;
  files: number;
  bytes: number;
}

/** One collection's way of reading a window: a page at a time, or a contact with its transcripts at a time. */
export interface WindowReader<Item> {
  /** The next item; asked for once more before the previous one has landed (a read-ahead of one). */
  next(): Promise<IteratorResult<Item>>;
  /**
   * What the reader's end means: the window's end (lesson_transcripts learns it no other way), or
   * a stop before it (a page source ends after the page without a cursor, so an earlier end was a stop).
   */
  readonly end: 'exhausted' | 'stopped';
  /** Whether nothing follows `item` in the window. */
  isLast(item: Item): boolean;
  /** Response bytes of the item: counted towards RunPolicy.flushBytes. */
  byteLength(item: Item): number;
  /** API pages the item took. */
  pages(item: Item): number;
  records(item: Item): readonly ConveYourRecord[];
  /** The position range in the landing key's name, e.g. `p000012-000015`. */
  rangeOf(batch: readonly Item[]): string;
  /** The checkpoint once `batch` landed (pure). `windowDone`: the reader reached the window's end after it. */
  advance(cp: Checkpoint, batch: readonly Item[], landed: Landed, windowDone: boolean, nowMs: number): Checkpoint;
  close(): Promise<void>;
}

export interface WindowIo {
  deps: RunDeps;
  lease: Lease;
  totals: Totals;
}

/**
 * Reads the current window from its checkpointed position until it ends, the budget allows no
 * further step, or the cursor expires. The next item is requested before the current one lands,
 * but only when the budget allows a whole further step, so every item fetched is also landed.
 * Items are merged into one flush until RunPolicy.flushBytes; the flush of the window's last item
 * saves no checkpoint: the caller writes it with the window's outcome, in one write.
 */
export async function readWindow<Item>(start: Checkpoint, io: WindowIo, open: () => WindowReader<Item>): Promise<WindowEnd> {
  if (windowExhausted(start)) return { kind: 'exhausted', checkpoint: start };
  const { budget, clock, policy } = io.deps;
  const reader = open();
  let cp = start;
  // Items fetched and not yet landed; `splice(0)` hands a flush the whole batch and empties it.
  const buffer: Item[] = [];
  let bufferBytes = 0;
  try {
    let pending: Promise<IteratorResult<Item>> | undefined = reader.next();
    while (pending) {
      const stepStarted = clock.nowMs();
      const next: IteratorResult<Item> = await pending;
      if (next.done) {
        if (reader.end === 'stopped') break;
        cp = await flush(cp, reader, buffer.splice(0), true, false, io);
        return { kind: 'exhausted', checkpoint: cp };
      }
      const item = next.value;
      const last = reader.isLast(item);
      pending = !last && budget.allowsAnotherStep() ? reader.next() : undefined;
      // The read-ahead may fail while this item is being landed: the await above rethrows it, but until
      // then it must not count as unhandled (Node would end the process).
      pending?.catch(() => undefined);
      buffer.push(item);
      bufferBytes += reader.byteLength(item);
      if (bufferBytes >= policy.flushBytes || last || !pending) {
        cp = await flush(cp, reader, buffer.splice(0), last, !last, io);
        bufferBytes = 0;
      }
      budget.observe(clock.nowMs() - stepStarted);
      if (last) return { kind: 'exhausted', checkpoint: cp };
    }
    if (buffer.length > 0) cp = await flush(cp, reader, buffer.splice(0), false, true, io);
    return { kind: 'budget-spent', checkpoint: cp };
  } catch (error) {
    const failure = failurePolicy(error, { claimed: true, writesStopped: budget.writeSignal.aborted });
    if (failure.policy === 'record-and-retry' || (failure.policy === 'stop-quietly' && failure.reason !== 'deadline')) throw error;
    // Items already fetched land and the checkpoint moves past them: they are true versions. Only the
    // item in flight is lost. An expired cursor's window is then read again, under new keys.
    if (buffer.length > 0) cp = await flush(cp, reader, buffer.splice(0), false, true, io);
    return { kind: failure.policy === 'restart-window' ? 'cursor-expired' : 'budget-spent', checkpoint: cp };
  } finally {
    await reader.close();
  }
}

/**
 * Lands a batch, then (if `persist`) moves the checkpoint past it; else the caller's next write
 * covers it. Every record a run lands passes here, between the fetch and the PUT.
 */
async function flush<Item>(cp: Checkpoint, reader: WindowReader<Item>, batch: readonly Item[], windowDone: boolean, persist: boolean, io: WindowIo): Promise<Checkpoint> {
  if (batch.length === 0 && !windowDone) return cp;
  const { deps, lease, totals } = io;
  const inFlight = cp.inFlight!;
  const records = batch.flatMap((item) => reader.records(item));
  const objects =
    records.length === 0
      ? []
      : await encodeLandingObjects(
          {
            prefix: deps.policy.prefix,
            source: cp.source,
            collection: cp.collection,
            window: inFlight.window,
            run: inFlight.runId,
            generation: inFlight.generation,
            range: reader.rangeOf(batch),
          },
          records,
        );
  await Promise.all(objects.map((object) => deps.sink.put(object, { signal: deps.budget.writeSignal })));
  const landed: Landed = { records: records.length, files: objects.length, bytes: objects.reduce((sum, object) => sum + object.body.length, 0) };
  addLanded(totals, { ...landed, pages: batch.reduce((sum, item) => sum + reader.pages(item), 0) });
  const next = reader.advance(cp, batch, landed, windowDone, deps.clock.nowMs());
  return persist ? lease.save(next) : next;
}

/** Adds what one flush landed to the run's totals. */
export function addLanded(totals: Totals, landed: { records: number; pages: number; files: number; bytes: number }): void {
  totals.records += landed.records;
  totals.pages += landed.pages;
  totals.files += landed.files;
  totals.bytes += landed.bytes;
}
