/**
 * `npx cdk synth` from this clone, offline and with no context at all: the CLI runs the app
 * from cdk.json, bundles both functions with the local esbuild, runs the cdk-nag packs and
 * CloudFormation's own template validation, and must produce the committed example
 * deployment (infra/cdk/sources.json), which its template then refuses to deploy.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLLECTIONS } from '../../functions/conveyour/collections.js';
import { EXAMPLE_GUARD_RULE, EXAMPLE_REFUSAL, EXAMPLE_WARNING } from '../../infra/cdk/exampleGuard.js';
import { OUTPUT } from '../../infra/cdk/outputs.js';
import { REPO_ROOT, resourcesOf } from './synth.js';

const SYNTH_TIMEOUT_MS = 240_000;

let outdir: string;
let exit: { code: number | null; stderr: string };
let template: Record<string, any>;

function runCdkSynth(out: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'node_modules/aws-cdk/bin/cdk'), 'synth', '--no-notices', '--quiet', '--output', out], {
      cwd: REPO_ROOT,
      // No version check against the npm registry, and no AWS credentials or region to look up.
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', AWS_PROFILE: '', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'cdk-synth-'));
  exit = await runCdkSynth(outdir);
  const file = join(outdir, 'ConveYourStream.template.json');
  template = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { Resources: {} };
}, SYNTH_TIMEOUT_MS);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('npx cdk synth with no context', () => {
  it('succeeds and writes the stack template to the output directory', () => {
    expect(exit.code, exit.stderr).toBe(0);
    expect(Object.keys(template.Resources).length).toBeGreaterThan(50);
  });

  it('passes every validation plugin (cdk-nag packs, CloudFormation validation) with no violation', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: Array<{ violations: Array<{ ruleName: string; severity: string }> }> };
    const violations = report.pluginReports.flatMap((plugin) => plugin.violations);
    // The one expected entry: the warning that this template (the example) cannot be deployed.
    expect(violations.filter((v) => v.ruleName === `Annotation::${EXAMPLE_WARNING}`).map((v) => v.severity)).toEqual(['warning']);
    expect(violations.filter((v) => v.ruleName !== `Annotation::${EXAMPLE_WARNING}`)).toEqual([]);
  });

  it('synthesizes the committed example source with every collection, guarded against deploy', () => {
    const [, tick] = resourcesOf(template, 'AWS::Lambda::Function').find(([id]) => id.startsWith('PipelineTick'))!;
    expect(JSON.parse(tick.Properties.Environment.Variables.PIPELINE_SOURCES)).toEqual([
      { name: 'default', domain: 'example.conveyour.com', secretId: 'ConveYourStream/conveyour/default', collections: 'all' },
    ]);
    const lagAlarms = resourcesOf(template, 'AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.MetricName === 'LagSeconds');
    expect(lagAlarms).toHaveLength(COLLECTIONS.length);
    expect(template.Rules[EXAMPLE_GUARD_RULE].Assertions[0].AssertDescription).toBe(EXAMPLE_REFUSAL);
    expect(exit.stderr).toContain('cdk deploy of this template is refused');
  });

  it('creates no alarm topic, no Snowpipe notification and no Snowflake role until their context is set', () => {
    expect(resourcesOf(template, 'AWS::SNS::Topic')).toEqual([]);
    expect(resourcesOf(template, 'AWS::S3::Bucket').filter(([, b]) => b.Properties.NotificationConfiguration !== undefined)).toEqual([]);
    expect(resourcesOf(template, 'AWS::IAM::Role').filter(([, r]) => r.Properties.RoleName !== undefined)).toEqual([]);
    expect(template.Outputs[OUTPUT.snowflakeRoleArn]).toBeDefined();
  });

  it('bundles each function locally into an ES module and its source map', () => {
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(2);
    for (const asset of assets) expect(readdirSync(join(outdir, asset)).sort()).toEqual(['index.mjs', 'index.mjs.map']);
  });
});
