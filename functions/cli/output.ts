/**
 * stdout as a sink of lines that respects backpressure and treats a closed reader
 * (`| head -1`) as the end of the run, not a failure: the writer flags itself closed, tells
 * the run to stop paging, and the process exits 0 without a word.
 */
import type { Writable } from 'node:stream';
import type { ConveYourRecord } from '../conveyour/types.js';
import { projectRecord } from './fields.js';
import type { OutputOptions } from './options.js';

/** The reader went away: EPIPE, or the stream was destroyed under us. */
const CLOSED_READER = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ECONNRESET']);

export class LineWriter {
  #closed = false;
  #failure: Error | undefined;

  /** @param onClosed called once, when the reader has gone (stop paging). */
  constructor(
    private readonly stream: Writable,
    private readonly onClosed: () => void,
  ) {
    stream.on('error', (error: NodeJS.ErrnoException) => this.#fail(error));
  }

  /** True once the reader has gone; writes are then dropped. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Writes one chunk (whole lines) and waits for the stream to drain if it asked to. */
  async write(chunk: string): Promise<void> {
    this.#throwIfFailed();
    if (this.#closed || chunk === '') return;
    if (this.stream.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        this.stream.off('error', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
      this.stream.on('error', done);
    });
    this.#throwIfFailed();
  }

  #fail(error: NodeJS.ErrnoException): void {
    if (error.code !== undefined && CLOSED_READER.has(error.code)) {
      if (this.#closed) return;
      this.#closed = true;
      this.onClosed();
      return;
    }
    this.#failure ??= error;
  }

  #throwIfFailed(): void {
    // Anything but a gone reader (a full disk behind `> file`) is a real failure.
    if (this.#failure) throw new Error(`cannot write to stdout: ${this.#failure.message}`, { cause: this.#failure });
  }
}

/** How records become text for stdout. */
export interface RecordFormatter {
  (records: readonly ConveYourRecord[]): string;
}

/** NDJSON (one record per line) or, with `pretty`, 4-space indented JSON per record. */
export function ndjsonFormatter(options: Pick<OutputOptions, 'pretty' | 'fields'>): RecordFormatter {
  const project = projectRecord(options.fields);
  const indent = options.pretty ? 4 : undefined;
  return (records) => {
    let text = '';
    for (const record of records) text += `${JSON.stringify(project(record), null, indent)}\n`;
    return text;
  };
}
