/**
 * `npm start`: the pipeline, locally. Starts the emulators and the ConveYour simulator (or
 * uses the ConveYour account in .env), then fires the real tick handler every --interval
 * seconds and delivers continuations to the real continue handler, with a live status line
 * per collection. `--once` runs until every collection is caught up, prints a summary, exits 0,
 * or 1 naming each open coverage gap.
 */
process.env.TZ = 'UTC';
import '../../functions/config/sdkNodeNotice.js';
import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { ConfigError, parseNumber } from '../../functions/config/env.js';
import { endpointsOf, publishEndpoints } from './endpointsFile.js';
import { startLocalRuntime, type LocalRuntime, type TickOutcome } from './runtime.js';
import { scheduleEvery } from './scheduler.js';
import { localSource, type LocalSource } from './source.js';
import { renderStatus, renderSummary } from './statusView.js';
import type { Checkpoint } from '../../functions/pipeline/checkpoint.js';
import { describeOpenGaps } from '../../functions/pipeline/coverageGaps.js';

const USAGE = `usage: npm start -- [--once] [--interval=SECONDS] [--data-dir=DIR] [--reset] [--seed=N] [--timeout=SECONDS] [--verbose]

  --once              run until every collection is caught up, print a summary, exit 0
                      (1 while a coverage gap is open: a second that returned the API's cap)
  --interval=SECONDS  seconds between scheduled ticks (default 60, like the deployed schedule)
  --data-dir=DIR      where emulator state and the landing zone persist (default .local)
  --reset             delete the data dir first: start from no checkpoints and an empty landing zone
  --seed=N            the simulator's seed for a new data dir (default 1)
  --timeout=SECONDS   the hosted functions' timeout, as deployed (default 120)
  --verbose           show the handlers' JSON logs at INFO and their EMF metrics

With CONVEYOUR_DOMAIN (or CONVEYOUR_BASE_URL), CONVEYOUR_APPKEY and CONVEYOUR_TOKEN in .env or
the environment, it tails that ConveYour instead of the simulator.`;

interface StartOptions {
  once: boolean;
  intervalMs: number;
  dataDir: string;
  reset: boolean;
  seed: number | undefined;
  timeoutMs: number;
  verbose: boolean;
}

export function parseStartArgs(argv: string[]): StartOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        once: { type: 'boolean', default: false },
        interval: { type: 'string', default: '60' },
        'data-dir': { type: 'string', default: '.local' },
        reset: { type: 'boolean', default: false },
        seed: { type: 'string' },
        timeout: { type: 'string', default: '120' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new ConfigError('argv', `${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) throw new HelpRequested();
  return {
    once: values.once,
    intervalMs: parseNumber(values.interval, '--interval', { min: 1, max: 3600, integer: true }) * 1000,
    dataDir: values['data-dir'],
    reset: values.reset,
    seed: values.seed === undefined ? undefined : parseNumber(values.seed, '--seed', { min: 0, integer: true }),
    timeoutMs: parseNumber(values.timeout, '--timeout', { min: 10, max: 900, integer: true }) * 1000,
    verbose: values.verbose,
  };
}

class HelpRequested extends Error {}

async function main(): Promise<number> {
  dotenv.config({ quiet: true });
  let options: StartOptions;
  try {
    options = parseStartArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof HelpRequested) {
      console.log(USAGE);
      return 0;
    }
    console.error((error as Error).message);
    return 2;
  }
  if (!options.verbose) {
    process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  }
  let conveyour: LocalSource['conveyour'];
  try {
    ({ conveyour } = localSource(process.env));
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (options.reset) await rm(options.dataDir, { recursive: true, force: true });

  const runtime = await startLocalRuntime({
    dataDir: options.dataDir,
    functionTimeoutMs: options.timeoutMs,
    ...(conveyour ? { conveyour } : {}),
    ...(options.seed !== undefined ? { simulator: { seed: options.seed } } : {}),
  });
  const source = conveyour ? `ConveYour at ${conveyour.baseUrl}` : `the ConveYour simulator at ${runtime.simulator!.url} (live)`;
  console.log(`conveyour-collection-stream, local: tailing ${source} into s3://${runtime.resources.bucket} (data in ${options.dataDir})`);
  const errors = (error: unknown) => console.error(`error: ${(error as Error).message ?? String(error)}`);
  const continuations = runtime.startContinuations(errors);
  const unpublish = await publishEndpoints(options.dataDir, endpointsOf(runtime));
  const interrupt = onInterrupt(runtime);
  runtime.lock?.watch(() => {
    console.error(`\n${options.dataDir} was deleted while npm start ran: stopping (npm start again starts over in a new one)`);
    process.exit(1);
  });
  try {
    return options.once ? await runOnce(runtime, interrupt) : await runForever(runtime, options.intervalMs, errors, interrupt);
  } finally {
    if (interrupt.draining) {
      const drained = await interrupt.draining;
      console.log(
        drained
          ? 'stopped: every run saved its progress and released its lease; the next npm start resumes from the checkpoints'
          : `stopped: some runs did not finish within ${DRAIN_MS / 1000} s; their leases expire by themselves`,
      );
    }
    await unpublish();
    await continuations.stop();
    await runtime.close();
  }
}

const DRAIN_MS = 30_000;

interface Interrupt {
  /** Set by the first Ctrl-C: resolves when the runs in flight finished (true) or DRAIN_MS passed (false). */
  draining: Promise<boolean> | undefined;
  stopped: Promise<void>;
}

/**
 * The first Ctrl-C ends every run in flight at its next step, as Lambda's deadline would, so
 * each saves its progress and releases its lease; the second leaves at once.
 */
function onInterrupt(runtime: LocalRuntime): Interrupt {
  let resolveStopped!: () => void;
  const interrupt: Interrupt = { draining: undefined, stopped: new Promise((resolve) => (resolveStopped = resolve)) };
  let firstAtMs = 0;
  const handler = () => {
    // One keypress arrives more than once: the terminal signals the whole group, and npm and tsx relay it too.
    if (interrupt.draining && Date.now() - firstAtMs < 1000) return;
    if (interrupt.draining) {
      console.error('\nleaving now: runs still in flight keep their leases until they expire');
      process.exit(130);
    }
    const running = runtime.host.running;
    console.log(`\nstopping: ${running ? `ending ${running} run${running === 1 ? '' : 's'} in flight at their next step` : 'nothing in flight'} (Ctrl-C again to leave at once)`);
    firstAtMs = Date.now();
    interrupt.draining = runtime.drain(DRAIN_MS);
    resolveStopped();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return interrupt;
}

/**
 * Ticks until one finds every collection caught up (or idle). Between ticks it waits for what the
 * last one handed out (its continuations) and for leases held by no run of this process (a run of
 * a process that was killed), rather than ticking again and re-reading every collection's overlap.
 */
async function runOnce(runtime: LocalRuntime, interrupt: Interrupt): Promise<number> {
  const startedMs = Date.now();
  const failingTicks = new Map<string, number>();
  const announced = new Set<string>();
  while (!interrupt.draining) {
    const outcome: TickOutcome = await runtime.tick();
    printProgress(await runtime.checkpoints(), runtime.requestCounters());
    if (outcome.runs.every((run) => run.status === 'caught-up' || run.status === 'idle')) {
      const checkpoints = await runtime.checkpoints();
      console.log(renderSummary(checkpoints, Date.now(), Date.now() - startedMs, runtime.requestCounters()));
      return failOnGaps(checkpoints);
    }
    for (const run of outcome.runs) {
      const key = `${run.source}/${run.collection}`;
      failingTicks.set(key, run.status === 'failed' ? (failingTicks.get(key) ?? 0) + 1 : 0);
      if ((failingTicks.get(key) ?? 0) >= 5) {
        const checkpoint = (await runtime.checkpoints()).find((cp) => `${cp.source}/${cp.collection}` === key);
        console.error(`${key} failed 5 ticks in a row: ${checkpoint?.counters.lastError?.message ?? 'see the logs (--verbose)'}`);
        return 1;
      }
    }
    await settled(runtime, announced, interrupt);
  }
  return 130;
}

/** Caught up is not complete while a second could not be read in full: exit 1, naming each gap. */
function failOnGaps(checkpoints: Checkpoint[]): number {
  const gaps = describeOpenGaps(checkpoints);
  if (gaps.length === 0) return 0;
  console.error(
    `coverage gaps open: records of these seconds may be missing (README: Coverage gaps); once dealt with, npm run gaps -- ack --collection=NAME --second=S\n${gaps.map((line) => `  ${line}`).join('\n')}`,
  );
  return 1;
}

async function settled(runtime: LocalRuntime, announced: Set<string>, interrupt: Interrupt): Promise<void> {
  while (!interrupt.draining) {
    const nowMs = Date.now();
    const foreign = (await runtime.checkpoints()).filter((cp) => cp.lease && cp.lease.expiresAtMs > nowMs && !runtime.host.runs(cp.lease.owner));
    for (const cp of foreign) {
      const key = `${cp.source}/${cp.collection}${cp.lane ? `#${cp.lane}` : ''}@${cp.lease!.owner}`;
      if (announced.has(key)) continue;
      announced.add(key);
      console.log(
        `${cp.source}/${cp.collection}${cp.lane ? ` (backfill window ${cp.lane})` : ''}: waiting for its lease, held by ${cp.lease!.owner} until ${new Date(cp.lease!.expiresAtMs).toISOString()} ` +
          `(${Math.ceil((cp.lease!.expiresAtMs - nowMs) / 1000)} s): a run of another process, stopped without releasing it`,
      );
    }
    const ours = runtime.host.running > 0 || (await runtime.queuedContinuations()) > 0;
    if (!ours && foreign.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function runForever(runtime: LocalRuntime, intervalMs: number, onError: (error: unknown) => void, interrupt: Interrupt): Promise<number> {
  const tty = process.stdout.isTTY;
  let lines = 0;
  const draw = async () => {
    const text = renderStatus(await runtime.checkpoints(), Date.now(), runtime.requestCounters());
    if (tty && lines > 0) process.stdout.write(`\x1b[${lines}A\x1b[0J`);
    process.stdout.write(`${text}\n`);
    lines = text.split('\n').length;
  };
  const scheduler = scheduleEvery(
    intervalMs,
    async () => {
      // As EventBridge Scheduler: a DISABLED schedule (aws scheduler update-schedule --state DISABLED) fires nothing.
      if (!runtime.scheduleEnabled()) return;
      await runtime.tick();
      if (!tty) await draw();
    },
    onError,
  );
  const redraw = tty ? setInterval(() => void draw().catch(onError), 1000) : undefined;
  await interrupt.stopped;
  scheduler.stop();
  if (redraw) clearInterval(redraw);
  return 0;
}

function printProgress(checkpoints: Parameters<typeof renderStatus>[0], requests: Parameters<typeof renderStatus>[2]): void {
  if (process.stdout.isTTY) process.stdout.write(`${renderStatus(checkpoints, Date.now(), requests)}\n`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`npm start failed: ${(error as Error).message ?? String(error)}`);
    process.exit(1);
  },
);
