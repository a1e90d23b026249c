/**
 * SQS event source: carries on runs that ran out of time. Reports per-message failures
 * (ReportBatchItemFailures) and never throws for the batch.
 *
 * Only messages that cannot be acted on are failed, so the dead-letter queue holds exactly the
 * poisoned ones. A run that fails is recorded in its checkpoint and retried by the next tick,
 * so its message is acknowledged rather than redelivered into the DLQ.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { runBackfillWindow } from '../backfill/worker.js';
import { describeError } from '../errors/coded.js';
import { parseContinuationMessage } from '../pipeline/messages.js';
import { runContinuation, type InvocationResult } from '../pipeline/orchestrate.js';
import type { Runtime } from './runtime.js';

export type ContinueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** The continue handler on a runtime built by the caller: the local runtime and tests build theirs from their own settings. */
export function createContinueHandler(runtime: Runtime): ContinueHandler {
  return async (event, context) => {
    const startedMs = Date.now();
    const sources = await runtime.sources();
    const failed: string[] = [];
    const combined: InvocationResult = { runs: [], continuations: 0, failures: [] };
    for (const record of event.Records) {
      let message;
      try {
        message = parseContinuationMessage(record.body, runtime.catalog);
      } catch (error) {
        runtime.logger.error('malformed continuation message', { messageId: record.messageId, error: describeError(error) });
        failed.push(record.messageId);
        continue;
      }
      let result: InvocationResult;
      try {
        result = message.backfill ? await runBackfillWindow(message, sources, runtime.deps(context)) : await runContinuation(message, sources, runtime.deps(context));
      } catch (error) {
        // A backfill that does not exist, or a plan that could not be updated: retried, then dead-lettered.
        runtime.logger.error('continuation failed', { messageId: record.messageId, error: describeError(error) });
        failed.push(record.messageId);
        continue;
      }
      combined.runs.push(...result.runs);
      combined.continuations += result.continuations;
      combined.failures.push(...result.failures);
    }
    runtime.report(combined, 'continue', startedMs);
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
