/**
 * A pipeline Lambda function with the settings both handlers share fixed once: Node.js 22
 * on arm64, an esbuild bundle made on this machine (never Docker) with source maps, its own
 * log group with a retention, and a role that starts empty so every permission it gets is
 * a grant made where the resource is wired.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge.js';

/** The repository root: the bundler's project root (package-lock.json lives there). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Packages the SDK's default credential chain reaches only through dynamic `import()` after
 * environment credentials were not found. Never loaded in Lambda; about 90 KB of each bundle.
 */
export const LAZY_CREDENTIAL_PROVIDERS = [
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-login',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/nested-clients',
  '@aws-sdk/token-providers',
  '@smithy/credential-provider-imds',
];

/** `functions/handlers/{name}.ts` */
export function handlerEntry(name: string): string {
  return fileURLToPath(new URL(`../../../functions/handlers/${name}.ts`, import.meta.url));
}

export interface PipelineFunctionProps {
  /** The handler module's base name under functions/handlers/. */
  handler: 'tick' | 'continue';
  description: string;
  timeout: Duration;
  memorySize: number;
  /** Undefined: draw from the account's unreserved pool. */
  reservedConcurrentExecutions?: number;
  environment: Record<string, string>;
  logRetentionDays: number;
}

export class PipelineFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      // Operational logs only: the data is in S3. Left behind, the group would outlive its function.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // No AWSLambdaBasicExecutionRole: it allows writing to every log group in the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ConveYour pipeline's ${props.handler} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: handlerEntry(props.handler),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      // The design: continuations stop at MAX_HOPS (10) per chain, below Lambda's 16-hop
      // limit, and every tick resumes any in-flight cursor from its checkpoint. Terminate
      // (Lambda's default, stated here on purpose) is then only a safety net: should a bug
      // make a chain ignore the cap, Lambda stops it at 16 hops instead of it running (and
      // billing) forever, and nothing is lost because the next tick picks the cursor up.
      recursiveLoop: lambda.RecursiveLoop.TERMINATE,
      bundling: {
        forceDockerBundling: false,
        format: nodejs.OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        // Stack traces map to the TypeScript lines; the sources themselves stay out of the zip.
        sourcesContent: false,
        // Bundle the AWS SDK too: the code runs with the exact SDK version it was tested with,
        // and a single minified file initialises faster than the runtime's copy, hundreds of
        // files (BENCHMARKS.md: about 190 ms against 350 ms). Left out: the credential
        // providers the default chain imports dynamically only when the environment holds no
        // credentials, which Lambda always sets (fromEnv answers first), so they never load.
        externalModules: LAZY_CREDENTIAL_PROVIDERS,
        mainFields: ['module', 'main'],
        // CommonJS dependencies bundled into an ES module may still call require().
        banner: "import { createRequire as __cdkCreateRequire } from 'node:module'; const require = __cdkCreateRequire(import.meta.url);",
      },
    });

    const nodeVersion = 'Node.js 22 is the runtime this project builds for and tests on (esbuild target node22); moving to a newer major is a deliberate, tested upgrade rather than something a deploy should do.';
    acknowledge(this.function, 'AwsSolutions-L1', nodeVersion);
    acknowledge(this.function, 'Serverless-LambdaLatestVersion', nodeVersion);
    acknowledge(
      this.function,
      'Serverless-LambdaTracing',
      'X-Ray would only show one opaque span per invocation without SDK instrumentation, and its policy grants xray actions on every resource; the EMF metrics and structured logs cover what tracing would show.',
    );

  }
}
