/**
 * The landing bucket's S3 event notification to Snowpipe's queue. "Configured" is what the
 * operator says (`--snowpipe-queue-arn`, the ARN from SHOW PIPES, as given to the stack):
 * then it must be there; without it, a notification found is reported, none is not a problem.
 */
import { GetBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';
import { OUTPUT } from '../cdk/outputs.js';
import { describeError, errorName, type Finding } from './findings.js';
import type { DoctorClients, DoctorTarget } from './target.js';

export async function checkSnowpipe(target: DoctorTarget, clients: DoctorClients, expectedQueueArn: string | undefined): Promise<Finding> {
  const bucket = target.outputs[OUTPUT.landingBucket]!;
  const deploy = `npx cdk deploy -c snowpipeQueueArn=${expectedQueueArn ?? 'ARN'} --outputs-file cdk-outputs.json`;
  let queues: string[];
  try {
    const configuration = await clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    queues = (configuration.QueueConfigurations ?? []).map((queue) => queue.QueueArn ?? '');
  } catch (error) {
    if (errorName(error) === 'NotImplemented') return { check: 'snowpipe', subject: bucket, verdict: 'skipped', detail: 'this S3 endpoint does not implement bucket notifications (s3rver)' };
    return { check: 'snowpipe', subject: bucket, verdict: expectedQueueArn ? 'problem' : 'skipped', detail: `could not read the bucket's notifications: ${describeError(error)}`, ...(expectedQueueArn ? { fix: [] } : {}) };
  }
  if (expectedQueueArn === undefined) {
    return queues.length === 0
      ? { check: 'snowpipe', subject: bucket, verdict: 'skipped', detail: 'no notification, none expected (give --snowpipe-queue-arn once Snowpipe is set up)' }
      : { check: 'snowpipe', subject: bucket, verdict: 'ok', detail: `notifies ${queues.join(', ')}` };
  }
  if (queues.includes(expectedQueueArn)) return { check: 'snowpipe', subject: bucket, verdict: 'ok', detail: `notifies Snowpipe's queue ${expectedQueueArn}` };
  return {
    check: 'snowpipe',
    subject: bucket,
    verdict: 'problem',
    detail: `no notification to ${expectedQueueArn}${queues.length ? ` (it notifies ${queues.join(', ')})` : ''}: Snowpipe loads nothing new; after the deploy, run ALTER PIPE ... REFRESH`,
    fix: [deploy],
  };
}
