/** Fakes for running the CLI in-process: captured streams, a file map, a page source. */
import { Writable } from 'node:stream';
import type { CliIo } from '../../functions/cli/cli.js';
import type { ConveYourRecord, Page, PageSource, QuerySpec } from '../../functions/conveyour/types.js';

export interface Captured extends Writable {
  text(): string;
}

export function captureStream(): Captured {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  }) as Captured;
  stream.text = () => chunks.join('');
  return stream;
}

export const TEST_CREDENTIALS_ENV = {
  CONVEYOUR_BASE_URL: 'http://127.0.0.1:9',
  CONVEYOUR_APPKEY: 'appkey-secret-123',
  CONVEYOUR_TOKEN: 'token-secret-456',
};

export interface FakeIo extends CliIo {
  stdout: Captured;
  stderr: Captured;
  /** Calls the registered stop listener, as SIGTERM would. */
  signal(): void;
}

export function fakeIo(overrides: Partial<CliIo> & { files?: Record<string, string> } = {}): FakeIo {
  const { files = {}, ...rest } = overrides;
  let listener: ((signal: string) => void) | undefined;
  const io: FakeIo = {
    argv: [],
    env: { ...TEST_CREDENTIALS_ENV },
    stdout: captureStream(),
    stderr: captureStream(),
    stderrIsTTY: false,
    readFile: (path) => {
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
      return files[path]!;
    },
    onStopSignal: (registered) => {
      listener = registered;
      return () => {
        listener = undefined;
      };
    },
    clock: () => 1_700_000_000_000,
    createSource: () => {
      throw new Error('this test must not reach the API');
    },
    signal: () => listener?.('SIGTERM'),
    ...rest,
  } as FakeIo;
  return io;
}

/** A source serving fixed pages per collection, recording each query it was asked. */
export function fakeSource(pagesFor: (query: QuerySpec) => Array<ConveYourRecord[]> | Error) {
  const queries: QuerySpec[] = [];
  const source: PageSource & { close(): Promise<void>; queries: QuerySpec[]; closed: boolean } = {
    queries,
    closed: false,
    async *pages(query) {
      queries.push(query);
      const pages = pagesFor(query);
      if (pages instanceof Error) throw pages;
      for (const [sequence, records] of pages.entries()) {
        const last = sequence === pages.length - 1;
        const page: Page = {
          records,
          queryId: 'q1',
          cursor: sequence === 0 ? undefined : `c${sequence}`,
          nextCursor: last ? undefined : `c${sequence + 1}`,
          sequence,
          byteLength: 0,
          fetchMs: 1,
        };
        yield page;
      }
    },
    async close() {
      source.closed = true;
    },
  };
  return source;
}

export function record(id: string, fields: Record<string, unknown> = {}): ConveYourRecord {
  return { _id: id, created_at: 1_699_999_000, updated_at: 1_699_999_500, ...fields };
}
