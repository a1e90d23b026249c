/** ContinuationQueue on SQS: one SendMessage per continuation, the body from the core's encoder. */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CodedError } from '../errors/coded.js';
import { encodeContinuationMessage } from '../pipeline/messages.js';
import type { ContinuationMessage, ContinuationQueue, WriteOptions } from '../pipeline/ports.js';

/** A continuation could not be queued; the checkpoint still holds the cursor, so the next tick resumes it. */
export class ContinuationSendError extends CodedError {
  readonly code = 'CONTINUATION_SEND_FAILED';
  override readonly retriable = true;
  override name = 'ContinuationSendError';
}

export class SqsContinuationQueue implements ContinuationQueue {
  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
  ) {}

  async send(message: ContinuationMessage, options: { delaySeconds?: number } & WriteOptions = {}): Promise<void> {
    const delay = options.delaySeconds === undefined ? undefined : Math.min(900, Math.max(0, Math.ceil(options.delaySeconds)));
    try {
      await this.sqs.send(
        new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: encodeContinuationMessage(message), ...(delay ? { DelaySeconds: delay } : {}) }),
        options.signal ? { abortSignal: options.signal } : {},
      );
    } catch (error) {
      const { name, message: reason } = error instanceof Error ? error : { name: 'Error', message: String(error) };
      throw new ContinuationSendError(
        `SQS SendMessage to ${this.queueUrl} for ${message.source}/${message.collection} (run ${message.runId}, hop ${message.hop}) failed: ${name}: ${reason}`,
        { cause: error },
      );
    }
  }
}
