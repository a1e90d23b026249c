/** The functions' environment is read and validated once, at cold start: a bad value fails there, naming the variable. */
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
