/** `npm run status` and the live table of `npm start` show the server clock the watermark is in. */
import { describe, expect, it } from 'vitest';
import { emptyCheckpoint, type Checkpoint } from '../../functions/pipeline/checkpoint.js';
import { renderDetail, renderStatus } from '../../infra/local/statusView.js';

const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
const NOW = NOW_MS / 1000;

function checkpoint(collection: string, overrides: Partial<Checkpoint>): Checkpoint {
  return { ...emptyCheckpoint({ source: 'acme', collection }), watermark: NOW - 100, ...overrides };
}

describe('status: the server clock', () => {
  const behind = checkpoint('events', { serverClock: { offsetSeconds: -90, observedAtMs: NOW_MS - 5_000 } });
  const ahead = checkpoint('contacts', { watermark: NOW + 140, serverClock: { offsetSeconds: 150, observedAtMs: NOW_MS } });
  const noDate = checkpoint('tags', { serverClock: { offsetSeconds: 4, observedAtMs: NOW_MS - 600_000, missingDateSinceMs: NOW_MS - 60_000 } });
  const unmeasured = checkpoint('lessons', {});

  it('has a server clock column with the offset, a missing Date, or nothing measured', () => {
    const lines = renderStatus([behind, ahead, noDate, unmeasured], NOW_MS).split('\n');

    expect(lines[0]).toMatch(/collection\s+records\s+files\s+lag\s+in flight\s+server clock\s+last error/);
    const row = (collection: string) => lines.find((line) => line.startsWith(`acme/${collection} `))!.split(/\s{2,}/);
    expect(row('events')).toEqual(['acme/events', '0', '0', '10s', '-', '-90s']);
    expect(row('contacts')).toEqual(['acme/contacts', '0', '0', '10s', '-', '+150s']);
    expect(row('tags')).toEqual(['acme/tags', '0', '0', '104s', '-', 'no Date']);
    expect(row('lessons')).toEqual(['acme/lessons', '0', '0', '100s', '-', '-']);
  });

  it('says in the detail which clock the watermark is in, and since when the Date is missing', () => {
    const detail = renderDetail([behind, noDate], NOW_MS);

    expect(detail).toContain('server      clock -90 s from ours (measured 2026-01-15T11:59:55Z); the watermark is in its time');
    expect(detail).toContain('server      no usable HTTP Date since 2026-01-15T11:59:00Z: windows end on our clock +4 s');
    expect(detail).toContain('(lag 10s)');
  });
});
