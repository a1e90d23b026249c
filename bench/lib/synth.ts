/**
 * The CDK app synthesized exactly as `cdk synth` builds it (buildApp with cdk.json's
 * context), into a temporary directory: the Lambda assets it bundles are the ones deployed,
 * and the template says what the fixed costs are (secrets, alarms, dashboards, schedules).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../infra/cdk/stack.js';
import { REPO_ROOT } from './child.js';

export interface SynthesizedFunction {
  logicalId: string;
  handler: 'tick' | 'continue';
  assetDir: string;
  memoryMb: number;
  timeoutSeconds: number;
  environment: Record<string, string>;
}

export interface Synthesized {
  outdir: string;
  template: { Resources: Record<string, { Type: string; Properties?: Record<string, any> }> };
  functions: SynthesizedFunction[];
  count(type: string): number;
  dispose(): void;
}

export function synthesizeStack(context: Record<string, unknown> = {}): Synthesized {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const outdir = mkdtempSync(join(tmpdir(), 'bench-synth-'));
  try {
    const { app, stack } = buildApp({ context: { ...cdkJson.context, ...context }, outdir });
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as Synthesized['template'];
    const functions: SynthesizedFunction[] = Object.entries(template.Resources)
      .filter(([id, resource]) => resource.Type === 'AWS::Lambda::Function' && /Pipeline(Tick|Continue)/.test(id))
      .map(([logicalId, resource]) => {
        const props = resource.Properties!;
        const variables = (props.Environment?.Variables ?? {}) as Record<string, unknown>;
        return {
          logicalId,
          handler: logicalId.includes('Tick') ? 'tick' : 'continue',
          assetDir: join(outdir, `asset.${String(props.Code.S3Key).replace(/\.zip$/, '')}`),
          memoryMb: props.MemorySize as number,
          timeoutSeconds: props.Timeout as number,
          // Tokens (bucket names, queue URLs) resolve at deploy time; any string does for a cold start.
          environment: Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, typeof value === 'string' ? value : `resolved-${key}`])),
        };
      });
    return {
      outdir,
      template,
      functions,
      count: (type) => Object.values(template.Resources).filter((resource) => resource.Type === type).length,
      dispose: () => rmSync(outdir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
}
