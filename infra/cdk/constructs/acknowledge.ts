/**
 * Acknowledges one cdk-nag finding on one construct, with a written reason. cdk-nag 3 reads
 * acknowledgements from CDK's own `Validations.of(...).acknowledge()`; each finding (for
 * IAM5: each wildcard) is acknowledged by its exact id, so nothing is silenced in bulk.
 */
import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Fewer words than this is a label, not a reason. */
export const MIN_REASON_WORDS = 10;

/**
 * @example acknowledge(bucket, 'AwsSolutions-S1', 'This is the access log bucket; logging it into itself would loop forever.')
 */
export function acknowledge(scope: IConstruct, ruleId: string, reason: string): void {
  const words = reason.trim().split(/\s+/).length;
  if (words < MIN_REASON_WORDS) {
    throw new Error(`the acknowledgement of ${ruleId} on ${scope.node.path} needs a reason of at least ${MIN_REASON_WORDS} words, got ${words}: "${reason}"`);
  }
  Validations.of(scope).acknowledge({ id: ruleId, reason });
}

/**
 * How cdk-nag writes a resource's ARN inside a finding id: `<LogicalId.Arn>`.
 * @example `AwsSolutions-IAM5[Resource::${arnInFinding(bucket)}/prefix/*]`
 */
export function arnInFinding(construct: IConstruct): string {
  const resource = construct.node.defaultChild;
  if (!(resource instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource to name in a finding`);
  return `<${Stack.of(resource).resolve(resource.logicalId) as string}.Arn>`;
}
