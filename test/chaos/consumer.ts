/**
 * The continuation queue's consumer in the chaos run, modelled on Lambda's SQS event source
 * mapping (infra/local/eventSourceMapping.ts): pollers receive batches through the SQS fault
 * proxy, one invocation handles a batch the way handlers/continue.ts does, successes are
 * deleted, and a failed or dead invocation leaves its messages to come back after the
 * visibility timeout. It records every delivery of every message, so a message that reached
 * the dead-letter queue can be explained.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { parseContinuationMessage, type Catalog } from '../../functions/pipeline/messages.js';
import { runContinuation, type PipelineDeps, type SourceRuntime } from '../../functions/pipeline/orchestrate.js';
import type { ChaosInvocation } from './invocation.js';

/** How one delivery of a message ended. */
export type DeliveryOutcome =
  | 'done' // handled and deleted
  | 'malformed' // reported as a batch item failure
  | 'send failed' // the next hop could not be queued (SQS faults outlasted the SDK's retries): retried by SQS
  | 'failed' // runContinuation threw anything else
  | 'invocation died' // a crash or the function timeout: the whole batch comes back
  | 'timed out after its work' // the injected "redelivery after the visibility timeout"
  | 'delete failed'; // handled, but the delete did not go through: it comes back

/** Between two polls that found the queue empty. */
const EMPTY_POLL_PAUSE_MS = 25;

export interface ConsumerOptions {
  sqs: SQSClient;
  queueUrl: string;
  pollers: number;
  catalog: Catalog;
  /** The sources as an invocation reads them at its start (their secrets may be unreadable). */
  sources: () => Promise<SourceRuntime[]>;
  /** A fresh invocation (ports, deps) per batch, as Lambda starts one per batch. */
  invoke: () => { invocation: ChaosInvocation; deps: PipelineDeps };
  /** Whether this batch's invocation "times out" after doing its work, so SQS redelivers it. */
  timesOutAfterWork: (batch: number) => boolean;
  /** Called once the batch's invocation is over, dead or alive. */
  finished: (invocation: ChaosInvocation) => void;
  onError: (error: unknown) => void;
}

export class ContinuationConsumer {
  readonly deliveries = new Map<string, DeliveryOutcome[]>();
  batches = 0;
  private busy = 0;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[];

  constructor(private readonly options: ConsumerOptions) {
    this.loops = Array.from({ length: options.pollers }, () => this.poll());
  }

  /** No batch is being handled right now. */
  get idle(): boolean {
    return this.busy === 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await Promise.all(this.loops);
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      try {
        // Short polls: local-aws-sqs answers a long poll only when it has a full batch or the wait ends,
        // which would add a second to every hop of a continuation chain.
        const received = await this.options.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: this.options.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }),
          { abortSignal: this.abort.signal },
        );
        const messages = received.Messages ?? [];
        if (this.stopped) break;
        if (messages.length === 0) {
          await new Promise((resolve) => setTimeout(resolve, EMPTY_POLL_PAUSE_MS));
          continue;
        }
        this.busy += 1;
        try {
          await this.handle(messages, ++this.batches);
        } finally {
          this.busy -= 1;
        }
      } catch (error) {
        if (this.stopped) break;
        this.options.onError(error);
      }
    }
  }

  private record(message: Message, outcome: DeliveryOutcome): void {
    const id = message.MessageId ?? '';
    this.deliveries.set(id, [...(this.deliveries.get(id) ?? []), outcome]);
  }

  /** What handlers/continue.ts does with a batch, on a crashable invocation. */
  private async handle(messages: Message[], batch: number): Promise<void> {
    const { invocation, deps } = this.options.invoke();
    const outcomes = new Map<Message, DeliveryOutcome>();
    try {
      const sources = invocation.watched(await this.options.sources());
      for (const message of messages) {
        let parsed;
        try {
          parsed = parseContinuationMessage(message.Body ?? '', this.options.catalog);
        } catch {
          outcomes.set(message, 'malformed');
          continue;
        }
        try {
          await runContinuation(parsed, sources, deps);
          outcomes.set(message, invocation.dead ? 'invocation died' : 'done');
        } catch (error) {
          const sendFailed = (error as { code?: unknown }).code === 'CONTINUATION_SEND_FAILED';
          outcomes.set(message, invocation.dead ? 'invocation died' : sendFailed ? 'send failed' : 'failed');
        }
        if (invocation.dead) break;
      }
    } finally {
      invocation.resume();
      this.options.finished(invocation);
    }
    if (invocation.dead) {
      for (const message of messages) this.record(message, 'invocation died');
      return;
    }
    if (this.options.timesOutAfterWork(batch)) {
      for (const message of messages) this.record(message, 'timed out after its work');
      return;
    }
    const succeeded = messages.filter((message) => outcomes.get(message) === 'done');
    for (const message of messages) if (outcomes.get(message) !== 'done') this.record(message, outcomes.get(message) ?? 'failed');
    if (succeeded.length === 0) return;
    try {
      const result = await this.options.sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: succeeded.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })) }),
      );
      const failedIds = new Set((result.Failed ?? []).map((entry) => entry.Id));
      succeeded.forEach((message, index) => this.record(message, failedIds.has(String(index)) ? 'delete failed' : 'done'));
    } catch (error) {
      for (const message of succeeded) this.record(message, 'delete failed');
      this.options.onError(error);
    }
  }
}
