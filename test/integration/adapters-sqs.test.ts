/** SqsContinuationQueue and the provisioned redrive policy, through the real SQS client against local-aws-sqs. */
import { GetQueueAttributesCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContinuationSendError, SqsContinuationQueue } from '../../functions/adapters/sqsContinuationQueue.js';
import { parseContinuationMessage } from '../../functions/pipeline/messages.js';
import type { ContinuationMessage } from '../../functions/pipeline/ports.js';
import { startAwsEmulators, type AwsTestEnv } from '../support/awsEmulators.js';

let aws: AwsTestEnv;
beforeAll(async () => {
  aws = await startAwsEmulators();
});
afterAll(async () => {
  await aws?.close();
});

const catalog = new Map([['acme', ['contacts', 'events']]]);
const message: ContinuationMessage = { source: 'acme', collection: 'contacts', runId: 'run-1', hop: 3 };

/**
 * One long-poll receive of at most one message; [] when none arrived within waitSeconds.
 * local-aws-sqs answers a long poll only once MaxNumberOfMessages are in hand (SQS answers with
 * whatever is there), and reads the older `AttributeNames` for system attributes: ask for one,
 * in both spellings.
 */
async function receive(queueUrl: string, waitSeconds: number): Promise<Message[]> {
  const { Messages = [] } = await aws.clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      WaitTimeSeconds: waitSeconds,
      MaxNumberOfMessages: 1,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      AttributeNames: ['All'],
    }),
  );
  return Messages;
}

describe('SqsContinuationQueue', () => {
  it('sends a message that is received and parses back to the same continuation', async () => {
    const { queue, queueUrl } = await aws.fresh();

    await queue.send(message);
    const received = await receive(queueUrl, 2);

    expect(received).toHaveLength(1);
    expect(parseContinuationMessage(received[0]!.Body!, catalog)).toEqual(message);
  });

  it('fails with an error naming the queue and the continuation it could not send', async () => {
    const missing = new SqsContinuationQueue(aws.clients.sqs, `${aws.emulators.endpoints.sqs}/123456789012/no-such-queue`);

    const send = missing.send(message);

    await expect(send).rejects.toThrow(ContinuationSendError);
    await expect(send).rejects.toThrow(/no-such-queue.*acme\/contacts \(run run-1, hop 3\)/);
  });
});

describe('provisioned continuation queue', () => {
  it('moves a message to the dead-letter queue after maxReceiveCount receives without a delete', async () => {
    const maxReceiveCount = 2;
    const { queue, queueUrl, deadLetterQueueUrl } = await aws.fresh({ maxReceiveCount, visibilityTimeoutSeconds: 0 });
    await queue.send(message);

    // Each receive without a delete counts; with a zero visibility timeout the message is offered again at once.
    const counts: string[] = [];
    while (counts.length < maxReceiveCount) {
      const received = await receive(queueUrl, 2);
      expect(received).toHaveLength(1);
      counts.push(received[0]!.Attributes!.ApproximateReceiveCount!);
    }
    const deadLettered = await receive(deadLetterQueueUrl, 5);

    expect(counts).toEqual(['1', '2']);
    expect(deadLettered).toHaveLength(1);
    expect(parseContinuationMessage(deadLettered[0]!.Body!, catalog)).toEqual(message);
    expect(await receive(queueUrl, 0)).toEqual([]);
  });

  it('carries the visibility timeout and redrive policy it was given', async () => {
    const { queueUrl, deadLetterQueueArn } = await aws.fresh({ maxReceiveCount: 7, visibilityTimeoutSeconds: 360 });

    const { Attributes } = await aws.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));

    expect(Attributes?.VisibilityTimeout).toBe('360');
    expect(JSON.parse(Attributes!.RedrivePolicy!)).toEqual({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount: 7 });
  });
});
