/** Shared fixtures of the ConveYour client's unit tests: bodies, a MockAgent and a fast client. */
import { MockAgent } from 'undici';
import { type ClientOptions, ConveYourClient } from '../../functions/conveyour/client.js';
import type { ConveYourRecord, CursorPosition, Page, PageSource, QuerySpec } from '../../functions/conveyour/types.js';

export const ORIGIN = 'https://acme.conveyour.com';
export const STREAM_PATH = '/api/reports/collectionStream';
export const CREDENTIALS = { appkey: 'appkey-SECRET-1234', token: 'token-SECRET-5678' };
export const WINDOW = { start: 1_700_000_000, end: 1_700_003_600 };

export const TRANSCRIPTS_PATH = '/api/reports/contactsLessonTranscripts';
export const isStreamPath = (path: string): boolean => path.startsWith(`${STREAM_PATH}?`);
export const isTranscriptsPath = (path: string): boolean => path.startsWith(`${TRANSCRIPTS_PATH}?`);

export function records(...ids: string[]): ConveYourRecord[] {
  return ids.map((_id) => ({ _id, updated_at: 1_700_000_100 }));
}

/** A success body exactly as the wire carries it. */
export function pageBody(results: ConveYourRecord[], queryId = 'q1', nextCursor?: string): object {
  return { data: { data: { results, query_id: queryId, pagination: nextCursor === undefined ? {} : { next_cursor: nextCursor } } } };
}

export function errorBody(code: string, message = code): object {
  return { success: false, error: { code, message } };
}

/** A MockAgent that refuses real network and records every call. */
export function mockAgent(): MockAgent {
  const agent = new MockAgent({ keepAliveTimeout: 10, enableCallHistory: true });
  agent.disableNetConnect();
  return agent;
}

/** A client on `agent` with near-zero backoff, so retry tests take milliseconds. */
export function fastClient(agent: MockAgent, overrides: Partial<ClientOptions> = {}): ConveYourClient {
  return new ConveYourClient({
    baseUrl: ORIGIN,
    credentials: CREDENTIALS,
    dispatcher: agent,
    requestTimeoutMs: 1_000,
    retry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 2, maxElapsedMs: 5_000 },
    ...overrides,
  });
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** A promise with its settle functions outside, to finish work in a chosen order. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A scripted PageSource: contacts pages by sequence, transcript pages by contact; transcript
 * queries can wait on a gate the test opens, and it counts what runs at the same time.
 */
export class FakeSource implements PageSource {
  readonly calls: Array<{ query: QuerySpec; resume: CursorPosition | undefined }> = [];
  readonly started: string[] = [];
  readonly completed: string[] = [];
  readonly aborted: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly gates = new Map<string, ReturnType<typeof deferred<void>>>();

  constructor(
    private readonly script: {
      contacts: ConveYourRecord[][];
      transcripts?: Record<string, ConveYourRecord[][]>;
      gated?: boolean;
      failFor?: Record<string, Error>;
    },
  ) {}

  pages(query: QuerySpec, options: { resume?: CursorPosition; signal?: AbortSignal } = {}): AsyncIterable<Page> {
    this.calls.push({ query, resume: options.resume });
    return query.collection === 'contacts' ? this.contacts(options.resume) : this.transcripts(query.conId ?? '', options.signal);
  }

  /** Lets the transcript query of `conId` finish. */
  release(conId: string): void {
    this.gate(conId).resolve();
  }

  private gate(conId: string): ReturnType<typeof deferred<void>> {
    if (!this.gates.has(conId)) this.gates.set(conId, deferred<void>());
    return this.gates.get(conId)!;
  }

  private async *contacts(resume: CursorPosition | undefined): AsyncGenerator<Page> {
    const all = this.script.contacts;
    for (let sequence = resume?.sequence ?? 0; sequence < all.length; sequence++) {
      yield fakePage(all[sequence]!, 'qc', sequence, all.length);
    }
  }

  private async *transcripts(conId: string, signal: AbortSignal | undefined): AsyncGenerator<Page> {
    this.started.push(conId);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.script.gated) {
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => {
            this.aborted.push(conId);
            reject(signal?.reason);
          };
          if (signal?.aborted) return onAbort();
          signal?.addEventListener('abort', onAbort, { once: true });
          void this.gate(conId).promise.then(() => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          });
        });
      } else {
        // Finish in a later macrotask so that several queries really overlap.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const failure = this.script.failFor?.[conId];
      if (failure) throw failure;
      const pages = this.script.transcripts?.[conId] ?? [[]];
      for (let sequence = 0; sequence < pages.length; sequence++) yield fakePage(pages[sequence]!, `qt-${conId}`, sequence, pages.length);
      this.completed.push(conId);
    } finally {
      this.inFlight -= 1;
    }
  }
}

export function fakePage(pageRecords: ConveYourRecord[], queryId: string, sequence: number, count: number): Page {
  return {
    records: pageRecords,
    queryId,
    cursor: sequence === 0 ? undefined : `${queryId}-c${sequence}`,
    nextCursor: sequence + 1 < count ? `${queryId}-c${sequence + 1}` : undefined,
    sequence,
    byteLength: 100,
    fetchMs: 1,
  };
}
