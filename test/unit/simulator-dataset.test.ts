import { describe, expect, it } from 'vitest';
import type { CollectionName } from '../../functions/conveyour/collections.js';
import { Dataset } from '../../infra/local/simulator/dataset.js';
import { resolveOptions, type SimulatorOptions } from '../../infra/local/simulator/options.js';
import { createTruth } from '../../infra/local/simulator/truth.js';

const START = Date.parse('2025-02-01T00:00:00Z') / 1000;
const COUNTS = { tags: 20, campaigns: 15, contacts: 300, lessons: 30, triggers: 20, events: 1500, message_reports: 200, trigger_logs: 100 };

function dataset(options: SimulatorOptions = {}): Dataset {
  return new Dataset(resolveOptions({ seed: 8, history: { days: 10, counts: COUNTS }, ...options }), START);
}

/** Every version of every record, as served. */
function allRecords(data: Dataset, collection: CollectionName): Array<Record<string, any>> {
  const store = data.stores[collection];
  return Array.from({ length: store.versionCount }, (_, v) => data.materialise(collection, v));
}

describe('simulator dataset', () => {
  const data = dataset();
  const truth = createTruth(data);

  it('creates the configured number of records within the history window', () => {
    for (const [collection, count] of Object.entries(COUNTS)) {
      const store = data.stores[collection as CollectionName];
      expect(store.count).toBe(count);
      expect(Math.min(...store.created.subarray(0, store.count))).toBeGreaterThanOrEqual(START - 10 * 86_400);
      expect(Math.max(...store.versionTime.subarray(0, store.versionCount))).toBeLessThan(START);
    }
  });

  it('gives some records several versions, never two closer than the minimum gap', () => {
    const byId = new Map<string, number[]>();
    for (const v of truth.versions({ collection: 'contacts' })) byId.set(v._id, [...(byId.get(v._id) ?? []), v.updated_at]);
    const updated = [...byId.values()].filter((times) => times.length > 1);
    expect(updated.length).toBeGreaterThan(50);
    for (const times of updated) for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(180);
  });

  it('serves updated_at >= created_at and ids that are unique 24-hex', () => {
    for (const collection of ['contacts', 'events', 'lesson_transcripts'] as const) {
      const ids = new Set<string>();
      for (let index = 0; index < data.stores[collection].count; index++) ids.add(data.idOf(collection, index));
      expect(ids.size).toBe(data.stores[collection].count);
      for (const record of allRecords(data, collection)) {
        expect(record._id).toMatch(/^[0-9a-f]{24}$/);
        expect(record.updated_at).toBeGreaterThanOrEqual(record.created_at);
      }
    }
  });

  it('orders _id like the record index (what makes the sort cheap)', () => {
    const ids = Array.from({ length: data.stores.events.count }, (_, i) => data.idOf('events', i));
    expect([...ids].sort()).toEqual(ids);
  });

  it('references contacts and campaigns that existed before the event', () => {
    for (const event of allRecords(data, 'events')) {
      const contact = data.contactIndexOf(event.con_id);
      const campaign = data.indexOf('campaigns', event.campaign_id);
      expect(contact).toBeGreaterThanOrEqual(0);
      expect(campaign).toBeGreaterThanOrEqual(0);
      expect(data.stores.contacts.created[contact]).toBeLessThan(event.created_at);
      expect(data.stores.campaigns.created[campaign]).toBeLessThan(event.created_at);
    }
  });

  it("embeds each transcript's owning contact id", () => {
    for (const transcript of allRecords(data, 'lesson_transcripts')) expect(data.contactIndexOf(transcript.con_id)).toBeGreaterThanOrEqual(0);
  });

  it('uses non-ASCII names', () => {
    const names = allRecords(data, 'contacts').map((c) => `${c.d.first_name} ${c.d.last_name}`).join(' ');
    expect(names).toMatch(/[^\x00-\x7f]/);
    expect(names).toMatch(/José|Zoë|Łukasz|山田|Ørsted/);
  });

  it('gives nested lesson items and message statuses of the documented kinds', () => {
    const lessons = allRecords(data, 'lessons');
    expect(lessons.every((l) => Array.isArray(l.d.items) && l.d.items.every((item: { type: string; title: string }) => item.type && item.title))).toBe(true);
    const statuses = new Set(allRecords(data, 'message_reports').map((m) => m.status));
    expect([...statuses].sort()).toEqual(['bounced', 'delivered', 'send']);
  });

  it('rebuilds the same bytes for the same seed and different ones for another', () => {
    const again = dataset();
    const other = dataset({ seed: 9 });
    expect(again.recordJson('contacts', 5)).toBe(data.recordJson('contacts', 5));
    expect(other.recordJson('contacts', 5)).not.toBe(data.recordJson('contacts', 5));
  });

  it('pads records to about recordBytes', () => {
    const padded = dataset({ recordBytes: 2048 });
    for (let v = 0; v < 20; v++) expect(Buffer.byteLength(padded.recordJson('events', v))).toBeGreaterThanOrEqual(2048 - 10);
    expect(Buffer.byteLength(padded.recordJson('events', 0))).toBeLessThan(2048 + 64);
  });
});
