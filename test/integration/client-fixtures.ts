/** Shared set-up of the client's integration tests: a small, fixed-clock simulator and fast clients. */
import type { ClientOptions, RequestEvent } from '../../functions/conveyour/client.js';
import { ConveYourClient } from '../../functions/conveyour/client.js';
import type { ConveYourRecord, QueryWindow } from '../../functions/conveyour/types.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../infra/local/simulator/index.js';

/** The simulator's clock stands still, so queries never expire unless a test moves it. */
export const NOW_MS = Date.parse('2024-05-01T12:00:00Z');
export const NOW = Math.floor(NOW_MS / 1000);
export const WINDOW: QueryWindow = { start: NOW - 3 * 86_400, end: NOW };

export function smallSimulator(overrides: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({
    seed: 11,
    now: () => NOW_MS,
    pageSize: 10,
    history: { days: 2, counts: { tags: 5, campaigns: 5, contacts: 40, lessons: 10, triggers: 10, events: 80, message_reports: 5, trigger_logs: 5 } },
    ...overrides,
  });
}

/** A client with millisecond backoff; its events are collected in `events`. */
export function testClient(sim: Simulator, overrides: Partial<ClientOptions> = {}): { client: ConveYourClient; events: RequestEvent[] } {
  const events: RequestEvent[] = [];
  const client = new ConveYourClient({
    baseUrl: sim.url,
    credentials: sim.credentials,
    keepAliveTimeoutMs: 100,
    requestTimeoutMs: 2_000,
    retry: { maxAttempts: 6, baseDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 20_000 },
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return { client, events };
}

/** A version as downstream identifies it. */
export const versionKey = (record: Pick<ConveYourRecord, '_id' | 'updated_at'>): string => `${record._id}@${String(record.updated_at)}`;

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
