/** Counters of what the simulator did, for tests, benchmarks and the local runtime's status line. */
import { COLLECTIONS, type CollectionName } from '../../../functions/conveyour/collections.js';
import { FAULT_KINDS, type FaultKind } from './faults.js';

export interface SimulatorStats {
  /** Every HTTP request received, whatever its answer. */
  requests: number;
  queriesOpened: number;
  /** Pages answered with 200 (first and next); re-fetches count again. */
  pagesServed: number;
  /** Queries whose snapshot is still held (not expired). */
  openQueries: number;
  rateLimited: number;
  faults: Record<FaultKind, number>;
  faultsTotal: number;
  /** Answers by HTTP status, faults included (a hang or reset has none). */
  responses: Record<string, number>;
  liveVersionsAdded: number;
  records: Record<CollectionName, number>;
  versions: Record<CollectionName, number>;
}

export class StatsRecorder {
  requests = 0;
  queriesOpened = 0;
  pagesServed = 0;
  rateLimited = 0;
  liveVersionsAdded = 0;
  readonly faults = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
  readonly responses: Record<string, number> = {};

  responded(status: number): void {
    this.responses[status] = (this.responses[status] ?? 0) + 1;
  }

  snapshot(extra: Pick<SimulatorStats, 'openQueries' | 'records' | 'versions'>): SimulatorStats {
    return {
      requests: this.requests,
      queriesOpened: this.queriesOpened,
      pagesServed: this.pagesServed,
      rateLimited: this.rateLimited,
      faults: { ...this.faults },
      faultsTotal: Object.values(this.faults).reduce((a, b) => a + b, 0),
      responses: { ...this.responses },
      liveVersionsAdded: this.liveVersionsAdded,
      ...extra,
    };
  }
}

export function emptyPerCollection(): Record<CollectionName, number> {
  return Object.fromEntries(COLLECTIONS.map((c) => [c, 0])) as Record<CollectionName, number>;
}
