import { describe, expect, it } from 'vitest';
import { resolveOptions, SimulatorOptionsError, type SimulatorOptions } from '../../infra/local/simulator/options.js';

describe('simulator options', () => {
  it('fills the documented defaults', () => {
    const resolved = resolveOptions();
    expect(resolved).toMatchObject({
      seed: 1,
      pageSize: 1000,
      queryCap: 100_000,
      cursorTtlSeconds: 600,
      historyDays: 30,
      minVersionGapSeconds: 180,
      credentials: { appkey: 'sim-appkey', token: 'sim-token' },
      rateLimit: undefined,
      host: '127.0.0.1',
      port: 0,
    });
    expect(resolved.counts).toMatchObject({ contacts: 2000, events: 20_000 });
    expect(resolved.live.enabled).toBe(false);
  });

  it('turns live mode on with defaults for `live: true`', () => {
    expect(resolveOptions({ live: true }).live).toMatchObject({ enabled: true, intervalMs: 1000 });
  });

  it.each<[SimulatorOptions, RegExp]>([
    [{ pageSize: 0 }, /pageSize must be an integer in \[1, 100000\], got 0/],
    [{ history: { counts: { users: 3 } as never } }, /history.counts.users is not a collection/],
    [{ live: { createsPerMinute: { events: -1 } } }, /live.createsPerMinute.events must be a number >= 0/],
    [{ live: { createsPerMinute: { lesson_transcripts: 5 } } }, /transcripts are created with each new contact/],
    [{ host: '0.0.0.0' }, /host must be a loopback address/],
    [{ latencyMs: { min: 5, max: 1 } }, /latencyMs must be/],
    [{ rateLimit: { requestsPerSecond: 0, burst: 1 } }, /rateLimit.requestsPerSecond must be a number > 0/],
    [{ bursts: [{ collection: 'lesson_transcripts' as never, records: 5, atSeconds: -5 }] }, /bursts\[0\].collection must be one of tags, .*got "lesson_transcripts"/],
    [{ bursts: [{ collection: 'events', records: 0, atSeconds: -5 }] }, /bursts\[0\].records must be an integer in \[1, /],
    [{ bursts: [{ collection: 'events', records: 5, atSeconds: 0 }] }, /bursts\[0\].atSeconds must be a non-zero integer/],
    [{ history: { days: 1 }, bursts: [{ collection: 'events', records: 5, atSeconds: -86_401 }] }, /at least -86400, the history's start/],
    [{ bursts: [{ collection: 'events', records: 5, atSeconds: 60 }] }, /bursts\[0\].atSeconds is 60, after the start: only live mode creates records then/],
    [{ live: { lateWrites: { fraction: 1.5, delaySeconds: 10 } } }, /live.lateWrites.fraction must be a number in \[0, 1\], got 1.5/],
    [{ live: { minVersionGapSeconds: 60, lateWrites: { fraction: 0.1, delaySeconds: { min: 30, max: 60 } } } }, /live.lateWrites.delaySeconds must be whole seconds .* < live.minVersionGapSeconds \(60\)/],
    [{ live: { deletionsPerMinute: { lesson_transcripts: 1 } as never } }, /live.deletionsPerMinute.lesson_transcripts is not a windowed collection/],
    [{ live: { deletionsPerMinute: { events: -1 } } }, /live.deletionsPerMinute.events must be a number >= 0/],
    [{ live: { transcriptChangesPerMinute: Number.NaN } }, /live.transcriptChangesPerMinute must be a number >= 0/],
    [{ clockOffsetSeconds: { min: 1, max: 0 } }, /clockOffsetSeconds must be a number of seconds or \{ min, max \} with min <= max/],
  ])('rejects %j naming the option', (options, message) => {
    expect(() => resolveOptions(options)).toThrow(SimulatorOptionsError);
    expect(() => resolveOptions(options)).toThrow(message);
  });

  it('never echoes credentials in its errors', () => {
    expect(() => resolveOptions({ credentials: { appkey: 'secret-appkey', token: '' } })).toThrow(/^credentials.token must be a non-empty string$/);
  });
});
