/**
 * What Snowflake needs from this account, in the order Snowflake hands out the values:
 *
 * 1. a role name to put in CREATE STORAGE INTEGRATION: fixed ({@link snowflakeRoleName}), so
 *    its ARN is known before the role exists;
 * 2. with `snowflakeIamUserArn` + `snowflakeExternalId` (from DESC INTEGRATION): the role
 *    itself, which only that Snowflake user with that external id can assume, allowed to
 *    read the landing prefix;
 * 3. with `snowpipeQueueArn` (from SHOW PIPES): S3 event notifications to Snowpipe's queue for
 *    new `.ndjson.gz` files under the prefix, so AUTO_INGEST loads each file once it lands.
 */
import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, arnInFinding } from './acknowledge.js';
import type { LandingZone } from './landingZone.js';

export interface SnowflakeAccessProps {
  landing: LandingZone;
  principal?: { iamUserArn: string; externalId: string };
  snowpipeQueueArn?: string;
}

export const LANDING_SUFFIX = '.ndjson.gz';

export function snowflakeRoleName(stackName: string): string {
  return `${stackName}-snowflake-reader`;
}

export class SnowflakeAccess extends Construct {
  /** The ARN to give CREATE STORAGE INTEGRATION; the role exists once the principal is configured. */
  readonly roleArn: string;
  readonly role: iam.Role | undefined;

  constructor(scope: Construct, id: string, props: SnowflakeAccessProps) {
    super(scope, id);
    const roleName = snowflakeRoleName(Stack.of(this).stackName);
    this.roleArn = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${roleName}`;

    if (props.principal) {
      this.role = new iam.Role(this, 'Role', {
        roleName,
        description: 'Assumed by Snowflake (storage integration) to read the ConveYour landing zone',
        assumedBy: new iam.ArnPrincipal(props.principal.iamUserArn),
        externalIds: [props.principal.externalId],
      });
      props.landing.bucket.grantRead(this.role, `${props.landing.prefix}*`);
      acknowledge(
        this.role,
        `AwsSolutions-IAM5[Resource::${arnInFinding(props.landing.bucket)}/${props.landing.prefix}*]`,
        'Snowflake reads every landed file under the landing prefix; the object wildcard is the prefix grant made by bucket.grantRead.',
      );
      for (const action of ['s3:GetBucket*', 's3:GetObject*', 's3:List*']) {
        acknowledge(this.role, `AwsSolutions-IAM5[Action::${action}]`, `The ${action} wildcard comes from bucket.grantRead, the read-only grant Snowflake's storage integration needs to list and load files.`);
      }
    }

    if (props.snowpipeQueueArn !== undefined) {
      addSnowpipeNotification(props.landing.bucket, props.landing.prefix, props.snowpipeQueueArn);
    }
  }
}

/**
 * Declared on the bucket resource itself rather than through bucket.addEventNotification:
 * that helper deploys a custom-resource Lambda allowed s3:PutBucketNotification on `*`, and
 * Snowpipe's queue (in Snowflake's account) needs no policy change from us.
 */
function addSnowpipeNotification(bucket: s3.Bucket, prefix: string, queueArn: string): void {
  const rules = [...(prefix === '' ? [] : [{ name: 'prefix', value: prefix }]), { name: 'suffix', value: LANDING_SUFFIX }];
  const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
  cfnBucket.notificationConfiguration = {
    queueConfigurations: [{ event: 's3:ObjectCreated:*', queue: queueArn, filter: { s3Key: { rules } } }],
  };
}
