/**
 * Delivers queue messages to the continue handler the way Lambda's SQS event source mapping
 * does: long-poll batches, invoke, delete what succeeded, leave failures to reappear after the
 * visibility timeout, and let the queue's redrive policy move a message to the DLQ after
 * maxReceiveCount receives.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface MappingOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  batchSize: number;
  /** Seconds a long poll waits for messages. */
  waitSeconds: number;
  invoke: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  onError: (error: unknown) => void;
}

export interface EventSourceMapping {
  /** Resolves when the current poll and invocation finished. */
  stop(): Promise<void>;
  /** Batches delivered so far. */
  readonly batches: number;
}

export function startEventSourceMapping(options: MappingOptions): EventSourceMapping {
  let stopped = false;
  let batches = 0;
  const abort = new AbortController();
  const loop = (async () => {
    while (!stopped) {
      try {
        const received = await options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: options.batchSize,
            WaitTimeSeconds: options.waitSeconds,
            MessageSystemAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        const messages = received.Messages ?? [];
        if (messages.length === 0) continue;
        batches += 1;
        await deliver(messages, options);
      } catch (error) {
        if (stopped) break;
        options.onError(error);
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      abort.abort();
      await loop;
    },
    get batches() {
      return batches;
    },
  };
}

async function deliver(messages: Message[], options: MappingOptions): Promise<void> {
  const event: SQSEvent = { Records: messages.map((message) => toRecord(message, options.queueArn)) };
  let failed: Set<string>;
  try {
    const response = await options.invoke(event);
    failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
  } catch (error) {
    // A thrown handler error fails the whole batch: every message comes back after its visibility timeout.
    options.onError(error);
    return;
  }
  const succeeded = messages.filter((message) => !failed.has(message.MessageId ?? ''));
  if (succeeded.length === 0) return;
  await options.sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: options.queueUrl,
      Entries: succeeded.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
    }),
  );
}

function toRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? 'local',
  };
}
