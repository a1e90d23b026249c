/** The functions' environment is read and validated once, at cold start: a bad value fails there, naming the variable. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_HOPS } from '../../functions/config/limits.js';
import { loadPipelineConfig } from '../../functions/handlers/config.js';
import { MAX_HOPS } from '../../infra/cdk/constructs/pipeline.js';

const BASE = {
  PIPELINE_SOURCES: JSON.stringify([{ name: 'acme', domain: 'acme.conveyour.com', collections: ['events'] }]),
  LANDING_BUCKET: 'bucket',
  CHECKPOINT_TABLE: 'table',
  CONTINUATION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
};

describe('loadPipelineConfig', () => {
  it('reads the backfill timings with the rest, in seconds, with their defaults', () => {
    expect(loadPipelineConfig(BASE).backfill).toEqual({ stallMs: 120_000, throttleHoldMs: 30_000 });
    expect(loadPipelineConfig({ ...BASE, BACKFILL_STALL_SECONDS: '300', BACKFILL_THROTTLE_HOLD_SECONDS: '5' }).backfill).toEqual({ stallMs: 300_000, throttleHoldMs: 5_000 });
  });

  it.each([
    ['BACKFILL_STALL_SECONDS', '10'],
    ['BACKFILL_THROTTLE_HOLD_SECONDS', 'soon'],
    ['LAG_METRIC_FLOOR_SECONDS', '-1'],
  ])('refuses %s=%s at cold start, naming the variable', (name, value) => {
    expect(() => loadPipelineConfig({ ...BASE, [name]: value })).toThrow(name);
  });

  it('takes MAX_HOPS from the same place as the stack', () => {
    expect(loadPipelineConfig(BASE).policy.maxHops).toBe(DEFAULT_MAX_HOPS);
    expect(MAX_HOPS).toBe(DEFAULT_MAX_HOPS);
  });
});

describe('process.env under functions/', () => {
  /** Where it may appear, and why: everything else takes an `env` argument, read through config/env.ts. */
  const ALLOWED: Record<string, string> = {
    'handlers/tick.ts': 'the entry point hands it to createRuntime, which reads it once at cold start',
    'handlers/continue.ts': 'the same, for the continue function',
    'cli/main.ts': 'the CLI sets TZ and hands the environment to its run',
    'cli/bin.mjs': 'the CLI sets TZ before anything loads',
    'lib/stream.ts': "the library's default dependencies, overridable by the caller",
    'config/sdkNodeNotice.ts': "writes the SDK's own switch, reads nothing",
    'lib/options.ts': 'names it in an error message, reads nothing',
  };

  function files(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
  }

  it('appears only where an entry point hands the environment to the config readers', () => {
    const root = path.resolve(import.meta.dirname, '../../functions');
    const users = files(root)
      .filter((file) => /\.(ts|mts|mjs)$/.test(file) && /process\.env\b/.test(readFileSync(file, 'utf8').replace(/^\s*(\/\/|\*).*$/gm, '')))
      .map((file) => path.relative(root, file).split(path.sep).join('/'));
    expect(users.filter((file) => !(file in ALLOWED))).toEqual([]);
  });
});
