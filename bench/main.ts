/**
 * `npm run bench`: every benchmark of the pipeline in one run, side by side with its
 * baseline, and BENCHMARKS.md written from the results (machine, command, medians).
 *
 *   npm run bench                       # everything, about 15 minutes on 2 cores
 *   npm run bench -- --quick            # smaller and fewer runs, for trying the harness
 *   npm run bench -- --out=/tmp/b.md    # write the report elsewhere
 *   npm run bench -- --save=/tmp/b.json # also keep the results, to re-render the report from them
 *   npm run bench -- --render=/tmp/b.json  # re-render the report from saved results, measuring nothing
 *   npm run bench -- --only=coldStart --out=/tmp/cold.md  # some sections alone (BENCHMARKS.md untouched)
 *   npm run bench -- --only=freshness   # the live tail's freshness, server clock in step / 150 s behind / ahead
 *
 * Not part of `npm test`: speed and memory targets belong here, not in timed tests.
 */
import '../functions/config/sdkNodeNotice.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { LAZY_CREDENTIAL_PROVIDERS } from '../infra/cdk/constructs/pipelineFunction.js';
import { runBackfill } from './backfill.js';
import { bundleComposition, runColdStart } from './coldStart.js';
import { costModel, runCostScenarios } from './cost/index.js';
import { runCpu } from './cpu.js';
import { runFreshness } from './freshness.js';
import { runMemory } from './memory.js';
import { renderReport, renderSections, type BenchResults, type BenchSection } from './report.js';
import { runThroughput } from './throughput.js';
import { runTranscripts } from './transcripts.js';
import { startBenchAws } from './lib/benchAws.js';
import { REPO_ROOT } from './lib/child.js';
import { describeMachine } from './lib/machine.js';
import { medianRun } from './lib/stats.js';
import { synthesizeStack } from './lib/synth.js';

const FULL = {
  coldStart: { inits: 20 },
  cpu: { pagesPerCollection: 10, runs: 7 },
  throughput: { latenciesMs: [0, 50, 200], recordsPerCollection: 20_000, pageSize: 1000, runs: 3 },
  transcripts: { contacts: 1000, latencyMs: 50, runs: 3 },
  // About 33,000 records a day in the compared cases; the same 100,000 over 30 days shows what density does.
  memory: {
    cases: [{ records: 100_000, days: 3 }, { records: 1_000_000, days: 30 }, { records: 100_000, days: 30, context: 'sparser: for comparison' }],
    recordBytes: 1024,
    runs: 3,
    tightHeapMb: 192,
  },
  cost: { idleTicks: 30, activeTicks: 20 },
  // Four calendar months of about 120,000 records each: every window is over the real cap and splits.
  // 4: the default --concurrency of `npm run backfill` (infra/backfill/args.ts). About 3.5 minutes per run pair.
  backfill: { events: 480_000, days: 122, concurrencies: [1, 4], latencyMs: 100, runs: 2 },
  freshness: { ticks: 20, offsetsSeconds: [0, -150, 150] },
};

const QUICK: typeof FULL = {
  coldStart: { inits: 5 },
  cpu: { pagesPerCollection: 3, runs: 3 },
  throughput: { latenciesMs: [0, 50, 200], recordsPerCollection: 5_000, pageSize: 1000, runs: 1 },
  transcripts: { contacts: 200, latencyMs: 50, runs: 1 },
  memory: { cases: [{ records: 20_000, days: 1 }, { records: 100_000, days: 3 }, { records: 100_000, days: 30, context: 'sparser: for comparison' }], recordBytes: 1024, runs: 1, tightHeapMb: 192 },
  cost: { idleTicks: 16, activeTicks: 5 },
  backfill: { events: 480_000, days: 122, concurrencies: [1, 4], latencyMs: 100, runs: 1 },
  freshness: { ticks: 5, offsetsSeconds: [0, -150, 150] },
};

const SECTIONS: readonly BenchSection[] = ['throughput', 'transcripts', 'memory', 'coldStart', 'cpu', 'backfill', 'freshness', 'cost'];

interface Args {
  quick: boolean;
  out: string | undefined;
  save?: string;
  render?: string;
  /** Undefined: every section, and BENCHMARKS.md. */
  only?: Set<BenchSection>;
}

function parseArgs(argv: string[]): Args {
  let quick = false;
  let out: string | undefined;
  let save: string | undefined;
  let render: string | undefined;
  let only: Set<BenchSection> | undefined;
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg.startsWith('--out=')) out = arg.slice('--out='.length);
    else if (arg.startsWith('--save=')) save = arg.slice('--save='.length);
    else if (arg.startsWith('--render=')) render = arg.slice('--render='.length);
    else if (arg.startsWith('--only=')) only = parseSections(arg.slice('--only='.length));
    else throw new Error(`unknown argument '${arg}'; valid: --quick, --out=<file>, --save=<file>, --render=<file>, --only=<section,...>`);
  }
  if (only && render) throw new Error('--only measures sections; --render re-renders a whole saved run: use one of them');
  return { quick, out, save, render, ...(only ? { only } : {}) };
}

function parseSections(value: string): Set<BenchSection> {
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !SECTIONS.includes(name as BenchSection));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(`--only must list sections separated by commas, got '${value}'; valid: ${SECTIONS.join(', ')}`);
  }
  return new Set(names as BenchSection[]);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.only) return runSections(args, args.only);
  const out = args.out ?? join(REPO_ROOT, 'BENCHMARKS.md');
  if (args.render) {
    // The report's text from results saved by an earlier run (--save): nothing is measured again.
    writeFileSync(out, renderReport(JSON.parse(readFileSync(args.render, 'utf8')) as BenchResults));
    process.stderr.write(`bench: rendered ${out} from ${args.render}\n`);
    return;
  }
  const settings = args.quick ? QUICK : FULL;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = performance.now();
  const machine = describeMachine();
  const loadBefore = loadavg();
  log(`bench: ${args.quick ? 'quick' : 'full'} run on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}`);

  log('4. cold start: synthesizing the CDK app');
  const synth = synthesizeStack();
  let results: BenchResults;
  try {
    const coldStart = await runColdStart(synth, settings.coldStart, log);
    const composition = await bundleComposition(join(REPO_ROOT, 'functions/handlers/tick.ts'), LAZY_CREDENTIAL_PROVIDERS);

    log('5. cpu per record');
    const cpu = await runCpu(settings.cpu, log);

    const aws = await startBenchAws();
    try {
      log('1. end to end throughput');
      const throughput = await runThroughput(aws, settings.throughput, log);
      log('3. memory');
      const memory = await runMemory(aws.emulators, settings.memory, log);
      log('cost scenarios');
      const costRuns = await runCostScenarios(aws.emulators, settings.cost, log);
      log('2. lesson_transcripts');
      const transcripts = await runTranscripts(settings.transcripts, log);
      log('6. backfill');
      const backfill = await runBackfill(aws, () => aws.child.call<NodeJS.ResourceUsage>('resourceUsage'), settings.backfill, log);
      log('7. freshness');
      const freshness = await runFreshness(aws.emulators, settings.freshness, log);

      const largest = memory.results.filter((result) => !result.context).reduce((a, b) => (b.records > a.records ? b : a));
      const at200 = throughput.results.find((result) => result.latencyMs === 200) ?? throughput.results[throughput.results.length - 1]!;
      const oursAt200 = medianRun(at200.ours, (run) => run.wallMs);
      const cost = costModel({
        runs: costRuns,
        synth,
        landing: medianRun(largest.runs, (run) => run.wallMs),
        latencyBoundSecondsPerRecord: oursAt200.wallMs / 1000 / oursAt200.records,
      });
      results = {
        machine,
        command: `npm run bench${args.quick ? ' -- --quick' : ''}`,
        quick: args.quick,
        loadBefore,
        loadAfter: loadavg(),
        durationMs: performance.now() - started,
        throughput,
        transcripts,
        memory,
        coldStart,
        composition,
        cpu,
        cost,
        backfill,
        freshness,
      };
    } finally {
      await aws.close();
    }
  } finally {
    synth.dispose();
  }
  if (args.save) writeFileSync(args.save, JSON.stringify(results));
  writeFileSync(out, renderReport(results));
  log(`bench: wrote ${out} in ${(results.durationMs / 60_000).toFixed(1)} min`);
}

/**
 * `--only`: the chosen sections alone, each with the settings of a full (or --quick) run,
 * rendered as those sections of the report; BENCHMARKS.md is left alone (stdout without
 * --out). The cost model needs the throughput and memory runs, so `cost` runs them too.
 */
async function runSections(args: Args, only: Set<BenchSection>): Promise<void> {
  const settings = args.quick ? QUICK : FULL;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = performance.now();
  const machine = describeMachine();
  const loadBefore = loadavg();
  const runs = new Set(only);
  if (only.has('cost')) {
    runs.add('throughput');
    runs.add('memory');
  }
  log(`bench: ${[...runs].join(', ')} (${args.quick ? 'quick' : 'full'} settings) on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}`);
  const results: Partial<BenchResults> = {};
  const synth = runs.has('coldStart') || runs.has('cost') ? synthesizeStack() : undefined;
  try {
    if (runs.has('coldStart')) {
      log('4. cold start');
      results.coldStart = await runColdStart(synth!, settings.coldStart, log);
      results.composition = await bundleComposition(join(REPO_ROOT, 'functions/handlers/tick.ts'), LAZY_CREDENTIAL_PROVIDERS);
    }
    if (runs.has('cpu')) {
      log('5. cpu per record');
      results.cpu = await runCpu(settings.cpu, log);
    }
    if (runs.has('transcripts')) {
      log('2. lesson_transcripts');
      results.transcripts = await runTranscripts(settings.transcripts, log);
    }
    if (runs.has('throughput') || runs.has('memory') || runs.has('backfill') || runs.has('freshness')) {
      const aws = await startBenchAws();
      try {
        if (runs.has('throughput')) {
          log('1. end to end throughput');
          results.throughput = await runThroughput(aws, settings.throughput, log);
        }
        if (runs.has('memory')) {
          log('3. memory');
          results.memory = await runMemory(aws.emulators, settings.memory, log);
        }
        if (runs.has('cost')) {
          log('cost scenarios');
          const costRuns = await runCostScenarios(aws.emulators, settings.cost, log);
          const largest = results.memory!.results.filter((result) => !result.context).reduce((a, b) => (b.records > a.records ? b : a));
          const at200 = results.throughput!.results.find((result) => result.latencyMs === 200) ?? results.throughput!.results[results.throughput!.results.length - 1]!;
          const oursAt200 = medianRun(at200.ours, (run) => run.wallMs);
          results.cost = costModel({
            runs: costRuns,
            synth: synth!,
            landing: medianRun(largest.runs, (run) => run.wallMs),
            latencyBoundSecondsPerRecord: oursAt200.wallMs / 1000 / oursAt200.records,
          });
        }
        if (runs.has('freshness')) {
          log('7. freshness');
          results.freshness = await runFreshness(aws.emulators, settings.freshness, log);
        }
        if (runs.has('backfill')) {
          log('6. backfill');
          results.backfill = await runBackfill(aws, () => aws.child.call<NodeJS.ResourceUsage>('resourceUsage'), settings.backfill, log);
        }
      } finally {
        await aws.close();
      }
    }
  } finally {
    synth?.dispose();
  }
  const flags = [`--only=${[...only].join(',')}`, ...(args.quick ? ['--quick'] : [])].join(' ');
  const partial = {
    ...results,
    machine,
    command: `npm run bench -- ${flags}`,
    quick: args.quick,
    loadBefore,
    loadAfter: loadavg(),
    durationMs: performance.now() - started,
  };
  if (args.save) writeFileSync(args.save, JSON.stringify(partial));
  const text = renderSections(partial, SECTIONS.filter((section) => runs.has(section)));
  if (args.out) {
    writeFileSync(args.out, text);
    log(`bench: wrote ${args.out} in ${(partial.durationMs / 60_000).toFixed(1)} min`);
  } else {
    process.stdout.write(text);
  }
}

await main();
