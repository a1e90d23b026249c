/**
 * A poisoned continuation message, through the local runtime's real continue handler and the
 * emulated event source mapping: reported as a failed item on every receive, then moved to the
 * dead-letter queue by the queue's redrive policy, with a log line saying why.
 */
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime.js';
import { waitFor } from '../support/waitFor.js';

let runtime: LocalRuntime;
const logged: string[] = [];
beforeAll(async () => {
  runtime = await startLocalRuntime({
    simulator: { seed: 3, history: { days: 1, counts: { contacts: 10, events: 10, campaigns: 1, lessons: 1, message_reports: 1, tags: 1, triggers: 1, trigger_logs: 1 } } },
    functionTimeoutMs: 10_000,
    visibilityTimeoutSeconds: 1,
    maxReceiveCount: 2,
  });
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      logged.push(String(chunk));
      return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    });
  }
});
afterAll(async () => {
  vi.restoreAllMocks();
  await runtime.close();
});

describe('a poisoned continuation message', () => {
  it('ends in the dead-letter queue after failed deliveries, with a log that says why', async () => {
    const { sqs } = runtime.clients;
    await sqs.send(new SendMessageCommand({ QueueUrl: runtime.resources.queueUrl, MessageBody: '{"source":"local","collection":"nope","runId":"r","hop":1}' }));
    const mapping = runtime.startContinuations(() => undefined);
    try {
      const dead = await waitFor(async () => {
        const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: runtime.resources.deadLetterQueueUrl, WaitTimeSeconds: 0, AttributeNames: ['All'] }));
        return received.Messages?.[0];
      }, 'the message in the DLQ');

      // Had the handler acknowledged it, the message would have been deleted, not dead-lettered.
      expect(dead.Body).toContain('"collection":"nope"');
      expect(mapping.batches).toBeGreaterThanOrEqual(1);
      const reasons = logged.filter((line) => line.includes('malformed continuation message'));
      expect(reasons.length).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(reasons[0]!)).toMatchObject({ level: 'ERROR', error: { code: 'MALFORMED_MESSAGE', message: expect.stringContaining(`collection "nope", not enabled for source 'local'`) } });
      const main = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: runtime.resources.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
      expect(main.Attributes?.ApproximateNumberOfMessages).toBe('0');
    } finally {
      await mapping.stop();
    }
  });
});
