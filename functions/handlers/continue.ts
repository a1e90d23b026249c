/**
 * SQS event source: carries on runs that ran out of time. Reports per-message failures
 * (ReportBatchItemFailures) and never throws for the batch.
 *
 * Only messages that cannot be acted on are failed, so the dead-letter queue holds exactly the
 * poisoned ones. A run that fails is recorded in its checkpoint and retried by the next tick,
 * so its message is acknowledged rather than redelivered into the DLQ.
 */
import { createRuntime } from './runtime.js';
import { createContinueHandler } from './continueHandler.js';

// Built once per container, at init: a bad setting fails the cold start with a message naming it.
export const handler = createContinueHandler(createRuntime(process.env));
