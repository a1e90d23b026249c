/**
 * The ConveYour API simulator: an HTTP server on loopback that speaks the
 * collectionStream / contactsLessonTranscripts contract with deterministic, realistic data, optional live changes,
 * rate limits and injected faults, plus a truth view for correctness checks.
 * Used by `npm start`, the tests and the benchmarks. Choices: ./README.md.
 *
 * @example
 * const sim = await startSimulator({ seed: 7, live: { intervalMs: 0 } });
 * // CONVEYOUR_BASE_URL=sim.url, credentials sim.credentials
 * await sim.close();
 */
import type { CollectionName } from '../../../functions/conveyour/collections.js';
import type { Credentials } from '../../../functions/conveyour/types.js';
import { CollectionStreamApi } from './api.js';
import { CursorCodec } from './cursor.js';
import { Dataset } from './dataset.js';
import { FaultPlanner, type FaultConfig } from './faults.js';
import { LiveGenerator } from './live.js';
import { resolveOptions, type SimulatorOptions } from './options.js';
import { Rng, hash32 } from './prng.js';
import { QueryRegistry } from './queries.js';
import { TokenBucket } from './rateLimit.js';
import { SimulatorServer } from './server.js';
import { StatsRecorder, emptyPerCollection, type SimulatorStats } from './stats.js';
import { createTruth, type Truth } from './truth.js';

export type { FaultConfig, FaultKind } from './faults.js';
export { FAULT_KINDS, FaultConfigError } from './faults.js';
export type { HistoryOptions, LiveOptions, SimulatorOptions } from './options.js';
export type { BurstOptions, PlacedBurst } from './bursts.js';
export { SimulatorOptionsError } from './options.js';
export type { SimulatorStats } from './stats.js';
export type { Truth, TruthDeletion, TruthVersion } from './truth.js';
export { API_PATH, REPORT_PATHS, TRANSCRIPTS_PATH } from './api.js';

/** One request as it arrived: method, path, and the query parameters in the order sent (decoded). */
export interface LoggedRequest {
  method: string;
  path: string;
  params: Array<[string, string]>;
}

export interface Simulator {
  /** 'http://127.0.0.1:PORT' */
  url: string;
  port: number;
  /** What it accepts. */
  credentials: Credentials;
  truth: Truth;
  /** The server's clock (epoch ms): the `now` option plus the clock offset. Every time the simulator takes or gives is on it. */
  now(): number;
  /** How far the server's clock runs ahead of the `now` option, in ms (negative: behind); seeded when drawn from a range. */
  clockOffsetMs: number;
  stats(): SimulatorStats;
  /** Replaces the fault plan; a schedule counts requests from this call. undefined = no faults. */
  setFaults(faults: FaultConfig | undefined): void;
  /** Live mode: generates what is due up to the server's now (or `toMs`, on the server's clock); returns versions added (0 when live is off). */
  advanceLive(toMs?: number): number;
  /** With `recordRequests`: every request so far, in arrival order (a copy). Throws without it. */
  requestLog(): LoggedRequest[];
  /** Closes the server and destroys open sockets (hung requests included) at once. */
  close(): Promise<void>;
}

function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

/** Generates the data, then listens; resolves once the URL is usable. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const resolved = resolveOptions(options);
  const { seed, clockOffsetMs } = resolved;
  const hostNow = resolved.now;
  // The server's clock, and the only one read below: the caller's clock is never seen unshifted.
  const now = clockOffsetMs === 0 ? hostNow : (): number => hostNow() + clockOffsetMs;
  const startMs = now();
  const dataset = new Dataset(resolved, Math.floor((resolved.anchorMs ?? startMs) / 1000));
  const stats = new StatsRecorder();
  const live = resolved.live.enabled ? new LiveGenerator(dataset, resolved) : undefined;

  const advanceLive = (toMs?: number): number => {
    if (live === undefined) return 0;
    const added = live.advance(Math.floor((toMs ?? now()) / 1000));
    stats.liveVersionsAdded += added;
    return added;
  };

  // Query ids and cursor keys depend on the start time, so a restarted simulator answers
  // 404 to the previous instance's queries, while a fixed test clock stays reproducible.
  const registry = new QueryRegistry(hex8(hash32(seed, startMs, 0x9e)), resolved.cursorTtlSeconds * 1000);
  const api = new CollectionStreamApi({
    dataset,
    registry,
    codec: new CursorCodec(`conveyour-simulator:${seed}:${startMs}`),
    stats,
    credentials: resolved.credentials,
    pageSize: resolved.pageSize,
    queryCap: resolved.queryCap,
    now,
    catchUpLive: () => void advanceLive(),
  });

  let faults = resolved.faults === undefined ? undefined : new FaultPlanner(resolved.faults);
  const latencyDraws = new Rng(hash32(seed, 0x1a7e));
  const { min, max } = resolved.latencyMs;
  const requests: LoggedRequest[] = [];
  const server = new SimulatorServer({
    ...(resolved.recordRequests ? { onRequest: (method: string, url: URL) => void requests.push({ method, path: url.pathname, params: [...url.searchParams] }) } : {}),
    api,
    stats,
    now,
    faults: () => faults,
    bucket: resolved.rateLimit === undefined ? undefined : new TokenBucket(resolved.rateLimit.requestsPerSecond, resolved.rateLimit.burst, startMs),
    latency: () => (max === 0 ? 0 : min + latencyDraws.next() * (max - min)),
  });
  // An anchor in the past: bring the live changes since then in now, as if it had kept running.
  if (resolved.anchorMs !== undefined) advanceLive();
  const port = await server.listen(resolved.host, resolved.port);
  const timer = live !== undefined && resolved.live.intervalMs > 0 ? setInterval(() => advanceLive(), resolved.live.intervalMs) : undefined;
  timer?.unref();
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;

  return {
    url: `http://${host}:${port}`,
    port,
    credentials: { ...resolved.credentials },
    truth: createTruth(dataset),
    now,
    clockOffsetMs,
    stats: () => {
      const records = emptyPerCollection();
      const versions = emptyPerCollection();
      for (const [name, store] of Object.entries(dataset.stores) as Array<[CollectionName, (typeof dataset.stores)[CollectionName]]>) {
        records[name] = store.count;
        versions[name] = store.versionCount;
      }
      return stats.snapshot({ openQueries: registry.openCount(), records, versions });
    },
    setFaults: (config) => {
      faults = config === undefined ? undefined : new FaultPlanner(config);
    },
    advanceLive,
    requestLog: () => {
      if (!resolved.recordRequests) throw new Error('requestLog() needs the simulator started with recordRequests: true');
      return requests.map((entry) => ({ ...entry, params: entry.params.map(([name, value]) => [name, value] as [string, string]) }));
    },
    close: async () => {
      if (timer !== undefined) clearInterval(timer);
      await server.close();
    },
  };
}
