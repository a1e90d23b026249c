/** The flags of `npm run test:chaos`; bad ones fail with a message naming the flag and what would be valid. */
import { randomInt } from 'node:crypto';
import { PROFILE_NAMES, type ProfileName } from './profiles.js';
import { parseSimulatorModes, SIMULATOR_MODE_FLAGS, SIMULATOR_MODES_USAGE, type SimulatorModes } from './simulatorModes.js';

export const CHAOS_USAGE = `usage: npm run test:chaos -- [--seed=N] [--duration=SECONDS] [--max-duration=SECONDS] [--versions=N] [--profile=standard|quick|calm] [--json | --markdown]
  --seed         seed of every random choice (default: a random one, printed first)
  --duration     seconds of chaos before the pipeline settles (default 180; runs on until every fault kind was met)
  --max-duration ... but no longer than this (default 3 x duration + 30)
  --versions     records in the simulated account at the start (default 100000)
  --profile      fault rates: standard (default), quick (the short run's in npm test) or calm (no fault at all, for the duplicate ratio of plain tailing) (test/chaos/profiles.ts)
  --json         print the report as JSON
  --markdown     print the figures table of RELIABILITY.md
${SIMULATOR_MODES_USAGE}`;

export interface ChaosFlags {
  seed: number;
  durationSec: number;
  maxDurationSec: number | undefined;
  versions: number;
  profile: ProfileName;
  output: 'text' | 'json' | 'markdown';
  /** Only when a simulator mode flag was given. */
  simulator?: SimulatorModes;
}

/** Parses the flags; throws a message naming the flag and what would be valid. */
export function parseChaosFlags(argv: readonly string[]): ChaosFlags | 'help' {
  const flags: ChaosFlags = { seed: randomInt(0, 2 ** 31), durationSec: 180, maxDurationSec: undefined, versions: 100_000, profile: 'standard', output: 'text' };
  const number = (name: string, raw: string, min: number, max: number): number => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, got '${raw}'`);
    return value;
  };
  const modes: Array<[string, string]> = [];
  for (const arg of argv) {
    if (arg === '-h' || arg === '--help') return 'help';
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unexpected argument '${arg}'; flags are written --name=value`);
    const [, name, value] = match as unknown as [string, string, string | undefined];
    const needs = (): string => {
      if (value === undefined) throw new Error(`--${name} needs a value, e.g. --${name}=${name === 'profile' ? 'quick' : '7'}`);
      return value;
    };
    switch (name) {
      case 'seed':
        flags.seed = number(name, needs(), 0, 2 ** 32 - 1);
        break;
      case 'duration':
        flags.durationSec = number(name, needs(), 1, 86_400);
        break;
      case 'max-duration':
        flags.maxDurationSec = number(name, needs(), 1, 86_400);
        break;
      case 'versions':
        flags.versions = number(name, needs(), 100, 5_000_000);
        break;
      case 'profile': {
        const profile = needs();
        if (!(PROFILE_NAMES as string[]).includes(profile)) throw new Error(`--profile must be ${PROFILE_NAMES.join(' or ')}, got '${profile}'`);
        flags.profile = profile as ProfileName;
        break;
      }
      case 'json':
      case 'markdown':
        if (value !== undefined) throw new Error(`--${name} takes no value`);
        flags.output = name;
        break;
      default:
        if (name in SIMULATOR_MODE_FLAGS) {
          modes.push([name, needs()]);
          break;
        }
        throw new Error(`unknown flag --${name}; valid: --seed, --duration, --max-duration, --versions, --profile, --json, --markdown, --help, ${Object.keys(SIMULATOR_MODE_FLAGS).map((f) => `--${f}`).join(', ')}`);
    }
  }
  if (modes.length > 0) flags.simulator = parseSimulatorModes(modes);
  return flags;
}
