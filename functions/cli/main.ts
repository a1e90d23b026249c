/**
 * Entry point: `npm run stream -- --collection=events --start_time='-15 minutes'`, or the
 * package's `conveyour-stream` bin. Pins the time zone, loads .env, runs, exits.
 */
import '../config/sdkNodeNotice.js';
import { readFileSync } from 'node:fs';
import dotenv from 'dotenv';
import { runCli } from './cli.js';

// strtotime phrases ("yesterday") resolve in the process time zone; Node re-reads TZ on assignment.
process.env.TZ = 'UTC';
// quiet: dotenv otherwise announces itself, and stdout carries only records.
dotenv.config({ quiet: true });

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** First signal: finish the page in hand and exit 0. A second one: leave now (128 + SIGINT). */
function onStopSignal(listener: (signal: string) => void): () => void {
  let received = 0;
  const handler = (signal: string): void => {
    received += 1;
    if (received > 1) process.exit(130);
    listener(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
  };
}

// A closed stderr (`2>&1 | head`) leaves nowhere to report anything: carry on quietly.
process.stderr.on('error', () => {});

process.exitCode = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stderrIsTTY: process.stderr.isTTY === true,
  stdoutIsTTY: process.stdout.isTTY === true,
  readFile: (path) => readFileSync(path, 'utf8'),
  onStopSignal,
});
