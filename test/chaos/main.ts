/**
 * `npm run test:chaos`: the long chaos run (see harness.ts), seeded so any failure reproduces.
 *
 *   npm run test:chaos                                    # a random seed, printed first
 *   npm run test:chaos -- --seed=7 --duration=300 --versions=100000
 *   npm run test:chaos -- --seed=7 --markdown             # the figures table RELIABILITY.md quotes
 *
 * Exits 0 when nothing was lost and every check held, 1 otherwise, 2 on a bad flag.
 */
import '../../functions/config/sdkNodeNotice.js';
import { CHAOS_USAGE, parseChaosFlags, type ChaosFlags } from './flags.js';
import { runChaos } from './harness.js';
import { figuresMarkdown, formatReport, reproduceCommand } from './report.js';

async function main(): Promise<number> {
  let flags: ChaosFlags | 'help';
  try {
    flags = parseChaosFlags(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`test:chaos: ${(error as Error).message}\n${CHAOS_USAGE}\n`);
    return 2;
  }
  if (flags === 'help') {
    process.stdout.write(`${CHAOS_USAGE}\n`);
    return 0;
  }
  const simulator = flags.simulator === undefined ? {} : { simulator: flags.simulator };
  const options = { seed: flags.seed, durationSec: flags.durationSec, ...(flags.maxDurationSec === undefined ? {} : { maxDurationSec: flags.maxDurationSec }), versions: flags.versions, profile: flags.profile, ...simulator };
  // First, so a run that dies on the way still says how to reproduce it.
  process.stderr.write(`chaos seed ${flags.seed}: ${reproduceCommand({ seed: flags.seed, options: { ...options, ...(flags.simulator === undefined ? {} : { simulatorFlags: flags.simulator.argv }) } })}\n`);
  const report = await runChaos({ ...options, progress: (line) => process.stderr.write(`${line}\n`) });
  if (flags.output === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (flags.output === 'markdown') process.stdout.write(`${figuresMarkdown(report)}\n`);
  else process.stdout.write(`${formatReport(report)}\n`);
  return report.ok ? 0 : 1;
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`test:chaos: ${(error as Error).stack ?? String(error)}\n`);
  return 1;
});
