/**
 * Read-ahead for any async iterable: while the consumer works on item N, items up to
 * N+depth are already being fetched. For pages this overlaps the request for page N+1
 * (its cursor is known as soon as page N arrives) with the processing of page N.
 */

/**
 * Yields the items of `source` in order, keeping up to `depth` further `next()` calls
 * running ahead of the consumer (depth 0 = no read-ahead). An error of a read-ahead item
 * surfaces when the consumer reaches it, not before.
 *
 * Stopping early waits for the `next()` calls already started, then returns the source;
 * to cut a running fetch short, abort the signal the source was given first.
 *
 * @example for await (const page of prefetch(client.pages(query), 1)) await land(page);
 */
export async function* prefetch<T>(source: AsyncIterable<T>, depth = 1): AsyncGenerator<T, void, undefined> {
  if (!Number.isInteger(depth) || depth < 0) throw new RangeError(`prefetch depth must be an integer >= 0, got ${String(depth)}`);
  const iterator = source[Symbol.asyncIterator]();
  const ahead: Promise<IteratorResult<T>>[] = [];
  let finished = false;
  const pull = (): void => {
    const next = iterator.next();
    // Observed here so a failed read-ahead is not an unhandled rejection; it is rethrown below.
    next.catch(() => undefined);
    ahead.push(next);
  };
  try {
    for (;;) {
      if (ahead.length === 0) pull();
      const result = await ahead.shift()!;
      if (result.done) {
        finished = true;
        return;
      }
      // Start the next fetch before handing this item over: that is the overlap.
      while (ahead.length < depth) pull();
      yield result.value;
    }
  } finally {
    if (!finished) {
      await Promise.allSettled(ahead);
      await iterator.return?.();
    }
  }
}
