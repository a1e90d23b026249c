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
 * - the consumer: a batch that "times out" after its work and is redelivered;
 * - ConveYour blackouts (conveyourProxy.ts): every request held past the deadline of the
 *   invocations that meet it, which only the pipeline's deadline signals can end in time;
 * - a second source whose secret is not yet set, or denied after a cold start, part of the
 *   time: its collections fail, the first source's must not notice;
 * - SQS sends that fail on every retry: that run fails, the tick's other collections still
 *   get their continuations.
 * After the chaos phase the faults stop, the pipeline settles, and verify.ts judges the result.
 */
import { encodeContinuationMessage } from '../../functions/pipeline/messages.js';
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
import { FLAKY_SOURCE, SOURCE, startWorld, type SecretState, type World } from './world.js';

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
/** ConveYour faults an eager profile schedules once (expire, freeze and stall need a next page: left to their rates). */
const EAGER_CONVEYOUR_FAULTS: readonly FaultKind[] = ['429', '500', '502', '503', 'hang', 'reset', 'truncate', 'nonjson'];
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
    /** ConveYour blackouts: requests held, abandoned by the client while held, answered after the blackout; requests the deadline signal stopped. */
    blackouts: { blackouts: number; held: number; abandonedWhileHeld: number; answeredLate: number; stoppedByDeadline: number };
    /** The second source's secret: rounds it was unreadable, its runs failed for it by the secret's state, cold starts. */
    secret: { roundsUnreadable: number; failedRuns: Record<string, number>; coldStarts: number };
    /** Continuation sends that failed for good, and in the ticks where one did, the other collections' continuations that went out. */
    sendFailures: { failed: number; ticksWithAFailedSend: number; othersSent: number };
  };
  /** Checks of the new faults, each a list of violations (empty: the check held). */
  isolation: {
    /** Page requests still waiting when their invocation's time was up. */
    outlivedDeadline: string[];
    /** Runs of the main source failed by a secret (the flaky source's trouble reached it). */
    mainSourceFailedBySecret: string[];
    /** In a tick whose send failed for one collection, another's continuation that never reached SQS. */
    continuationsMissing: string[];
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
  const logLines = new Tally<string>();
  const log: Log = {
    debug: () => undefined,
    info: () => undefined,
    warn: (message) => logLines.add(`warn: ${message}`),
    error: (message) => logLines.add(`error: ${message}`),
  };
  const world = await startWorld({
    log,
    seed,
    records: options.versions,
    pageSize: profile.pageSize,
    awsRates: profile.aws,
    eager: profile.eager,
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
    ...(options.simulator === undefined ? {} : { simulator: options.simulator }),
  });
  try {
    return await new ChaosRun(world, seed, profileName, profile, rng, progress, log, logLines).run(options, startedAt);
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
  private ticks = 0;
  private readonly blackoutTimers = new Set<NodeJS.Timeout>();
  private stoppedByDeadline = 0;
  private readonly outlivedDeadline: string[] = [];
  private readonly secretFailures = new Tally<string>();
  private roundsUnreadable = 0;
  private coldStarts = 0;
  private sendFailures = 0;
  private ticksWithAFailedSend = 0;
  private othersSent = 0;
  private readonly continuationsMissing: string[] = [];
  private readonly mainSourceFailedBySecret: string[] = [];
  private batches = 0;
  private invocations = 0;
  private runIds = 0;
  private zombiesFrozen = 0;
  private zombieRunsStopped = 0;
  private settling = false;
  /** The crash to inject next, in turn over CRASH_POINTS. */
  private readonly crashSchedule = new CrashSchedule();
  private readonly consumer: ContinuationConsumer;

  constructor(
    private readonly world: World,
    private readonly seed: number,
    private readonly profileName: ProfileName,
    private readonly profile: FaultProfile,
    private readonly rng: Rng,
    private readonly progress: (line: string) => void,
    private readonly log: Log,
    private readonly logLines: Tally<string>,
  ) {
    this.consumer = new ContinuationConsumer({
      sqs: world.pipelineClients.sqs,
      queueUrl: world.resources.queueUrl,
      pollers: 2,
      catalog: catalogOf(world.catalogSources),
      sources: () => world.sources(),
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
      // Eager: each kind that needs no cursor once early, at a fixed request (a short run makes few requests).
      ...(this.profile.eager ? { schedule: EAGER_CONVEYOUR_FAULTS.filter((kind) => (this.profile.conveyour[kind] ?? 0) > 0).map((kind, i) => ({ request: 12 + 5 * i, kind })) } : {}),
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
      for (const account of world.accounts) account.sim.advanceLive();
      if (this.rng.chance(this.profile.crash)) this.crashSchedule.arm(this.rng.int(3));
      // A draw of its own (not the shared sequence, whose neighbouring draws the crash schedule takes).
      const episode = this.pickEpisode(rounds);
      // Not in a zombie's round: a tick whose every peek hangs never reaches the write it is to freeze at.
      if (episode !== 'zombie' && drawOf(this.seed, 'blackout', rounds) < this.profile.blackout) this.scheduleBlackout();
      await this.moveSecret(rounds);
      await this.episode(episode);
      // Mostly let the round's continuation chains finish; sometimes the next tick meets them running.
      if (this.rng.chance(0.6)) await this.drained(4_000);
      if (rounds % (this.profile.eager ? 2 : 10) === 0) this.progress(`round ${rounds}: ${Math.round((Date.now() - chaosStart) / 1000)} s, not yet met: ${this.notExercised().join(', ') || 'none'}`);
    }
    const chaosSec = (Date.now() - chaosStart) / 1000;
    const notExercised = this.notExercised();

    this.progress(`settling after ${rounds} rounds (${chaosSec.toFixed(0)} s)`);
    const settled = await this.settle();
    await this.consumer.stop();
    this.progress('verifying');
    const verdict = await verify(world, this.consumer.deliveries);
    if (process.env.CHAOS_DUMP) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(process.env.CHAOS_DUMP, JSON.stringify({ applied: world.aws.appliedWrites, acknowledged: world.store.writes }, null, 1));
    }
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
        blackouts: { ...this.blackoutStats(), stoppedByDeadline: this.stoppedByDeadline },
        secret: { roundsUnreadable: this.roundsUnreadable, failedRuns: this.secretFailures.toObject(), coldStarts: this.coldStarts },
        sendFailures: { failed: this.sendFailures, ticksWithAFailedSend: this.ticksWithAFailedSend, othersSent: this.othersSent },
      },
      isolation: {
        outlivedDeadline: this.outlivedDeadline.slice(0, 20),
        mainSourceFailedBySecret: this.mainSourceFailedBySecret.slice(0, 20),
        continuationsMissing: this.continuationsMissing.slice(0, 20),
      },
      notExercised,
      runStatuses: this.statuses.toObject(),
      runFailures: this.failures.toObject(),
      logLines: this.logLines.toObject(),
      settled,
      verdict,
      ok:
        settled &&
        verdict.ok &&
        notExercised.length === 0 &&
        this.outlivedDeadline.length === 0 &&
        this.mainSourceFailedBySecret.length === 0 &&
        this.continuationsMissing.length === 0,
    };
    return report;
  }

  private pickEpisode(round: number): Episode {
    // Each episode once first, in a seeded order; then at random.
    // An episode the profile never draws is not forced either (the calm profile has none).
    if (round === 1) this.firstEpisodes = this.rng.sample(EPISODES, EPISODES.length).filter((episode) => episode === 'tick' || this.profile.episodes[episode] > 0);
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
      // As the handler does: the sources (their secrets) are read inside the invocation.
      const result = await runTick(invocation.watched(await this.world.sources()), deps);
      this.judgeRuns(result);
      this.judgeSends(result);
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
    this.stoppedByDeadline += invocation.stoppedByDeadline;
    this.outlivedDeadline.push(...invocation.outlivedDeadline);
  }

  /** Tallies run outcomes; a secret failure counts for the state the secret was in, and must never touch the main source. */
  private judgeRuns(result: InvocationResult): void {
    for (const run of result.runs) {
      this.statuses.add(run.status);
      if (!run.error) continue;
      this.failures.add(`run: ${run.error.code}`);
      if (run.error.code === 'CONTINUATION_SEND_FAILED') {
        this.sendFailures += 1;
        // Which: an SQS error that outlasted the retries, or the write deadline (too little time left to send).
        this.failures.add(`continuation send: ${/failed: (\w+)/.exec(run.error.message)?.[1] ?? 'unknown'}`);
      }
      if (!run.error.code.startsWith('SECRET_')) continue;
      if (run.key.source === FLAKY_SOURCE) this.secretFailures.add(this.world.secretState);
      else this.mainSourceFailedBySecret.push(`${run.key.source}/${run.key.collection}: ${run.error.code} ${run.error.message}`);
    }
  }

  /** In a tick where one continuation could not be sent, every other collection that ran out of time still got its own. */
  private judgeSends(result: InvocationResult): void {
    if (!result.runs.some((run) => run.error?.code === 'CONTINUATION_SEND_FAILED')) return;
    this.ticksWithAFailedSend += 1;
    const reached = new Set([...this.world.aws.sentMessages, ...this.world.aws.lostMessages]);
    for (const run of result.runs) {
      if (run.status !== 'budget-spent' || this.world.policy.maxHops < 1) continue;
      const body = encodeContinuationMessage({ source: run.key.source, collection: run.key.collection, runId: run.runId ?? 'unknown', hop: 1 });
      if (reached.has(body)) this.othersSent += 1;
      else this.continuationsMissing.push(`${run.key.source}/${run.key.collection} run ${run.runId}: no continuation reached SQS in a tick where another collection's send failed`);
    }
  }

  /** ConveYour goes dark for one source, from a moment early in the round's episode (so its ticks meet it), for longer than an invocation lives. */
  private scheduleBlackout(): void {
    const account = this.world.accounts[this.rng.chance(0.75) ? 0 : 1]!;
    const lastsMs = FUNCTION_TIMEOUT_MS + 500 + this.rng.int(1_500);
    const timer = setTimeout(() => {
      this.blackoutTimers.delete(timer);
      if (!this.settling) account.proxy.blackout(Date.now() + lastsMs);
    }, this.rng.int(300));
    this.blackoutTimers.add(timer);
  }

  private blackoutStats(): Omit<ChaosReport['faults']['blackouts'], 'stoppedByDeadline'> {
    const total = { blackouts: 0, held: 0, abandonedWhileHeld: 0, answeredLate: 0 };
    for (const account of this.world.accounts) for (const key of Object.keys(total) as Array<keyof typeof total>) total[key] += account.proxy.stats[key];
    return total;
  }

  /**
   * The second source's secret: not yet set for the first rounds (a source added before its
   * secret), then readable, and now and then denied, which a running container (credentials
   * cached) does not notice until a cold start. Cold starts also happen on their own.
   */
  /** An eager profile denies the secret once as soon as it is readable: a short run has few rounds. */
  private eagerlyDenied(round: number): boolean {
    return this.profile.eager && round > this.profile.secretUnsetRounds && this.secretFailures.get('denied') === 0;
  }

  private async moveSecret(round: number): Promise<void> {
    const { world } = this;
    const state = world.secretState;
    let next: SecretState = state;
    if (state === 'not yet set' && round > this.profile.secretUnsetRounds) next = 'readable';
    // Draws of their own, as the blackout's: the shared sequence's neighbouring draws are the crash schedule's.
    else if (state === 'readable' && (this.eagerlyDenied(round) || drawOf(this.seed, 'secret denied', round) < this.profile.secretDenied)) next = 'denied';
    else if (state === 'denied' && drawOf(this.seed, 'secret restored', round) < 0.5) next = 'readable';
    if (next !== state) await world.setSecret(next);
    if (next === 'denied' || drawOf(this.seed, 'cold start', round) < this.profile.coldStart) {
      world.coldStart();
      this.coldStarts += 1;
    }
    if (next !== 'readable') this.roundsUnreadable += 1;
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
      // Only what the profile injects is demanded: the calm profile demands nothing.
      ...CRASH_POINTS.filter((point) => this.profile.crash > 0 && this.crashes.get(point) === 0).map((point) => `crash ${point}`),
      ...(this.profile.redelivery > 0 && this.redeliveries() === 0 ? ['sqs redelivery after the visibility timeout'] : []),
      ...(this.profile.episodes['concurrent ticks'] > 0 && this.episodes.get('concurrent ticks') === 0 ? ['concurrent ticks'] : []),
      ...(this.profile.episodes.zombie > 0 && this.zombiesFrozen === 0 ? ['zombie'] : []),
      ...((this.profile.episodes['concurrent ticks'] > 0 || this.profile.episodes.zombie > 0) && world.aws.conditionalConflicts === 0 ? ['conditional-check conflict'] : []),
      ...(this.profile.blackout > 0 && this.blackoutStats().held === 0 ? ['conveyour hang past the deadline'] : []),
      ...(this.profile.blackout > 0 && this.stoppedByDeadline === 0 ? ['conveyour request stopped by the deadline'] : []),
      ...(['not yet set', 'denied'] as const)
        .filter((state) => (state === 'denied' ? this.profile.secretDenied : this.profile.secretUnsetRounds) > 0 && this.secretFailures.get(state) === 0)
        .map((state) => `secret ${state}`),
      ...(this.world.aws.injected.get('sqs SendMessage failed (every retry)') > 0 && this.ticksWithAFailedSend === 0 ? ['a tick with a failed continuation send'] : []),
    ];
  }

  /** No faults left: tick a minute apart until every collection is caught up and nothing is queued or in flight. */
  private async settle(): Promise<boolean> {
    this.settling = true;
    this.crashSchedule.disarm();
    this.world.aws.heal();
    for (const timer of this.blackoutTimers) clearTimeout(timer);
    this.blackoutTimers.clear();
    for (const account of this.world.accounts) {
      account.sim.setFaults(undefined);
      account.proxy.heal();
    }
    await this.world.setSecret('readable');
    // Two clean ticks in a row: the second reads a window past wherever the faults left each collection.
    let clean = 0;
    for (let attempt = 0; attempt < 40 && clean < 2; attempt++) {
      await this.drained(30_000);
      this.world.clock.advance(60_000);
      const result = await this.tick(SETTLE_TIMEOUT_MS);
      const caughtUp = result !== undefined && result.runs.every((run) => run.status === 'caught-up' || run.status === 'idle');
      const inFlight = (await this.world.directStore.list()).filter((cp) => cp.inFlight !== undefined);
      clean = caughtUp && inFlight.length === 0 && (await this.drained(5_000)) ? clean + 1 : 0;
      if (clean === 0) {
        const notDone = result?.runs.filter((run) => run.status !== 'caught-up' && run.status !== 'idle').map((run) => `${run.key.source}/${run.key.collection} ${run.status}${run.error ? ` ${run.error.code}` : ''}`);
        this.progress(`settling: not yet (${notDone?.join(', ') || (result ? `${inFlight.length} in flight` : 'the tick failed')})`);
      }
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
