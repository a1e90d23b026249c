import { describe, expect, it } from 'vitest';
import { matchWindow } from '../../infra/local/simulator/queryEngine.js';
import { CollectionStore } from '../../infra/local/simulator/store.js';

/** records: [created, ...update times] */
function storeOf(records: number[][]): CollectionStore {
  const store = new CollectionStore('test', true);
  for (const [created, ...updates] of records) {
    const index = store.addRecord(created!);
    for (const time of updates) store.addVersion(index, time);
  }
  return store;
}

const described = (store: CollectionStore, versions: Uint32Array): string[] =>
  Array.from(versions, (v) => `${store.versionRecord[v]}@${store.versionTime[v]}`);

describe('simulator query engine', () => {
  it('matches records created or updated in [start, end), in their state at the snapshot', () => {
    const store = storeOf([[100], [110, 300], [120, 150], [400]]);
    // Record 1 was created in the window but is returned as its state at 350: updated at 300.
    expect(described(store, matchWindow(store, { start: 105, end: 200 }, 350))).toEqual(['2@150', '1@300']);
  });

  it('ignores versions and records that appear after the snapshot', () => {
    const store = storeOf([[100, 200], [250]]);
    expect(described(store, matchWindow(store, { start: 0, end: 1000 }, 150))).toEqual(['0@100']);
  });

  it('orders by updated_at, then index (_id)', () => {
    const store = storeOf([[100, 500], [101], [102, 400], [103]]);
    expect(described(store, matchWindow(store, { start: 0, end: 1000 }, 1000))).toEqual(['1@101', '3@103', '2@400', '0@500']);
  });

  it('returns nothing for an empty or inverted window', () => {
    const store = storeOf([[100]]);
    expect(matchWindow(store, { start: 200, end: 100 }, 1000)).toHaveLength(0);
  });
});
