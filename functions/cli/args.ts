/**
 * argv (and the npm_config_* fallback) to raw flag values. Only shape is checked here:
 * known flags, values where values belong. What the values mean is options.ts's job.
 */
import { parseArgs } from 'node:util';
import type { Env } from '../config/env.js';
import { ALIASES, FLAGS, FLAG_NAMES, type FlagName, isFlagName, validFlagList } from './flags.js';
import { UsageError } from './errors.js';

export type RawArgs = {
  [K in FlagName]?: (typeof FLAGS)[K]['type'] extends 'boolean' ? boolean : string;
};

/**
 * Reads flags from argv, then fills the ones argv lacks from `npm_config_<flag>`: that is how
 * `npm run stream --collection=events` (no `--`) hands its flags over, as the original tool
 * expected. argv wins.
 */
export function parseCommandLine(argv: readonly string[], env: Env): RawArgs {
  const fromArgv = parseArgv(argv, env);
  const merged: Record<string, string | boolean> = { ...fromNpmConfig(env) };
  for (const [name, value] of Object.entries(fromArgv)) merged[name] = value;
  return merged as RawArgs;
}

/**
 * util.parseArgs in its non-strict, token mode, with our own checks on every token: strict
 * mode refuses `--start_time '-15 minutes'` (a value starting with a dash), the most common
 * value this CLI takes, and its messages are not ours to keep stable.
 */
function parseArgv(argv: readonly string[], env: Env): Record<string, string | boolean> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const name of FLAG_NAMES) {
    const spec = FLAGS[name];
    options[name] = 'short' in spec ? { type: spec.type, short: spec.short } : { type: spec.type };
  }
  for (const [alias, name] of Object.entries(ALIASES)) options[alias] = { type: FLAGS[name].type };

  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | boolean> = {};
  const givenAs: Record<string, string> = {};
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') throw unexpectedArgument(token.value, env);
    const name = ALIASES[token.name] ?? token.name;
    if (!isFlagName(name)) throw new UsageError(`unknown flag ${token.rawName}; valid flags: ${validFlagList()}`);
    const spec: { type: string; example?: string } = FLAGS[name];
    if (spec.type === 'boolean') {
      if (token.value !== undefined) {
        throw new UsageError(`--${name} takes no value; write --${name} alone (got ${token.rawName}=${token.value})`);
      }
      values[name] = true;
      continue;
    }
    // Without '=', a following flag was swallowed as the value: `--start_time --watch`.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--'))) {
      throw new UsageError(`--${name} needs a value, e.g. --${name}=${spec.example}`);
    }
    const previous = values[name];
    if (typeof previous === 'string' && previous !== token.value) {
      throw new UsageError(`--${name} is given twice ('${previous}' as ${givenAs[name]}, '${token.value}' as ${token.rawName}); give it once`);
    }
    values[name] = token.value;
    givenAs[name] = token.rawName;
  }
  return values;
}

function unexpectedArgument(value: string, env: Env): UsageError {
  if (env.npm_lifecycle_event !== undefined) {
    // `npm run stream --format=singer` : npm expands --format to its own --format-package-lock
    // and passes 'singer' on as an argument.
    return new UsageError(
      `unexpected argument '${value}': npm run keeps some flags for itself (such as --format); ` +
        `put -- before the flags: npm run stream -- --collection=events ...`,
    );
  }
  return new UsageError(`unexpected argument '${value}': flags are written --name=value; valid flags: ${validFlagList()}`);
}

/**
 * npm (11) sets `npm_config_<flag>` for each flag it does not know: 'true' for a bare flag,
 * '' for `--flag=false`, the text for `--flag=value`. As in the original, '' means off.
 */
function fromNpmConfig(env: Env): Record<string, string | boolean> {
  const values: Record<string, string | boolean> = {};
  for (const name of FLAG_NAMES) {
    if (name === 'help') continue; // `npm run stream --help` is npm's own help.
    const raw = env[`npm_config_${name}`];
    if (raw === undefined) continue;
    if (FLAGS[name].type === 'boolean') {
      if (raw !== 'false' && raw !== '') values[name] = true;
    } else if (raw !== '' && raw !== 'true') {
      values[name] = raw;
    } else {
      // `--collection` with no value: npm records it as 'true'.
      throw new UsageError(`--${name} needs a value, e.g. --${name}=${(FLAGS[name] as { example?: string }).example}`);
    }
  }
  return values;
}
