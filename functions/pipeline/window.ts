/** What a window reader reports back to the run loop. */
import type { Checkpoint } from './checkpoint.js';

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

/** Adds what one flush landed to the run's totals. */
export function addLanded(totals: Totals, landed: { records: number; pages: number; files: number; bytes: number }): void {
  totals.records += landed.records;
  totals.pages += landed.pages;
  totals.files += landed.files;
  totals.bytes += landed.bytes;
}
