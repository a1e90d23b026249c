/**
 * The product's own settings, read the way the deployed functions read them: the pipeline
 * policy from loadPipelineConfig's defaults, the function memory and timeouts from the CDK
 * constructs. Benchmarks take these rather than restating numbers that could drift.
 */
import { loadPipelineConfig } from '../../functions/handlers/config.js';
import type { PipelinePolicy } from '../../functions/pipeline/orchestrate.js';
import { CONTINUE_TIMEOUT, FUNCTION_MEMORY_MB, TICK_TIMEOUT } from '../../infra/cdk/constructs/pipeline.js';

/** The deployed defaults, with `overrides` as environment variables would set them. */
export function productPolicy(overrides: Record<string, string> = {}): PipelinePolicy {
  return loadPipelineConfig({
    PIPELINE_SOURCES: JSON.stringify([{ name: 'bench', baseUrl: 'http://127.0.0.1:1', collections: 'all' }]),
    LANDING_BUCKET: 'bench',
    CHECKPOINT_TABLE: 'bench',
    CONTINUATION_QUEUE_URL: 'http://127.0.0.1:1/queue',
    ...overrides,
  }).policy;
}

export const FUNCTION = {
  memoryMb: FUNCTION_MEMORY_MB,
  tickTimeoutMs: TICK_TIMEOUT.toMilliseconds(),
  continueTimeoutMs: CONTINUE_TIMEOUT.toMilliseconds(),
};
