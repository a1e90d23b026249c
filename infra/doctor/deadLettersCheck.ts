/**
 * The two dead-letter queues are empty: the continuation queue's (found through its redrive
 * policy) and the schedule's (found through its target). A message in either is work that
 * failed for good; both are safe to purge once read, because every tick resumes in-flight
 * work from the checkpoints and a dead tick has been superseded by the next one.
 */
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { OUTPUT } from '../cdk/outputs.js';
import { describeError, type Finding } from './findings.js';
import { awsCommand, type DoctorClients, type DoctorTarget } from './target.js';

export async function checkDeadLetters(target: DoctorTarget, clients: DoctorClients, scheduleDeadLetterArn: string | undefined): Promise<Finding[]> {
  const findings: Finding[] = [];
  const queueUrl = target.outputs[OUTPUT.continuationQueue]!;
  try {
    const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }));
    const arn = Attributes?.RedrivePolicy ? (JSON.parse(Attributes.RedrivePolicy) as { deadLetterTargetArn?: string }).deadLetterTargetArn : undefined;
    if (arn) findings.push(await checkQueue(target, clients, 'continuations', arn));
    else findings.push({ check: 'dead-letters', subject: 'continuations', verdict: 'problem', detail: `the continuation queue ${queueUrl} has no redrive policy: failing messages are retried forever`, fix: ['npx cdk deploy --outputs-file cdk-outputs.json'] });
  } catch (error) {
    findings.push({ check: 'dead-letters', subject: 'continuations', verdict: 'problem', detail: `could not read the continuation queue: ${describeError(error)}`, fix: [] });
  }
  if (scheduleDeadLetterArn) findings.push(await checkQueue(target, clients, 'schedule', scheduleDeadLetterArn));
  else findings.push({ check: 'dead-letters', subject: 'schedule', verdict: 'skipped', detail: 'the schedule was not read, or names no dead-letter queue' });
  return findings;
}

async function checkQueue(target: DoctorTarget, clients: DoctorClients, subject: string, arn: string): Promise<Finding> {
  // arn:aws:sqs:region:account:name
  const [, , , , account, name] = arn.split(':');
  try {
    const { QueueUrl } = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }));
    const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    const count = Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    if (count === 0) return { check: 'dead-letters', subject, verdict: 'ok', detail: `${name} is empty` };
    const why = subject === 'schedule' ? 'ticks the scheduler could not deliver (the next tick supersedes each)' : 'continuations that failed 5 receives (the next tick resumes their collections from the checkpoints)';
    return {
      check: 'dead-letters',
      subject,
      verdict: 'problem',
      detail: `${name} holds ${count} message${count === 1 ? '' : 's'}: ${why}`,
      fix: [
        `${awsCommand(target, 'sqs', `receive-message --queue-url ${QueueUrl} --max-number-of-messages 10 --visibility-timeout 0 --attribute-names All --message-attribute-names All`)}   # read why first`,
        awsCommand(target, 'sqs', `purge-queue --queue-url ${QueueUrl}`),
      ],
    };
  } catch (error) {
    return { check: 'dead-letters', subject, verdict: 'problem', detail: `could not read ${arn}: ${describeError(error)}`, fix: [] };
  }
}
