/**
 * How the CLI ends: every failure becomes one line on stderr and an exit code a script can
 * branch on. 2 = the invocation is wrong (fix the command or the .env), 1 = the run failed
 * (the API, the network, the credentials were refused).
 */
import { ConfigError } from '../config/env.js';
import { UnknownCollectionError } from '../conveyour/collections.js';
import { ConveYourError } from '../conveyour/errors.js';
import { CodedError } from '../errors/coded.js';
import { TimeError } from '../time/errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The command line (or a file it names) is wrong. The message says what to write instead. */
export class UsageError extends CodedError {
  readonly code = 'CLI_USAGE';
  override name = 'UsageError';
}

export interface Outcome {
  exitCode: number;
  /** One line, for stderr. */
  message: string;
}

/** Maps any error thrown by a run to its exit code and a one-line message. */
export function outcomeOf(error: unknown): Outcome {
  const message = oneLine(error instanceof Error ? error.message : String(error));
  if (isUsageProblem(error)) return { exitCode: EXIT_USAGE, message };
  return { exitCode: EXIT_FAILURE, message };
}

function isUsageProblem(error: unknown): boolean {
  return (
    error instanceof UsageError ||
    error instanceof TimeError ||
    error instanceof UnknownCollectionError ||
    error instanceof ConfigError ||
    // Anything that names itself a configuration problem, whatever module threw it.
    (error instanceof Error && !(error instanceof ConveYourError) && (error as { code?: unknown }).code === 'CONFIG_INVALID')
  );
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
