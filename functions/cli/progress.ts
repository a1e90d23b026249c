/**
 * A one-line progress report on stderr (records, pages, records/s) for a person watching a
 * terminal. Redrawn in place at most every `minRedrawMs`; nothing at all when stderr is not
 * a TTY, so logs and pipes stay clean. Log lines go through it so they never tear the line.
 */
export interface ProgressTarget {
  write(text: string): unknown;
}

export interface ProgressOptions {
  target: ProgressTarget;
  /** Draw the line at all: `process.stderr.isTTY`. */
  isTTY: boolean;
  clock?: () => number;
  minRedrawMs?: number;
  /** What one `page()` call counts: 'pages', or 'contacts' for lesson_transcripts. */
  unit?: string;
}

const CLEAR_LINE = '\r\x1b[2K';

export class Progress {
  private records = 0;
  private pages = 0;
  private readonly startedAt: number;
  private lastDrawAt = Number.NEGATIVE_INFINITY;
  private visible = false;
  private note = '';
  private readonly clock: () => number;
  private readonly minRedrawMs: number;

  constructor(private readonly options: ProgressOptions) {
    this.clock = options.clock ?? Date.now;
    this.minRedrawMs = options.minRedrawMs ?? 250;
    this.startedAt = this.clock();
  }

  /** Counts one page (or contact) of `records` records; redraws if the last draw is old enough. */
  page(records: number): void {
    this.records += records;
    this.pages += 1;
    this.note = '';
    this.maybeDraw();
  }

  /** A short state shown after the counts, e.g. "next poll at 12:00:05". */
  status(note: string): void {
    this.note = note;
    this.draw();
  }

  /** A whole line of text (a warning, a debug line) on stderr, above the progress line. */
  log(line: string): void {
    if (this.visible) this.options.target.write(CLEAR_LINE);
    this.options.target.write(`${line}\n`);
    if (this.visible) this.draw();
  }

  /** Draws the final counts and leaves them on their own line. */
  finish(): void {
    if (!this.options.isTTY) return;
    this.note = '';
    this.draw();
    this.options.target.write('\n');
    this.visible = false;
  }

  /** The line as it would be drawn now. */
  render(): string {
    const seconds = Math.max((this.clock() - this.startedAt) / 1000, 0.001);
    const rate = Math.round(this.records / seconds);
    const text = `${count(this.records)} records, ${count(this.pages)} ${this.options.unit ?? 'pages'}, ${count(rate)} records/s`;
    return this.note === '' ? text : `${text} (${this.note})`;
  }

  private maybeDraw(): void {
    if (this.clock() - this.lastDrawAt >= this.minRedrawMs) this.draw();
  }

  private draw(): void {
    if (!this.options.isTTY) return;
    this.lastDrawAt = this.clock();
    this.options.target.write(`${CLEAR_LINE}${this.render()}`);
    this.visible = true;
  }
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}
