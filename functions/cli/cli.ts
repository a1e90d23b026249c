/**
 * The CLI as a function of its inputs: argv, environment, files, streams, signals. main.ts
 * passes the real process; tests pass their own and read the exit code it returns.
 */
import type { Writable } from 'node:stream';
import type { Env } from '../config/env.js';
import { DEFAULT_SETTLE_SECONDS } from '../config/limits.js';
import { type ClientOptions, ConveYourClient, clientOptionsFromEnv } from '../conveyour/client.js';
import { TRANSCRIPTS } from '../conveyour/collections.js';
import { streamCollection } from '../conveyour/stream.js';
import type { PageSource } from '../conveyour/types.js';
import { unixNow } from '../time/timeExpression.js';
import { parseCommandLine } from './args.js';
import { clientTuningFromEnv } from '../conveyour/tuning.js';
import { formatRequestEvent } from './debug.js';
import { EXIT_OK, UsageError, outcomeOf } from './errors.js';
import { type CliCommand, buildCommand } from './options.js';
import { LineWriter } from './output.js';
import { Progress } from './progress.js';
import { runStream } from './run.js';
import { discoverCatalog } from './singer.js';
import { ndjsonSink, singerSink } from './sinks.js';
import { usageText } from './usage.js';

export interface CliIo {
  argv: readonly string[];
  env: Env;
  stdout: Writable;
  stderr: Writable;
  /** `process.stderr.isTTY`: the progress line is drawn only for a person watching stderr... */
  stderrIsTTY: boolean;
  /** ...while the records go elsewhere: on the same terminal the redraws would tear the records apart. */
  stdoutIsTTY?: boolean;
  readFile: (path: string) => string;
  /** Registers a stop-signal listener (SIGINT, SIGTERM); returns its removal. */
  onStopSignal: (listener: (signal: string) => void) => () => void;
  clock?: () => number;
  /** The page source; the real client unless a test passes a fake. */
  createSource?: (options: ClientOptions) => PageSource & { close(): Promise<void> };
}

const PROGRAM = 'conveyour-stream';

/** Runs one invocation; resolves to the exit code (0 done or stopped, 1 failure, 2 usage). */
export async function runCli(io: CliIo): Promise<number> {
  const clock = io.clock ?? Date.now;
  let command: CliCommand;
  try {
    command = buildCommand(parseCommandLine(io.argv, io.env), { env: io.env, now: unixNow(clock), readFile: io.readFile });
  } catch (error) {
    return fail(io.stderr, error);
  }
  const stop = new AbortController();
  const writer = new LineWriter(io.stdout, () => stop.abort());
  if (command.kind === 'help' || command.kind === 'discover') {
    try {
      await writer.write(command.kind === 'help' ? usageText() : `${JSON.stringify(discoverCatalog(), null, 2)}\n`);
      return EXIT_OK;
    } catch (error) {
      return fail(io.stderr, error);
    }
  }

  const { plan, output } = command;
  const progress = new Progress({
    target: io.stderr,
    isTTY: io.stderrIsTTY && io.stdoutIsTTY !== true,
    clock,
    unit: plan.collection === TRANSCRIPTS ? 'contacts' : 'pages',
  });
  const removeSignalListener = io.onStopSignal(() => stop.abort());
  let source: (PageSource & { close(): Promise<void> }) | undefined;
  try {
    const options: ClientOptions = {
      ...clientOptionsFromEnv(command.connectionEnv),
      ...clientTuningFromEnv(io.env),
      ...(command.debug ? { onEvent: (event) => progress.log(formatRequestEvent(event)) } : {}),
    };
    source = createSource(io, options);
    const pageSource = source;
    const sink =
      output.format === 'singer'
        ? singerSink(writer, plan.collection, command.priorState, output.fields)
        : ndjsonSink(writer, output);
    await runStream(plan, {
      read: (window, signal) => streamCollection(pageSource, { collection: plan.collection, window }, { signal }),
      sink,
      reporter: progress,
      signal: stop.signal,
      nowSeconds: () => unixNow(clock),
      debug: command.debug,
      settleSeconds: DEFAULT_SETTLE_SECONDS,
    });
    progress.finish();
    return EXIT_OK;
  } catch (error) {
    progress.finish();
    return fail(io.stderr, error);
  } finally {
    removeSignalListener();
    await source?.close();
  }
}

/** The client checks its options when built (a header-unsafe token, say): that is bad setup, exit 2. */
function createSource(io: CliIo, options: ClientOptions): PageSource & { close(): Promise<void> } {
  try {
    return (io.createSource ?? ((checked) => new ConveYourClient(checked)))(options);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function fail(stderr: Writable, error: unknown): number {
  const { exitCode, message } = outcomeOf(error);
  stderr.write(`${PROGRAM}: ${message}\n`);
  return exitCode;
}
