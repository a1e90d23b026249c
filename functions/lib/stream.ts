/**
 * `stream(config)` and `lessonTranscripts(config)`: the original client's library calls, on
 * the CLI's run loop (functions/cli/run.ts), so a script gets what `conveyour-stream` does:
 * windows that tile time under `watch`, an expired cursor read again, a failed poll retried at
 * the next one, and a stop that finishes the record in hand.
 */
import { DEFAULT_SETTLE_SECONDS } from '../config/limits.js';
import { type Env, ConfigError } from '../config/env.js';
import { type ClientOptions, ConveYourClient } from '../conveyour/client.js';
import { TRANSCRIPTS } from '../conveyour/collections.js';
import { streamCollection } from '../conveyour/stream.js';
import type { PageSource } from '../conveyour/types.js';
import { formatRequestEvent } from '../cli/debug.js';
import { runStream } from '../cli/run.js';
import type { RecordSink } from '../cli/sinks.js';
import { unixNow } from '../time/timeExpression.js';
import { type ReadConfig, type StreamConfig, type StreamResult, type TranscriptParams, type TranscriptRecord, checkConfig } from './options.js';

/** What a run needs from the world; tests pass a fake source, clock and sleep. */
export interface LibraryDependencies {
  createSource: (options: ClientOptions) => PageSource & { close(): Promise<void> };
  /** Milliseconds since the epoch. */
  clock: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Read for CONVEYOUR_BASE_URL only. */
  env: Env;
  /** Where `debug: true` and the default `warn` write. */
  stderr: (line: string) => void;
  /** `watch`: a window covers up to the server's Date minus this (the README's time model); absent: 0. */
  settleSeconds?: number;
}

export const defaultDependencies = (): LibraryDependencies => ({
  createSource: (options) => new ConveYourClient(options),
  clock: Date.now,
  env: process.env,
  stderr: (line) => process.stderr.write(`${line}\n`),
  settleSeconds: DEFAULT_SETTLE_SECONDS,
});

/**
 * Reads `params.collection` over `[start_time, end_time)` and awaits `callback` for each
 * record in order; with `watch`, keeps reading what changes until `signal` aborts.
 * Any collection works, `lesson_transcripts` included (records then carry `contact`).
 *
 * @returns once the window is read (`onComplete` has run) or the stream was stopped.
 * @throws (rejects with) ConfigError, UnknownCollectionError or a TimeError for a bad config,
 * before any request; a ConveYourError (AuthError, RetriesExhaustedError, ...) when the API
 * fails for good; or whatever `callback` / `onComplete` threw.
 * @example
 * await stream({ credentials, params: { collection: 'events', start_time: '-15 minutes' }, callback: save });
 */
export function stream(config: StreamConfig): Promise<StreamResult> {
  return runLibraryStream(config, defaultDependencies());
}

/**
 * The lesson transcripts of every contact created or updated in the window (the window
 * selects contacts, not transcripts), each with its contact embedded as `contact`.
 * Same options and outcome as {@link stream}.
 */
export function lessonTranscripts(config: StreamConfig<TranscriptRecord, TranscriptParams>): Promise<StreamResult> {
  return runLibraryStream(transcriptsConfig(config), defaultDependencies());
}

/** lessonTranscripts' config as a stream config; exported for tests. */
export function transcriptsConfig<C extends ReadConfig<TranscriptParams>>(config: C): Omit<C, 'params'> & ReadConfig {
  const collection = config?.params?.collection;
  if (collection !== undefined && collection !== TRANSCRIPTS) {
    throw new ConfigError('params.collection', `lessonTranscripts reads lesson_transcripts only, got params.collection '${String(collection)}'; use stream() for other collections`);
  }
  return { ...config, params: { ...config.params, collection: TRANSCRIPTS } };
}

/** {@link stream} with its dependencies passed in. */
export async function runLibraryStream(config: StreamConfig, deps: LibraryDependencies): Promise<StreamResult> {
  const checked = checkConfig(config, unixNow(deps.clock), deps.env);
  const callback = optionalFunction(config.callback, 'callback');
  const onComplete = optionalFunction(config.onComplete, 'onComplete');
  const debugLine = debugWriter(config.debug, deps.stderr);
  const warn = optionalFunction(config.warn, 'warn') ?? deps.stderr;
  if (config.signal?.aborted) return { status: 'stopped', records: 0 };

  // Our own controller, so a stop between records also ends the page being read.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(config.signal?.reason);
  config.signal?.addEventListener('abort', onAbort, { once: true });
  let delivered = 0;
  const sink: RecordSink = {
    open: async () => {},
    records: async (records) => {
      for (const record of records) {
        if (stop.signal.aborted) return;
        await callback?.(record);
        delivered += 1;
      }
    },
    windowComplete: async () => {},
  };
  let source: (PageSource & { close(): Promise<void> }) | undefined;
  try {
    source = deps.createSource({
      baseUrl: checked.baseUrl,
      credentials: checked.credentials,
      ...(debugLine ? { onEvent: (event) => debugLine(formatRequestEvent(event)) } : {}),
    });
    const pages = source;
    const status = await runStream(
      { collection: checked.collection, window: checked.window, watch: checked.watch, intervalMs: checked.intervalMs },
      {
        read: (window, signal) => streamCollection(pages, { collection: checked.collection, window }, { signal }),
        sink,
        // The run loop writes its own `[debug]` lines only when debug is on; everything else it logs is a warning.
        reporter: { page: () => {}, status: () => {}, log: (line) => (line.startsWith('[debug]') ? debugLine?.(line) : warn(line)) },
        signal: stop.signal,
        nowSeconds: () => unixNow(deps.clock),
        ...(deps.settleSeconds === undefined ? {} : { settleSeconds: deps.settleSeconds }),
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
        debug: debugLine !== undefined,
      },
    );
    if (status === 'completed') await onComplete?.();
    return { status, records: delivered };
  } finally {
    config.signal?.removeEventListener('abort', onAbort);
    await source?.close();
  }
}

function debugWriter(debug: ReadConfig['debug'], stderr: (line: string) => void): ((line: string) => void) | undefined {
  if (debug === undefined || debug === false) return undefined;
  if (debug === true) return stderr;
  return optionalFunction(debug, 'debug');
}

function optionalFunction<F>(value: F | undefined, name: string): F | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'function') throw new ConfigError(name, `${name} must be a function, got ${typeof value}`);
  return value;
}
