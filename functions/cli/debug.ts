/**
 * `--debug` lines: what was asked of the API and how long it took, one line per attempt.
 * Built only from the client's RequestEvent, which never holds credentials.
 */
import type { RequestEvent } from '../conveyour/client.js';

/** `[debug] GET collectionStream collection=events start_time=… data=1 -> 200 in 35ms (attempt 1)` */
export function formatRequestEvent(event: RequestEvent): string {
  const query = Object.entries(event.params)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  const status = event.status === undefined ? '' : ` ${event.status}`;
  const report = event.path.slice(event.path.lastIndexOf('/') + 1);
  const head = `[debug] GET ${report} ${query} ->${status}`;
  const attempt = `(attempt ${event.attempt})`;
  switch (event.type) {
    case 'response':
      return `${head} in ${event.durationMs}ms ${attempt}`;
    case 'retry':
      return `${head} failed after ${event.durationMs}ms ${attempt}: ${event.error ?? 'unknown error'}; retrying in ${event.delayMs ?? 0}ms`;
    case 'failure':
      return `${head} failed after ${event.durationMs}ms ${attempt}: ${event.error ?? 'unknown error'}; giving up`;
  }
}
