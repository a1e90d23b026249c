import { describe, expect, it } from 'vitest';
import { Progress } from '../../functions/cli/progress.js';

function target() {
  const writes: string[] = [];
  return { writes, write: (text: string) => writes.push(text) };
}

const CLEAR = '\r\x1b[2K';

describe('progress line', () => {
  it('renders records, pages and records per second', () => {
    let now = 0;
    const progress = new Progress({ target: target(), isTTY: true, clock: () => now });
    progress.page(1000);
    progress.page(500);
    now = 2000;
    expect(progress.render()).toBe('1,500 records, 2 pages, 750 records/s');
  });

  it('redraws in place, at most once per interval', () => {
    // Prepare
    let now = 0;
    const out = target();
    const progress = new Progress({ target: out, isTTY: true, clock: () => now, minRedrawMs: 250 });

    // Act
    progress.page(10);
    now = 100;
    progress.page(10);
    now = 300;
    progress.page(10);

    // Assess
    expect(out.writes).toHaveLength(2);
    expect(out.writes.every((text) => text.startsWith(CLEAR) && !text.includes('\n'))).toBe(true);
    expect(out.writes[1]).toContain('30 records, 3 pages');
  });

  it('writes nothing at all when stderr is not a terminal', () => {
    const out = target();
    const progress = new Progress({ target: out, isTTY: false, clock: () => 0 });
    progress.page(10);
    progress.status('waiting');
    progress.finish();
    expect(out.writes).toEqual([]);
  });

  it('still prints log lines when stderr is not a terminal', () => {
    const out = target();
    new Progress({ target: out, isTTY: false }).log('warning: x');
    expect(out.writes).toEqual(['warning: x\n']);
  });

  it('clears the line before a log line and redraws it after', () => {
    const out = target();
    const progress = new Progress({ target: out, isTTY: true, clock: () => 0 });
    progress.page(5);
    progress.log('[debug] GET');
    expect(out.writes.slice(1)).toEqual([CLEAR, '[debug] GET\n', `${CLEAR}5 records, 1 pages, 5,000 records/s`]);
  });

  it('leaves the final counts on their own line', () => {
    const out = target();
    const progress = new Progress({ target: out, isTTY: true, clock: () => 1000, unit: 'contacts' });
    progress.page(3);
    progress.finish();
    expect(out.writes.slice(-2)).toEqual([`${CLEAR}3 records, 1 contacts, 3,000 records/s`, '\n']);
  });

  it('shows a status note after the counts', () => {
    const out = target();
    const progress = new Progress({ target: out, isTTY: true, clock: () => 1000 });
    progress.status('watching; next poll at 12:00:00Z');
    expect(out.writes.at(-1)).toBe(`${CLEAR}0 records, 0 pages, 0 records/s (watching; next poll at 12:00:00Z)`);
  });
});
