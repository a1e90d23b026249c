import { describe, expect, it } from 'vitest';
import { COLLECTIONS } from '../../functions/conveyour/collections.js';
import { Dataset } from '../../infra/local/simulator/dataset.js';
import { LiveGenerator } from '../../infra/local/simulator/live.js';
import { resolveOptions } from '../../infra/local/simulator/options.js';
import { createTruth } from '../../infra/local/simulator/truth.js';

const START = Date.parse('2025-02-01T00:00:00Z') / 1000;

function live(): { data: Dataset; generator: LiveGenerator } {
  const options = resolveOptions({
    seed: 4,
    history: { days: 1, counts: { tags: 5, campaigns: 5, contacts: 50, lessons: 5, triggers: 5, events: 100, message_reports: 20, trigger_logs: 10 } },
    live: { updatesPerMinute: { contacts: 20, message_reports: 10 }, createsPerMinute: { contacts: 3 } },
  });
  const data = new Dataset(options, START);
  return { data, generator: new LiveGenerator(data, options) };
}

function snapshot(data: Dataset): string {
  const truth = createTruth(data);
  return COLLECTIONS.map((c) => JSON.stringify(truth.versions({ collection: c }))).join('\n');
}

describe('simulator live mode', () => {
  it('generates the same data whether the clock moves in one step or in many', () => {
    // Prepare
    const oneStep = live();
    const manySteps = live();
    // Act
    oneStep.generator.advance(START + 3600);
    for (let t = START + 7; t <= START + 3600; t += 37) manySteps.generator.advance(t);
    manySteps.generator.advance(START + 3600);
    // Assess
    expect(snapshot(manySteps.data)).toBe(snapshot(oneStep.data));
    const lastEvent = oneStep.data.stores.events.versionCount - 1;
    expect(manySteps.data.recordJson('events', lastEvent)).toBe(oneStep.data.recordJson('events', lastEvent));
  });

  it('adds nothing at the start second, then creates and updates as time passes', () => {
    const { data, generator } = live();
    const before = snapshot(data);
    expect(generator.advance(START)).toBe(0);
    expect(snapshot(data)).toBe(before);
    expect(generator.advance(START + 600)).toBeGreaterThan(100);
  });

  it('never gives a record two versions closer than the minimum gap', () => {
    const { data, generator } = live();
    generator.advance(START + 2 * 3600);
    const truth = createTruth(data);
    const byId = new Map<string, number[]>();
    for (const v of truth.versions({ collection: 'contacts' })) byId.set(v._id, [...(byId.get(v._id) ?? []), v.updated_at]);
    const liveUpdated = [...byId.values()].filter((times) => times.length > 1 && times.at(-1)! > START);
    expect(liveUpdated.length).toBeGreaterThan(100);
    for (const times of liveUpdated) for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(180);
  });

  it('gives new contacts transcripts created with them', () => {
    const { data, generator } = live();
    generator.advance(START + 3600);
    const contacts = data.stores.contacts;
    const fresh = Array.from({ length: contacts.count - contacts.historicalCount }, (_, i) => contacts.historicalCount + i);
    const withTranscripts = fresh.filter((c) => data.transcriptsOf(c).count > 0);
    expect(withTranscripts.length).toBeGreaterThan(10);
    for (const contact of withTranscripts) {
      const { first } = data.transcriptsOf(contact);
      expect(data.stores.lesson_transcripts.created[first]).toBe(contacts.created[contact]);
      expect(data.stores.lesson_transcripts.owner[first]).toBe(contact);
    }
  });
});

describe('anchored simulator', () => {
  it('is the same ConveYour after a restart with the same seed and anchor', async () => {
    const { startSimulator } = await import('../../infra/local/simulator/index.js');
    const anchorMs = Date.UTC(2026, 0, 1, 0, 0, 0);
    const history = { days: 2, counts: { contacts: 30, events: 200 } };
    const live = { intervalMs: 0, createsPerMinute: { events: 20 }, updatesPerMinute: { events: 20 } };
    const running = await startSimulator({ seed: 4, anchorMs, now: () => anchorMs, history, live });
    running.advanceLive(anchorMs + 600_000);
    const restarted = await startSimulator({ seed: 4, anchorMs, now: () => anchorMs + 600_000, history, live });
    try {
      const before = running.truth.versions({ collection: 'events' });
      expect(before.length).toBeGreaterThan(200);
      expect(restarted.truth.versions({ collection: 'events' })).toEqual(before);
    } finally {
      await running.close();
      await restarted.close();
    }
  });

  it('rejects an anchor in the future, naming it', async () => {
    const { startSimulator } = await import('../../infra/local/simulator/index.js');
    await expect(startSimulator({ anchorMs: Date.now() + 60_000 })).rejects.toThrow(/anchorMs must be an epoch-milliseconds time not after the server's now/);
  });
});
