/**
 * One Secrets Manager secret per ConveYour source, holding `{"appkey": "...", "token": "..."}`.
 * The stack creates each with a random placeholder; the real values are set once with
 * `aws secretsmanager put-secret-value` (docs/deploy.md), so they never pass through a
 * template, a CDK context file or a deploy log.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge.js';

export interface SourceCredentialsProps {
  sourceNames: readonly string[];
}

/** The secret name of a source: fixed, so the docs' put-secret-value command can name it. */
export function secretNameOf(stackName: string, source: string): string {
  return `${stackName}/conveyour/${source}`;
}

export class SourceCredentials extends Construct {
  private readonly secrets = new Map<string, secretsmanager.Secret>();

  constructor(scope: Construct, id: string, props: SourceCredentialsProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    for (const source of props.sourceNames) {
      const secret = new secretsmanager.Secret(this, `Source-${source}`, {
        secretName: secretNameOf(stackName, source),
        description: `ConveYour API credentials of source '${source}'; set the value with put-secret-value, see docs/deploy.md`,
        // A random placeholder: the function fails with a clear message until the real JSON is set.
        generateSecretString: { passwordLength: 32, excludePunctuation: true },
        // Kept when the source leaves sources.json or the stack is deleted: CloudFormation
        // deletes a secret with no recovery window, and the credentials would be gone for good.
        // Adding the source back then needs the retained secret deleted (docs/deploy.md).
        removalPolicy: RemovalPolicy.RETAIN,
      });
      acknowledge(
        secret,
        'AwsSolutions-SMG4',
        'ConveYour issues these API credentials in its own admin console and offers no API to rotate them, so a rotation Lambda would have nothing to call.',
      );
      this.secrets.set(source, secret);
    }
  }

  /** The secret name the function reads for `source`. */
  secretName(source: string): string {
    return secretNameOf(Stack.of(this).stackName, source);
  }

  secretOf(source: string): secretsmanager.Secret {
    const secret = this.secrets.get(source);
    if (!secret) throw new Error(`no secret for source '${source}'; sources: ${[...this.secrets.keys()].join(', ')}`);
    return secret;
  }

  grantRead(grantee: iam.IGrantable): void {
    for (const secret of this.secrets.values()) secret.grantRead(grantee);
  }
}
