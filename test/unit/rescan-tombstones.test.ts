/**
 * The tombstone rule (functions/rescan/tombstones.ts): only a complete rescan emits, never for
 * an id the rescan returned or the tail saw, never twice for the same version. The property
 * tests draw thousands of seeded worlds and check the rules that keep live data alive.
 */
import { describe, expect, it } from 'vitest';
import { RescanInputError } from '../../functions/rescan/errors.js';
import { decideTombstones, type LandedId, type RescanCompleteness, type TombstoneInput } from '../../functions/rescan/tombstones.js';
import { Rng } from '../../infra/local/simulator/prng.js';

const COVERAGE = { start: 1_600_000_000, end: 1_700_000_000 };
const FOUND_GONE_AT = 1_700_000_500;
const COMPLETE: RescanCompleteness = { windowsPlanned: 12, windowsLanded: 12, windowsCut: 0, failures: 0 };

function input(overrides: Partial<Omit<TombstoneInput, 'known'>> & { known: Record<string, LandedId | number> }): TombstoneInput {
  const { known, ...rest } = overrides;
  return {
    collection: 'events',
    coverage: COVERAGE,
    returned: new Set(),
    tailSeen: new Set(),
    tombstoned: new Map(),
    completeness: COMPLETE,
    foundGoneAt: FOUND_GONE_AT,
    maxShare: 1,
    ...rest,
    known: new Map(Object.entries(known).map(([id, value]) => [id, typeof value === 'number' ? { lastUpdatedAt: value } : value])),
  };
}

const ids = (decision: ReturnType<typeof decideTombstones>) => decision.tombstones.map((tombstone) => tombstone._id);

describe('decideTombstones', () => {
  it('tombstones a known id the complete rescan no longer returns, with when it was found gone and its last version', () => {
    const decision = decideTombstones(input({ known: { a: 1_650_000_000, b: 1_650_000_100 }, returned: new Set(['a']) }));

    expect(decision).toEqual({ kind: 'tombstones', candidates: 2, tombstones: [{ collection: 'events', _id: 'b', deleted_at: FOUND_GONE_AT, last_updated_at: 1_650_000_100 }] });
  });

  it.each<[string, Partial<RescanCompleteness>]>([
    ['a window not landed', { windowsLanded: 11 }],
    ['a window cut by the cap', { windowsCut: 1 }],
    ['a failure', { failures: 1 }],
    ['no windows at all', { windowsPlanned: 0, windowsLanded: 0 }],
  ])('emits no tombstone at all from a rescan with %s', (_, broken) => {
    const decision = decideTombstones(input({ known: { a: 1_650_000_000, b: 1_650_000_100 }, completeness: { ...COMPLETE, ...broken } }));

    expect(decision.kind).toBe('withheld');
    expect(decision.tombstones).toEqual([]);
    if (decision.kind === 'withheld') expect(decision.reason).toMatch(/^the rescan is not complete: /);
  });

  it('does not tombstone an id the tail saw created or updated while the rescan ran', () => {
    const decision = decideTombstones(input({ known: { updated: 1_650_000_000, created: 1_699_999_990, gone: 1_650_000_000 }, tailSeen: new Set(['updated', 'created']) }));

    expect(ids(decision)).toEqual(['gone']);
  });

  it('does not tombstone an id whose newest version lies outside the range the rescan read', () => {
    const decision = decideTombstones(input({ known: { before: COVERAGE.start - 1, atStart: COVERAGE.start, lastSecond: COVERAGE.end - 1, atEnd: COVERAGE.end } }));

    expect(ids(decision)).toEqual(['atStart', 'lastSecond']);
  });

  it('does not tombstone an id twice for the same version, and does again once a newer version landed and went', () => {
    const decision = decideTombstones(
      input({
        known: { stillGone: 1_650_000_000, revivedThenGone: 1_660_000_000 },
        tombstoned: new Map([
          ['stillGone', 1_650_000_000],
          ['revivedThenGone', 1_650_000_000],
        ]),
      }),
    );

    expect(decision.tombstones).toEqual([{ collection: 'events', _id: 'revivedThenGone', deleted_at: FOUND_GONE_AT, last_updated_at: 1_660_000_000 }]);
  });

  it('withholds every tombstone when more than maxShare of the candidates would go at once', () => {
    const known = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`e${i}`, 1_650_000_000 + i]));
    const returned = new Set(['e0', 'e1', 'e2', 'e3']);

    const tooMany = decideTombstones(input({ known, returned, maxShare: 0.5 }));
    const allowed = decideTombstones(input({ known, returned, maxShare: 0.6 }));

    expect(tooMany).toEqual({ kind: 'withheld', reason: '6 of 10 ids would be deleted at once, more than the 0.5 share allowed (maxShare)', tombstones: [], candidates: 10 });
    expect(allowed.tombstones).toHaveLength(6);
  });

  it('withholds by default when the API returned nothing for an account the landing zone holds', () => {
    const decision = decideTombstones({ ...input({ known: { a: 1_650_000_000, b: 1_650_000_001 } }), maxShare: undefined });

    expect(decision.kind).toBe('withheld');
  });

  it('tombstones a transcript only when its contact’s transcripts were read, whatever the transcript’s own stamp', () => {
    const decision = decideTombstones(
      input({
        collection: 'lesson_transcripts',
        known: {
          oldOfReadContact: { lastUpdatedAt: COVERAGE.start - 100, parentId: 'c1' },
          ofUnreadContact: { lastUpdatedAt: 1_650_000_000, parentId: 'c2' },
          noContact: { lastUpdatedAt: 1_650_000_000 },
          afterTheRange: { lastUpdatedAt: COVERAGE.end, parentId: 'c1' },
        },
        parentsRead: new Set(['c1']),
      }),
    );

    expect(ids(decision)).toEqual(['oldOfReadContact']);
  });

  it('withholds lesson_transcripts tombstones when the rescan does not say whose transcripts it read', () => {
    const decision = decideTombstones(input({ collection: 'lesson_transcripts', known: { t: { lastUpdatedAt: 1_650_000_000, parentId: 'c1' } } }));

    expect(decision).toMatchObject({ kind: 'withheld', reason: expect.stringMatching(/parentsRead/) });
  });

  it('lists tombstones in _id order, so the same inputs write the same file', () => {
    const decision = decideTombstones(input({ known: { c: 1_650_000_000, a: 1_650_000_000, b: 1_650_000_000 } }));

    expect(ids(decision)).toEqual(['a', 'b', 'c']);
  });

  it.each<[string, Partial<TombstoneInput>, RegExp]>([
    ['an inverted coverage', { coverage: { start: 10, end: 10 } }, /^coverage must be \[start, end\) with start < end, got \[10, 10\)$/],
    ['a fractional foundGoneAt', { foundGoneAt: 1.5 }, /^foundGoneAt must be unix seconds \(a whole number >= 0\), got 1\.5$/],
    ['a negative count', { completeness: { ...COMPLETE, failures: -1 } }, /^completeness\.failures must be a count/],
    ['more landed than planned', { completeness: { ...COMPLETE, windowsLanded: 13 } }, /windowsLanded \(13\) cannot exceed windowsPlanned \(12\)/],
    ['a share over 1', { maxShare: 2 }, /^maxShare must be a share in \(0, 1\], got 2$/],
    ['an empty collection', { collection: '' }, /^collection must be a collection name/],
  ])('refuses %s with a message naming the input', (_, broken, message) => {
    expect(() => decideTombstones({ ...input({ known: {} }), ...broken })).toThrow(RescanInputError);
    expect(() => decideTombstones({ ...input({ known: {} }), ...broken })).toThrow(message);
  });

  it('refuses a known id without a numeric lastUpdatedAt', () => {
    expect(() => decideTombstones(input({ known: { x: { lastUpdatedAt: Number.NaN } } }))).toThrow("known 'x': lastUpdatedAt must be unix seconds, got NaN");
  });
});

/** A seeded world: a landing zone, a rescan that returns some of it, a tail that saw some, earlier tombstones. */
function world(seed: number): TombstoneInput {
  const rng = new Rng(seed);
  const known: Record<string, LandedId> = {};
  const returned = new Set<string>();
  const tailSeen = new Set<string>();
  const tombstoned = new Map<string, number>();
  const count = rng.between(0, 60);
  for (let i = 0; i < count; i++) {
    const id = `r${rng.int(80)}`;
    // Mostly inside the range, some before it, some landed by the tail after its end.
    const lastUpdatedAt = rng.chance(0.8) ? rng.between(COVERAGE.start, COVERAGE.end - 1) : rng.chance(0.5) ? COVERAGE.start - rng.between(1, 1000) : COVERAGE.end + rng.between(0, 1000);
    known[id] = { lastUpdatedAt };
    if (rng.chance(0.6)) returned.add(id);
    if (rng.chance(0.15)) tailSeen.add(id);
    if (rng.chance(0.2)) tombstoned.set(id, lastUpdatedAt - rng.between(-5, 5));
  }
  // The rescan and the tail also see ids the landing zone does not hold yet.
  for (let i = 0; i < rng.int(5); i++) returned.add(`new${i}`);
  for (let i = 0; i < rng.int(5); i++) tailSeen.add(`tail${i}`);
  const completeness = rng.chance(0.7) ? COMPLETE : { windowsPlanned: 12, windowsLanded: rng.between(0, 12), windowsCut: rng.int(2), failures: rng.int(2) };
  return input({ known, returned, tailSeen, tombstoned, completeness, maxShare: rng.chance(0.5) ? 1 : 0.5 });
}

describe('decideTombstones on 5,000 seeded worlds', () => {
  const worlds = Array.from({ length: 5_000 }, (_, seed) => ({ seed, world: world(seed) }));
  const isComplete = (c: RescanCompleteness) => c.windowsPlanned > 0 && c.windowsLanded === c.windowsPlanned && c.windowsCut === 0 && c.failures === 0;

  it('never tombstones an id the rescan returned or the tail saw', () => {
    for (const { seed, world: w } of worlds) {
      for (const id of ids(decideTombstones(w))) expect(w.returned.has(id) || w.tailSeen.has(id), `seed ${seed}: ${id}`).toBe(false);
    }
  });

  it('emits nothing unless the rescan is complete', () => {
    for (const { seed, world: w } of worlds) {
      if (!isComplete(w.completeness)) expect(decideTombstones(w).tombstones, `seed ${seed}`).toEqual([]);
    }
  });

  it('tombstones only ids the landing zone holds inside the range read, each at most once, never over an equal or newer tombstone', () => {
    for (const { seed, world: w } of worlds) {
      const found = ids(decideTombstones(w));
      expect(new Set(found).size, `seed ${seed}`).toBe(found.length);
      for (const tombstone of decideTombstones(w).tombstones) {
        const landed = w.known.get(tombstone._id);
        expect(landed?.lastUpdatedAt, `seed ${seed}: ${tombstone._id}`).toBe(tombstone.last_updated_at);
        expect(tombstone.last_updated_at >= COVERAGE.start && tombstone.last_updated_at < COVERAGE.end).toBe(true);
        expect((w.tombstoned.get(tombstone._id) ?? -Infinity) < tombstone.last_updated_at).toBe(true);
      }
    }
  });

  it('tombstones every eligible id of a complete rescan (no deletion is silently dropped), or withholds them all', () => {
    let emitted = 0;
    let withheldByShare = 0;
    for (const { seed, world: w } of worlds) {
      if (!isComplete(w.completeness)) continue;
      const decision = decideTombstones(w);
      emitted += decision.tombstones.length;
      if (decision.kind === 'withheld') withheldByShare += 1;
      const eligible = [...w.known]
        .filter(([id, landed]) => landed.lastUpdatedAt >= COVERAGE.start && landed.lastUpdatedAt < COVERAGE.end && !w.returned.has(id) && !w.tailSeen.has(id) && !((w.tombstoned.get(id) ?? -Infinity) >= landed.lastUpdatedAt))
        .map(([id]) => id)
        .sort();
      expect(decision.kind === 'withheld' ? [] : ids(decision), `seed ${seed}`).toEqual(decision.kind === 'withheld' ? [] : eligible);
    }
    // The worlds exercise both outcomes, so the properties above are not vacuous.
    expect(emitted).toBeGreaterThan(1_000);
    expect(withheldByShare).toBeGreaterThan(10);
  });

  it('applied again with its own tombstones, emits none: a re-run of the same rescan adds nothing', () => {
    for (const { seed, world: w } of worlds) {
      const first = decideTombstones(w);
      const tombstoned = new Map(w.tombstoned);
      for (const tombstone of first.tombstones) tombstoned.set(tombstone._id, tombstone.last_updated_at);
      expect(decideTombstones({ ...w, tombstoned }).tombstones, `seed ${seed}`).toEqual([]);
    }
  });
});
