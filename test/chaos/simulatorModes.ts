/**
 * The simulator's modes a chaos run can turn on: the server's clock offset, bursts, and the
 * changes a tail cannot see (late-visible writes, deletions, transcripts that change alone).
 * Parsed by the simulator's own CLI parser, so both take the same values with the same checks.
 */
import { parseCliArgs } from '../../infra/local/simulator/cliArgs.js';
import type { LiveOptions, SimulatorOptions } from '../../infra/local/simulator/index.js';

/** Chaos flag -> the simulator CLI flag it is. */
export const SIMULATOR_MODE_FLAGS: Record<string, string> = {
  'server-clock-offset': 'clock-offset',
  bursts: 'bursts',
  'late-writes': 'late-writes',
  deletions: 'deletions',
  'transcript-changes': 'transcript-changes',
};

export const SIMULATOR_MODES_USAGE = `  simulator modes (default off; values as in npm run simulator -- --help):
  --server-clock-offset  the server's clock ahead (negative: behind) of the pipeline's, S or MIN:MAX (seeded), e.g. -150
  --bursts               records created in one second, C:N@S,..., e.g. events:100001@300
  --late-writes          fraction of versions visible only after a delay, F:S or F:MIN-MAX, e.g. 0.05:90-300
  --deletions            records deleted per minute, C:N,..., e.g. events:2,contacts:0.5
  --transcript-changes   transcripts added or changed per minute while their contact does not change, e.g. 3`;

export interface SimulatorModes {
  clockOffsetSeconds?: SimulatorOptions['clockOffsetSeconds'];
  bursts?: SimulatorOptions['bursts'];
  live: Pick<LiveOptions, 'lateWrites' | 'deletionsPerMinute' | 'transcriptChangesPerMinute'>;
  /** The chaos flags as given, for the reproduce command. */
  argv: string[];
}

/** From [chaos flag, value] pairs; throws a message naming the chaos flag. */
export function parseSimulatorModes(given: ReadonlyArray<[string, string]>): SimulatorModes {
  const argv = given.map(([name, value]) => `--${name}=${value}`);
  let options: SimulatorOptions;
  try {
    const parsed = parseCliArgs(['--live', ...given.map(([name, value]) => `--${SIMULATOR_MODE_FLAGS[name]}=${value}`)]);
    if (parsed.help) throw new Error('unreachable: no --help was passed');
    options = parsed.options;
  } catch (error) {
    throw new Error((error as Error).message.replace(/--clock-offset\b/g, '--server-clock-offset'));
  }
  const live = (typeof options.live === 'object' ? options.live : {}) as LiveOptions;
  return {
    ...(options.clockOffsetSeconds === undefined ? {} : { clockOffsetSeconds: options.clockOffsetSeconds }),
    ...(options.bursts === undefined ? {} : { bursts: options.bursts }),
    live: {
      ...(live.lateWrites === undefined ? {} : { lateWrites: live.lateWrites }),
      ...(live.deletionsPerMinute === undefined ? {} : { deletionsPerMinute: live.deletionsPerMinute }),
      ...(live.transcriptChangesPerMinute === undefined ? {} : { transcriptChangesPerMinute: live.transcriptChangesPerMinute }),
    },
    argv,
  };
}
