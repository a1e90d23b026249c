/**
 * The ConveYour simulator in its own process, so that generating pages costs the pipeline
 * nothing in CPU or memory. argv[2]: the SimulatorOptions as JSON, plus an optional
 * `virtualStartMs`: then the simulator runs on a clock the parent moves with `setNow`
 * (for simulated days of ticks); otherwise on Date.now.
 */
import { failStart, serve } from '../lib/child.js';
import { truthDigest } from '../lib/digest.js';
import { startSimulator } from '../../infra/local/simulator/index.js';
import type { SimulatorOptions } from '../../infra/local/simulator/options.js';
import type { CollectionName } from '../../functions/conveyour/collections.js';
import type { QueryWindow } from '../../functions/conveyour/types.js';

export interface SimulatorReady {
  url: string;
  credentials: { appkey: string; token: string };
  startMs: number;
}

/** What a query over `window` opened at `snapshotSec` returns: the versions a complete read must land. */
export interface TruthQuery {
  collection: CollectionName;
  window: QueryWindow;
  snapshotSec: number;
}

export type SimulatorHostOptions = Omit<SimulatorOptions, 'now'> & { virtualStartMs?: number };

try {
  const { virtualStartMs, ...options } = JSON.parse(process.argv[2] ?? '{}') as SimulatorHostOptions;
  let virtualNowMs = virtualStartMs;
  const now = virtualNowMs === undefined ? Date.now : () => virtualNowMs!;
  const startMs = now();
  const sim = await startSimulator({ ...options, now });
  const ready: SimulatorReady = { url: sim.url, credentials: sim.credentials, startMs };
  serve(
    ready,
    {
      stats: () => sim.stats(),
      setNow: (ms: number) => {
        if (virtualNowMs === undefined) throw new Error('setNow needs a simulator started with virtualStartMs');
        virtualNowMs = ms;
        return sim.advanceLive(ms);
      },
      resourceUsage: () => process.resourceUsage(),
      truth: (params: TruthQuery) => truthDigest(sim.truth.expectedQuery(params.collection, params.window, params.snapshotSec).map((v) => `${v._id}@${v.updated_at}`)),
    },
    () => sim.close(),
  );
} catch (error) {
  failStart(error);
}
