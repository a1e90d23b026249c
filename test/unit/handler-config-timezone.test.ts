import { describe, expect, it } from 'vitest';
import { parseSources } from '../../functions/handlers/config.js';
import { InvalidTimeZoneError } from '../../functions/time/errors.js';

const NOW_MS = 1_700_000_000_000; // Tue 2023-11-14T22:13:20Z, Wed 07:13 in Tokyo
const source = (extra: Record<string, unknown>) => JSON.stringify([{ name: 'acme', domain: 'acme.conveyour.com', ...extra }]);

describe('PIPELINE_SOURCES: timezone next to initialStartTime', () => {
  it('reads the phrase in that zone', () => {
    const [config] = parseSources(source({ initialStartTime: 'yesterday', timezone: 'Asia/Tokyo' }), NOW_MS);
    expect(config!.initialStart).toBe(Date.parse('2023-11-13T15:00:00Z') / 1000);
  });

  it('defaults to UTC', () => {
    expect(parseSources(source({ initialStartTime: 'yesterday' }), NOW_MS)[0]!.initialStart).toBe(Date.parse('2023-11-13T00:00:00Z') / 1000);
  });

  it('rejects an unknown zone, naming the setting', () => {
    expect(() => parseSources(source({ timezone: 'Asia/Atlantis' }), NOW_MS)).toThrow(InvalidTimeZoneError);
    expect(() => parseSources(source({ timezone: 'Asia/Atlantis' }), NOW_MS)).toThrow(/^PIPELINE_SOURCES\[0\]\.timezone 'Asia\/Atlantis' is not an IANA time zone/);
  });
});
