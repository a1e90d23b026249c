/**
 * Windows on the server's clock (issue 13 §1). ConveYour stamps updated_at with its own clock.
 * Found with these fakes: when the window ended at the function's clock, a record created 10 s
 * after a tick by a server 90 s behind never landed, in ten further ticks: the watermark sat
 * 90 s ahead of the server's stamps and the next window, starting 60 s (the overlap) before it,
 * began after them. The window now ends at the server's Date minus the settle margin.
 */
import { describe, expect, it } from 'vitest';
import type { ConveYourRecord } from '../../functions/conveyour/types.js';
import { runCollection } from '../../functions/pipeline/runCollection.js';
import type { Log } from '../../functions/pipeline/ports.js';
import { assertMonotonic, fixture } from '../support/pipelineFixture.js';

const key = { source: 'acme', collection: 'events' };
const SETTLE = 10;

/** A server whose clock is ours plus `offsetSeconds`, stamping each record it creates with that clock. */
function world(offsetSeconds: number, options: { dates?: () => boolean } = {}) {
  const records: ConveYourRecord[] = [];
  const server = { offsetSeconds };
  const f = fixture({
    records: () => records,
    policy: { settleSeconds: SETTLE },
    source: { serverNow: () => (options.dates?.() === false ? undefined! : serverNow()) },
  });
  const serverNow = () => Math.floor(f.time.ms / 1000) + server.offsetSeconds;
  let created = 0;
  return {
    ...f,
    server,
    serverNow,
    create(id = `v${++created}`) {
      const at = serverNow();
      records.push({ _id: id, created_at: at, updated_at: at });
      return id;
    },
    created: () => records.map((record) => record._id),
    landed: () => new Set(f.sink.records().map((record) => record._id)),
  };
}

describe('tail windows on the server clock', () => {
  it('lands a record created 10 s after a tick by a server 90 s behind, within ten further ticks', async () => {
    // Prepare: the collection is tailing; the server's clock is 90 s behind ours.
    const w = world(-90);
    await runCollection(key, 'tick', w.deps());
    w.time.advance(10_000);
    w.create('late');

    // Act: ten ticks, a minute apart.
    for (let tick = 0; tick < 10; tick++) {
      w.time.advance(tick === 0 ? 50_000 : 60_000);
      await runCollection(key, 'tick', w.deps());
    }

    // Assess
    expect(w.landed()).toContain('late');
    assertMonotonic(w.store);
  });

  it.each([
    ['150 s behind', -150],
    ['150 s ahead', 150],
    ['in step', 0],
  ])('loses nothing with the server clock %s, and keeps the watermark in server time', async (_, offset) => {
    const w = world(offset);
    const watermarks: number[] = [];
    // Twenty minutes of writes every 7 s, a tick every minute; then three quiet ticks.
    for (let second = 0; second < 23 * 60; second += 1) {
      if (second < 20 * 60 && second % 7 === 3) w.create();
      if (second % 60 === 0) {
        const run = await runCollection(key, 'tick', w.deps());
        expect(run.status).not.toBe('failed');
        const cp = await w.store.load(key);
        // Everything before the watermark has landed, so it never runs ahead of the server's settled time.
        expect(cp!.watermark!).toBeLessThanOrEqual(w.serverNow() - SETTLE);
        watermarks.push(cp!.watermark!);
      }
      w.time.advance(1_000);
    }

    expect(w.created().filter((id) => !w.landed().has(id))).toEqual([]);
    expect(watermarks).toEqual([...watermarks].sort((a, b) => a - b));
    assertMonotonic(w.store);
    const cp = await w.store.load(key);
    expect(Math.abs(cp!.serverClock!.offsetSeconds - offset)).toBeLessThanOrEqual(1);
  });

  it('asks for windows ending at the server time once it knows the offset', async () => {
    const w = world(150);
    await runCollection(key, 'tick', w.deps());
    w.time.advance(60_000);
    w.create();

    await runCollection(key, 'tick', w.deps());

    const last = w.source.requests.at(-1)!;
    expect(Math.abs(last.window.end - w.serverNow())).toBeLessThanOrEqual(1);
  });

  it('never moves the watermark back when the server clock steps back', async () => {
    const w = world(150);
    w.create();
    await runCollection(key, 'tick', w.deps());
    const before = (await w.store.load(key))!.watermark!;
    w.server.offsetSeconds = 0;
    w.time.advance(60_000);
    w.create();

    await runCollection(key, 'tick', w.deps());

    expect((await w.store.load(key))!.watermark).toBeGreaterThanOrEqual(before);
    assertMonotonic(w.store);
  });

  it('goes on without a Date header on the last known offset, says so, and loses nothing', async () => {
    let dates = true;
    const w = world(-90, { dates: () => dates });
    const warnings: string[] = [];
    const log: Log = { debug() {}, info() {}, warn: (message) => warnings.push(message), error() {} };
    await runCollection(key, 'tick', w.deps());
    dates = false;

    for (let tick = 0; tick < 5; tick++) {
      w.time.advance(30_000);
      w.create();
      w.time.advance(30_000);
      await runCollection(key, 'tick', { ...w.deps(), log });
    }
    // Writes stop; two more ticks let the last ones settle.
    for (let tick = 0; tick < 2; tick++) {
      w.time.advance(60_000);
      await runCollection(key, 'tick', { ...w.deps(), log });
    }

    expect(w.created().filter((id) => !w.landed().has(id))).toEqual([]);
    expect(warnings.filter((message) => message.includes('no usable HTTP Date'))).toHaveLength(7);
    const cp = await w.store.load(key);
    // The offset measured before the Date went missing (to within the Date's one-second resolution).
    expect(Math.abs(cp!.serverClock!.offsetSeconds + 90)).toBeLessThanOrEqual(1);
    expect(cp!.serverClock!.missingDateSinceMs).toBeGreaterThan(0);
    expect(cp!.watermark!).toBeLessThanOrEqual(w.serverNow() - SETTLE);
  });

  it.each([
    ['with versions in the overlap', true],
    ['idle', false],
  ])('several ticks inside one second (%s) read each window once and never move the watermark back', async (_, busy) => {
    // Prepare: the server 90 s behind; when busy, a version in the overlap and three inside the settle margin.
    const w = world(-90);
    w.time.ms = 1_700_000_000_000; // the start of a second: the ticks below stay inside it
    w.time.advance(-60_000);
    if (busy) w.create('in-overlap');
    w.time.advance(55_000);
    if (busy) for (let i = 0; i < 3; i++) w.create();
    w.time.advance(5_000);
    const first = await runCollection(key, 'tick', w.deps());
    const second = w.serverNow();
    const reported = [first.watermark!];
    const landedPerTick: number[] = [];

    // Act: four more ticks in the same second, 200 ms apart.
    for (let tick = 0; tick < 4; tick++) {
      w.time.advance(200);
      const before = w.sink.records().length;
      const run = await runCollection(key, 'tick', w.deps());
      expect(run.status).not.toBe('failed');
      reported.push(run.watermark!);
      landedPerTick.push(w.sink.records().length - before);
    }

    // Assess: still the same server second; the watermark stays at its settled end, reported and stored alike.
    expect(w.serverNow()).toBe(second);
    expect(reported).toEqual(reported.map(() => second - SETTLE));
    assertMonotonic(w.store);
    expect((await w.store.load(key))!.watermark).toBe(second - SETTLE);
    // Each tick read its window [watermark - overlap, server now) once: the four versions in it
    // (the overlap's, and those read but not claimed inside the margin), no split half or restart read twice.
    const perTick = busy ? 4 : 0;
    expect(landedPerTick).toEqual([perTick, perTick, perTick, perTick]);
    expect(w.sink.rewrites).toEqual([]);
    // Once the margin has passed, the next tick claims the second's versions and moves on.
    w.time.advance(SETTLE * 1000 + 1000);
    const later = await runCollection(key, 'tick', w.deps());
    expect(later.watermark!).toBeGreaterThan(second - SETTLE);
    expect(w.created().filter((id) => !w.landed().has(id))).toEqual([]);
    assertMonotonic(w.store);
  });
});
