/**
 * The chaos run: the real pipeline core (runTick, runContinuation) with the real adapters,
 * against the simulator in live mode, while faults are injected at random from a seed.
 *
 * A run is a series of rounds. Each round moves the clock a minute or so (live changes
 * happen), then plays one episode: a tick, two ticks at once, a tick with a tiny time budget
 * (continuation chains), or a zombie (a tick frozen mid-run while its leases expire and
 * another tick takes over, then thawed). Meanwhile the continuation queue is consumed as
 * Lambda's event source would. Faults come from four places:
 * - the simulator (ConveYour): 429 + Retry-After, 5xx, hung and reset connections, truncated
 *   and non-JSON bodies, expired, frozen and stalled cursors;
 * - the fault proxies (S3, DynamoDB, SQS), on the wire;
 * - crashes at each step of the safety argument in turn (invocation.ts), and the function timeout;
 * - the consumer: a batch that "times out" after its work and is redelivered.
 * After the chaos phase the faults stop, the pipeline settles, and verify.ts judges the result.
 */
import { runTick, catalogOf, type InvocationResult, type PipelineDeps } from '../../functions/pipeline/orchestrate.js';
import type { Log } from '../../functions/pipeline/ports.js';
import type { FaultKind } from '../../infra/local/simulator/index.js';
import { CrashError } from '../support/faultyPorts.js';
import { AWS_FAULT_KINDS } from './awsFaults.js';
import { ContinuationConsumer } from './consumer.js';
import { CRASH_POINTS, ChaosInvocation, CrashSchedule } from './invocation.js';
import { FAULT_PROFILES, type FaultProfile, type ProfileName } from './profiles.js';
import { Rng, Tally, drawOf } from './seeded.js';
import type { SimulatorModes } from './simulatorModes.js';
import { verify, type Verdict } from './verify.js';
import { startWorld, type World } from './world.js';

export interface ChaosOptions {
  seed: number;
  /** Wall-clock seconds of the chaos phase; it runs on until every fault kind was met, up to `maxDurationSec`. */
  durationSec: number;
  /** Default three times durationSec plus 30 s. */
  maxDurationSec?: number;
  /** About this many records in the simulated account at the start: the initial state every version of which must land. */
  versions: number;
  /** How often each fault is injected (profiles.ts); default `standard`. */
  profile?: ProfileName;
  /** Progress lines (the CLI prints them). */
  progress?: (line: string) => void;
  /** Simulator modes (simulatorModes.ts); default none. */
  simulator?: SimulatorModes;
}

export const EPISODES = ['tick', 'short budget', 'concurrent ticks', 'zombie'] as const;
export type Episode = (typeof EPISODES)[number];

/** As deployed, scaled down: a Lambda timeout of 3 s so runs spend their budget and chain continuations. */
const FUNCTION_TIMEOUT_MS = 3_000;
const SHORT_TIMEOUT_MS = 700;
/** While settling, invocations may take their time: no faults are left to survive. */
const SETTLE_TIMEOUT_MS = 30_000;
/** Queue visibility: far below the deployed 6x timeout, so redeliveries happen within the run. */
const VISIBILITY_TIMEOUT_SECONDS = 4;

export interface ChaosReport {
  seed: number;
  options: { durationSec: number; maxDurationSec: number; versions: number; profile: ProfileName; simulatorFlags?: string[] };
  elapsedSec: number;
  chaosSec: number;
  rounds: number;
  episodes: Record<string, number>;
  invocations: { ticks: number; continuationBatches: number };
  /** Every fault injected, by where and kind. */
  faults: {
    conveyour: Record<string, number>;
    aws: Record<string, number>;
    crashes: Record<string, number>;
    sqsRedeliveries: number;
    zombiesFrozen: number;
    zombieRunsStopped: number;
    conditionalConflicts: number;
  };
  /** Kinds the run was meant to inject and did not (the run then proves nothing about them). */
  notExercised: string[];
  runStatuses: Record<string, number>;
  runFailures: Record<string, number>;
  /** The pipeline's warnings and errors, by message. */
  logLines: Record<string, number>;
  settled: boolean;
  verdict: Verdict;
  ok: boolean;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const startedAt = Date.now();
  const seed = options.seed >>> 0;
  const profileName = options.profile ?? 'standard';
  const profile: FaultProfile = FAULT_PROFILES[profileName];
  const progress = options.progress ?? (() => undefined);
  const rng = new Rng(drawOf(seed, 'rounds') * 2 ** 32);
  const world = await startWorld({
    seed,
    records: options.versions,
    pageSize: profile.pageSize,
    awsRates: profile.aws,
    eager: profile.eager,
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
    ...(options.simulator === undefined ? {} : { simulator: options.simulator }),
  });
  try {
    return await new ChaosRun(world, seed, profileName, profile, rng, progress).run(options, startedAt);
  } finally {
    await world.close();
  }
}

class ChaosRun {
  private readonly episodes = new Tally<Episode>();
  private firstEpisodes: Episode[] = [];
  private readonly crashes = new Tally<string>();
  private readonly statuses = new Tally<string>();
  private readonly failures = new Tally<string>();
  private readonly logLines = new Tally<string>();
  private ticks = 0;
  private batches = 0;
  private invocations = 0;
  private runIds = 0;
  private zombiesFrozen = 0;
  private zombieRunsStopped = 0;
  private settling = false;
  /** The crash to inject next, in turn over CRASH_POINTS. */
  private readonly crashSchedule = new CrashSchedule();
  private readonly consumer: ContinuationConsumer;
  private readonly log: Log;

  constructor(
    private readonly world: World,
    private readonly seed: number,
    private readonly profileName: ProfileName,
    private readonly profile: FaultProfile,
    private readonly rng: Rng,
    private readonly progress: (line: string) => void,
  ) {
    this.log = {
      debug: () => undefined,
      info: () => undefined,
      warn: (message) => this.logLines.add(`warn: ${message}`),
      error: (message) => this.logLines.add(`error: ${message}`),
    };
    this.consumer = new ContinuationConsumer({
      sqs: world.pipelineClients.sqs,
      queueUrl: world.resources.queueUrl,
      pollers: 2,
      catalog: catalogOf(world.sources),
      sources: world.sources,
      invoke: () => {
        this.batches += 1;
        return this.newInvocation('continue', this.settling ? SETTLE_TIMEOUT_MS : FUNCTION_TIMEOUT_MS);
      },
      timesOutAfterWork: (batch) => !this.settling && ((profile.eager && this.redeliveries() === 0) || drawOf(seed, 'redelivery', batch) < profile.redelivery),
      finished: (invocation) => this.finished(invocation),
      onError: (error) => this.failures.add(`consumer: ${(error as Error).name}`),
    });
  }

  async run(options: ChaosOptions, startedAt: number): Promise<ChaosReport> {
    try {
      return await this.play(options, startedAt);
    } finally {
      await this.consumer.stop();
    }
  }

  private async play(options: ChaosOptions, startedAt: number): Promise<ChaosReport> {
    const { world } = this;
    world.sim.setFaults({
      seed: this.seed,
      rate: this.profile.conveyour,
      retryAfterSeconds: 1,
    });
    const chaosStart = Date.now();
    const minEnd = chaosStart + options.durationSec * 1000;
    const maxDurationSec = options.maxDurationSec ?? options.durationSec * 3 + 30;
    const maxEnd = chaosStart + maxDurationSec * 1000;
    let rounds = 0;
    this.progress(`chaos: seed ${this.seed}, ${world.sim.stats().records.events} events and ${Object.values(world.sim.stats().records).reduce((a, b) => a + b, 0)} records to start with`);
    while (Date.now() < maxEnd && (Date.now() < minEnd || this.notExercised().length > 0)) {
      rounds += 1;
      world.clock.advance(60_000 + this.rng.int(30_000));
      world.sim.advanceLive();
      if (this.rng.chance(this.profile.crash)) this.crashSchedule.arm(this.rng.int(3));
      await this.episode(this.pickEpisode(rounds));
      // Mostly let the round's continuation chains finish; sometimes the next tick meets them running.
      if (this.rng.chance(0.6)) await this.drained(4_000);
      if (rounds % 10 === 0) this.progress(`round ${rounds}: ${Math.round((Date.now() - chaosStart) / 1000)} s, not yet met: ${this.notExercised().join(', ') || 'none'}`);
    }
    const chaosSec = (Date.now() - chaosStart) / 1000;
    const notExercised = this.notExercised();

    this.progress(`settling after ${rounds} rounds (${chaosSec.toFixed(0)} s)`);
    const settled = await this.settle();
    await this.consumer.stop();
    this.progress('verifying');
    const verdict = await verify(world, this.consumer.deliveries);
    const report: ChaosReport = {
      seed: this.seed,
      options: { durationSec: options.durationSec, maxDurationSec, versions: options.versions, profile: this.profileName, ...(options.simulator === undefined ? {} : { simulatorFlags: options.simulator.argv }) },
      elapsedSec: Math.round((Date.now() - startedAt) / 100) / 10,
      chaosSec: Math.round(chaosSec * 10) / 10,
      rounds,
      episodes: this.episodes.toObject(),
      invocations: { ticks: this.ticks, continuationBatches: this.batches },
      faults: {
        conveyour: Object.fromEntries(Object.entries(world.sim.stats().faults).filter(([kind]) => (this.profile.conveyour[kind as FaultKind] ?? 0) > 0)),
        aws: Object.fromEntries(AWS_FAULT_KINDS.map((kind) => [kind, world.aws.injected.get(kind)])),
        crashes: this.crashes.toObject(),
        sqsRedeliveries: this.redeliveries(),
        zombiesFrozen: this.zombiesFrozen,
        zombieRunsStopped: this.zombieRunsStopped,
        conditionalConflicts: world.aws.conditionalConflicts,
      },
      notExercised,
      runStatuses: this.statuses.toObject(),
      runFailures: this.failures.toObject(),
      logLines: this.logLines.toObject(),
      settled,
      verdict,
      ok: settled && verdict.ok && notExercised.length === 0,
    };
    return report;
  }

  private pickEpisode(round: number): Episode {
    // Each episode once first, in a seeded order; then at random.
    if (round === 1) this.firstEpisodes = this.rng.sample(EPISODES, EPISODES.length);
    const first = this.firstEpisodes[round - 1];
    if (first) return first;
    let draw = this.rng.next();
    for (const [episode, chance] of Object.entries(this.profile.episodes) as Array<[Episode, number]>) {
      if (draw < chance) return episode;
      draw -= chance;
    }
    return 'tick';
  }

  private async episode(episode: Episode): Promise<void> {
    this.episodes.add(episode);
    switch (episode) {
      case 'tick':
        await this.tick(FUNCTION_TIMEOUT_MS);
        return;
      case 'short budget':
        await this.tick(SHORT_TIMEOUT_MS);
        return;
      case 'concurrent ticks':
        await Promise.all([this.tick(FUNCTION_TIMEOUT_MS), this.tick(FUNCTION_TIMEOUT_MS)]);
        return;
      case 'zombie':
        await this.zombie();
        return;
    }
  }

  /**
   * A tick frozen at its first S3 write or checkpoint save (a GC pause, a stalled host) while the
   * clock passes its leases' expiry and another tick takes its collections over; then it thaws
   * and carries on as if nothing happened. Its next checkpoint write must fail.
   */
  private async zombie(): Promise<void> {
    const zombie = this.newInvocation('tick', FUNCTION_TIMEOUT_MS);
    const at = this.rng.chance(0.5) ? 'save' : 'put';
    const frozen = zombie.invocation.pauseAt((effect) => effect === at);
    const running = this.runTickOn(zombie);
    const first = await Promise.race([frozen.then(() => 'frozen' as const), running.then(() => 'done' as const)]);
    if (first === 'frozen') {
      this.zombiesFrozen += 1;
      const held = (await this.world.directStore.list()).filter((cp) => cp.lease?.owner === zombie.invocation.owner);
      const expiry = Math.max(0, ...held.map((cp) => cp.lease!.expiresAtMs));
      this.world.clock.advance(expiry - this.world.clock.nowMs() + 1_000);
      await this.tick(FUNCTION_TIMEOUT_MS);
      zombie.invocation.resume();
    }
    const result = await running;
    this.zombieRunsStopped += result?.runs.filter((run) => run.status === 'lease-lost').length ?? 0;
  }

  private tick(timeoutMs: number): Promise<InvocationResult | undefined> {
    return this.runTickOn(this.newInvocation('tick', this.settling ? SETTLE_TIMEOUT_MS : timeoutMs));
  }

  private async runTickOn({ invocation, deps }: { invocation: ChaosInvocation; deps: PipelineDeps }): Promise<InvocationResult | undefined> {
    this.ticks += 1;
    try {
      const result = await runTick(this.world.sources, deps);
      for (const run of result.runs) {
        this.statuses.add(run.status);
        if (run.error) this.failures.add(`run: ${run.error.code}`);
      }
      return result;
    } catch (error) {
      // A dead invocation's last effect threw; a live one fails only when a continuation could not be queued.
      if (!(error instanceof CrashError)) this.failures.add(`tick: ${(error as { code?: string }).code ?? (error as Error).name}`);
      return undefined;
    } finally {
      invocation.resume();
      this.finished(invocation);
    }
  }

  private newInvocation(kind: 'tick' | 'continue', timeoutMs: number): { invocation: ChaosInvocation; deps: PipelineDeps } {
    const invocation = new ChaosInvocation(
      `${kind}-${++this.invocations}`,
      { store: this.world.store, sink: this.world.sink, queue: this.world.queue },
      timeoutMs,
      this.settling ? undefined : this.crashSchedule,
    );
    const deps: PipelineDeps = {
      store: invocation.store,
      sink: invocation.sink,
      queue: invocation.queue,
      clock: this.world.clock,
      log: this.log,
      policy: this.world.policy,
      remainingMs: invocation.remainingMs,
      owner: invocation.owner,
      newRunId: () => `run-${++this.runIds}`,
    };
    return { invocation, deps };
  }

  private finished(invocation: ChaosInvocation): void {
    if (invocation.death) this.crashes.add(invocation.death);
  }

  private redeliveries(): number {
    let count = 0;
    for (const outcomes of this.consumer.deliveries.values()) count += outcomes.filter((outcome) => outcome === 'timed out after its work').length;
    return count;
  }

  /** What the run meant to inject and has not yet. */
  private notExercised(): string[] {
    const { world } = this;
    const simFaults = world.sim.stats().faults;
    return [
      ...Object.entries(this.profile.conveyour)
        .filter(([kind, rate]) => rate > 0 && simFaults[kind as FaultKind] === 0)
        .map(([kind]) => `conveyour ${kind}`),
      ...AWS_FAULT_KINDS.filter((kind) => (this.profile.aws[kind] ?? 0) > 0 && world.aws.injected.get(kind) === 0),
      ...CRASH_POINTS.filter((point) => this.crashes.get(point) === 0).map((point) => `crash ${point}`),
      ...(this.redeliveries() === 0 ? ['sqs redelivery after the visibility timeout'] : []),
      ...(this.episodes.get('concurrent ticks') === 0 ? ['concurrent ticks'] : []),
      ...(this.zombiesFrozen === 0 ? ['zombie'] : []),
      ...(world.aws.conditionalConflicts === 0 ? ['conditional-check conflict'] : []),
    ];
  }

  /** No faults left: tick a minute apart until every collection is caught up and nothing is queued or in flight. */
  private async settle(): Promise<boolean> {
    this.settling = true;
    this.crashSchedule.disarm();
    this.world.aws.heal();
    this.world.sim.setFaults(undefined);
    // Two clean ticks in a row: the second reads a window past wherever the faults left each collection.
    let clean = 0;
    for (let attempt = 0; attempt < 40 && clean < 2; attempt++) {
      await this.drained(30_000);
      this.world.clock.advance(60_000);
      const result = await this.tick(SETTLE_TIMEOUT_MS);
      const caughtUp = result !== undefined && result.runs.every((run) => run.status === 'caught-up' || run.status === 'idle');
      const inFlight = (await this.world.directStore.list()).filter((cp) => cp.inFlight !== undefined);
      clean = caughtUp && inFlight.length === 0 && (await this.drained(5_000)) ? clean + 1 : 0;
    }
    return clean >= 2;
  }

  /** Waits (polling) until the queue is empty and no batch is being handled; false if it is not by the deadline. */
  private async drained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.consumer.idle && (await this.world.queueDepth()) === 0) return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
