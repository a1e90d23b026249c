/**
 * A source that cannot be read at all (its secret is missing or denied): every query fails
 * with the same error, so each of its collections fails on its own, records the error on its
 * checkpoint and is retried next tick, while the other sources run as usual.
 */
import type { Page, PageSource } from '../conveyour/types.js';

export function unavailableSource(error: unknown): PageSource {
  return {
    pages(): AsyncIterable<Page> {
      return {
        [Symbol.asyncIterator]: () => ({
          next: () => Promise.reject(error),
          return: () => Promise.resolve({ done: true, value: undefined }),
        }),
      };
    },
  };
}
