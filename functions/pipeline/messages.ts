/** The continuation message on the wire: identity only, validated before anything acts on it. */
import { MalformedMessageError } from './errors.js';
import type { ContinuationMessage } from './ports.js';

/** Known sources and their enabled collections, to reject messages that name neither. */
export type Catalog = ReadonlyMap<string, readonly string[]>;

export function encodeContinuationMessage(message: ContinuationMessage): string {
  return JSON.stringify({ v: 1, ...message });
}

/** Parses and checks a message body; the error names what is wrong and what would be valid. */
export function parseContinuationMessage(body: string, catalog: Catalog): ContinuationMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new MalformedMessageError(`continuation message is not JSON: ${preview(body)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MalformedMessageError(`continuation message must be a JSON object {source, collection, runId, hop}, got ${preview(body)}`);
  }
  const { source, collection, runId, hop } = parsed as Record<string, unknown>;
  if (typeof source !== 'string' || !catalog.has(source)) {
    throw new MalformedMessageError(`continuation message names unknown source ${JSON.stringify(source)}; configured: ${[...catalog.keys()].join(', ')}`);
  }
  const collections = catalog.get(source)!;
  if (typeof collection !== 'string' || !collections.includes(collection)) {
    throw new MalformedMessageError(
      `continuation message names collection ${JSON.stringify(collection)}, not enabled for source '${source}'; enabled: ${collections.join(', ')}`,
    );
  }
  if (typeof runId !== 'string' || runId === '') throw new MalformedMessageError(`continuation message needs a non-empty string runId, got ${JSON.stringify(runId)}`);
  if (typeof hop !== 'number' || !Number.isInteger(hop) || hop < 1) {
    throw new MalformedMessageError(`continuation message needs an integer hop >= 1, got ${JSON.stringify(hop)}`);
  }
  const { backfill } = parsed as Record<string, unknown>;
  if (backfill === undefined) return { source, collection, runId, hop };
  const { id, window } = (typeof backfill === 'object' && backfill !== null ? backfill : {}) as Record<string, unknown>;
  if (typeof id !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(id) || typeof window !== 'number' || !Number.isInteger(window) || window < 0) {
    throw new MalformedMessageError(`continuation message's backfill must be {id: letters, digits or '-', window: integer >= 0}, got ${JSON.stringify(backfill)}`);
  }
  return { source, collection, runId, hop, backfill: { id, window } };
}

function preview(body: string): string {
  return JSON.stringify(body.length > 120 ? `${body.slice(0, 120)}…` : body);
}
