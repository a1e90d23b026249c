/**
 * What keeps a deploy from hurting: the committed sources file, the refusal to deploy its
 * example, secrets kept when a source leaves, no reserved concurrency unless it fits the
 * account, the bucket-root prefix, and one historyStart for Athena. Functions are not bundled
 * here (`aws:cdk:bundling-stacks`), the template is what is checked.
 */
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { readSourcesFile } from '../../infra/cdk/sourcesFile.js';
import { EXAMPLE_GUARD_ENV, EXAMPLE_GUARD_PARAMETER, EXAMPLE_GUARD_RULE } from '../../infra/cdk/exampleGuard.js';
import { resourcesOf, synthesize, type Synthesized } from './synth.js';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const ACME = { name: 'acme', domain: 'acme.conveyour.com', collections: 'all' };
const BETA = { name: 'beta', domain: 'beta.conveyour.com', collections: ['contacts'] };

const made: Synthesized[] = [];
function synth(context: Record<string, unknown>): Synthesized {
  const result = synthesize({ ...NO_BUNDLING, ...context });
  made.push(result);
  return result;
}
afterAll(() => made.forEach((result) => result.dispose()));

/** Evaluates a CloudFormation rule assertion (the subset the guard uses) for given parameter values. */
function evaluate(assertion: any, parameters: Record<string, string>): boolean {
  if (Array.isArray(assertion['Fn::Equals'])) {
    const [a, b] = assertion['Fn::Equals'].map((side: any) => (typeof side === 'string' ? side : parameters[side.Ref]));
    return a === b;
  }
  throw new Error(`unexpected assertion ${JSON.stringify(assertion)}`);
}

describe('a clean clone (the committed infra/cdk/sources.json)', () => {
  const clone = synth({});

  it('synthesizes the example source from the committed file', () => {
    expect(readSourcesFile().example).toBe(true);
    const tick = resourcesOf(clone.json, 'AWS::Lambda::Function').find(([id]) => id.startsWith('PipelineTick'))![1];
    expect(JSON.parse(tick.Properties.Environment.Variables.PIPELINE_SOURCES)).toEqual([expect.objectContaining({ name: 'default', domain: 'example.conveyour.com' })]);
  });

  it('refuses to deploy it: a template rule that no accepted parameter value satisfies, with a message that says what to do', () => {
    const parameter = clone.json.Parameters[EXAMPLE_GUARD_PARAMETER];
    const rule = clone.json.Rules[EXAMPLE_GUARD_RULE];
    expect(rule.RuleCondition).toBeUndefined();
    expect(rule.Assertions).toHaveLength(1);
    expect(rule.Assertions[0].AssertDescription).toMatch(/example source .*infra\/cdk\/sources\.json.*delete "example": true/);
    // CloudFormation accepts only AllowedValues (cdk deploy passes the default): try every one.
    expect(parameter.AllowedValues).toContain(parameter.Default);
    for (const value of parameter.AllowedValues) expect(evaluate(rule.Assertions[0].Assert, { [EXAMPLE_GUARD_PARAMETER]: value }), value).toBe(false);
  });

  it("puts a reference to the guard's parameter in both functions' environment, which a hotswap cannot resolve", () => {
    const functions = resourcesOf(clone.json, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(2);
    for (const [id, fn] of functions) expect(fn.Properties.Environment.Variables[EXAMPLE_GUARD_ENV], id).toEqual({ Ref: EXAMPLE_GUARD_PARAMETER });
  });

  it('warns at synth that the template cannot be deployed', () => {
    Annotations.fromStack(clone.stack).hasWarning('*', Match.stringLikeRegexp('example source .* cdk deploy of this template is refused'));
  });
});

describe('real sources', () => {
  const both = synth({ sources: [ACME, BETA] });
  const one = synth({ sources: [ACME] });

  it('deploy with no guard rule or parameter and no warning', () => {
    expect(Object.keys(both.json.Rules ?? {})).not.toContain(EXAMPLE_GUARD_RULE);
    expect(Object.keys(both.json.Parameters ?? {})).not.toContain(EXAMPLE_GUARD_PARAMETER);
    for (const [id, fn] of resourcesOf(both.json, 'AWS::Lambda::Function')) expect(fn.Properties.Environment.Variables, id).not.toHaveProperty(EXAMPLE_GUARD_ENV);
    expect(Annotations.fromStack(both.stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('are refused too when one of them is the example domain', () => {
    const mixed = synth({ sources: [ACME, { name: 'x', domain: 'example.conveyour.com' }] });
    expect(Object.keys(mixed.json.Rules)).toContain(EXAMPLE_GUARD_RULE);
  });

  it('keep every source secret on delete and on replacement', () => {
    const secrets = resourcesOf(both.json, 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(2);
    for (const [id, secret] of secrets) expect([secret.DeletionPolicy, secret.UpdateReplacePolicy], id).toEqual(['Retain', 'Retain']);
  });

  it('keep the secret of a source removed from the config: CloudFormation applies the Retain it was deployed with', () => {
    const idOf = (result: Synthesized, name: string) => resourcesOf(result.json, 'AWS::SecretsManager::Secret').find(([, s]) => s.Properties.Name === `ConveYourStream/conveyour/${name}`)?.[0];
    const betaBefore = idOf(both, 'beta')!;
    // The removed source's secret leaves the template with DeletionPolicy Retain in the deployed one...
    expect(both.json.Resources[betaBefore].DeletionPolicy).toBe('Retain');
    expect(one.json.Resources[betaBefore]).toBeUndefined();
    // ...and the source that stays keeps its logical id, so its secret is neither replaced nor touched.
    expect(idOf(one, 'acme')).toBe(idOf(both, 'acme'));
    Template.fromJSON(one.json).hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain', Properties: { Name: 'ConveYourStream/conveyour/acme' } });
  });

  it('reserve no concurrency by default', () => {
    for (const [id, fn] of resourcesOf(both.json, 'AWS::Lambda::Function')) expect(fn.Properties.ReservedConcurrentExecutions, id).toBeUndefined();
  });

  it('reserve concurrency when asked and the stated quota has room: 2 for the tick, continueConcurrency for continue', () => {
    const reserved = synth({ sources: [ACME], reserveConcurrency: true, accountConcurrencyQuota: 1000, continueConcurrency: 8 });
    const byId = Object.fromEntries(resourcesOf(reserved.json, 'AWS::Lambda::Function').map(([id, fn]) => [id.replace(/Function.*$/, ''), fn.Properties.ReservedConcurrentExecutions]));
    expect(byId).toEqual({ PipelineTick: 2, PipelineContinue: 8 });
  });

  it('refuse at synth a reservation the stated quota cannot hold, or one with no quota stated', () => {
    expect(() => synth({ sources: [ACME], reserveConcurrency: true, accountConcurrencyQuota: 10 })).toThrow(
      /would reserve 7 executions .* quota of 10 leaves only 0 to reserve .* set "reserveConcurrency" to false/,
    );
    expect(() => synth({ sources: [ACME], reserveConcurrency: true })).toThrow(/"accountConcurrencyQuota" is required.*aws lambda get-account-settings/);
  });

  it('land at the bucket root with landingPrefix ""', () => {
    const root = synth({ sources: [ACME], landingPrefix: '' });
    const tick = resourcesOf(root.json, 'AWS::Lambda::Function').find(([id]) => id.startsWith('PipelineTick'))![1];
    expect(tick.Properties.Environment.Variables.LANDING_PREFIX).toBe('');
    expect(root.json.Outputs.LandingPrefix.Value).toBe('/');
    const [, table] = resourcesOf(root.json, 'AWS::Glue::Table').find(([, t]) => t.Properties.TableInput.Name === 'contacts')!;
    expect(JSON.stringify(table.Properties.TableInput.StorageDescriptor.Location)).toMatch(/"\/collection=contacts\/"/);
    // The root prefix widens the functions' grantPut to the bucket's objects: still acknowledged, nothing else new.
    for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
      expect(pack.validateScope(root.app).violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    }
  });

  it('project dt from historyStart (default 2000-01-01), whatever the sources start at', () => {
    const late = synth({ sources: [{ ...ACME, initialStartTime: '2026-01-01' }] });
    for (const [, table] of resourcesOf(late.json, 'AWS::Glue::Table')) expect(table.Properties.TableInput.Parameters['projection.dt.range']).toBe('2000-01-01,NOW');
    expect(late.json.Outputs.HistoryStart.Value).toBe('2000-01-01');
  });

  it('name no Snowpipe queue in the outputs until it is set', () => {
    expect(one.json.Outputs.SnowpipeQueueArn.Value).toBe('none');
  });
});
