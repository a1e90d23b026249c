/**
 * Builds the app exactly as `cdk synth` does (buildApp, with cdk.json's feature flags) and
 * synthesizes it once into a temporary directory, for a test file to share in beforeAll.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/cdk/stack.js';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname;

/** cdk.json's "context": the feature flags every real synth runs with. */
export function cdkJsonContext(): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
}

export interface Synthesized extends ReturnType<typeof buildApp> {
  template: Template;
  json: Record<string, any>;
  outdir: string;
  dispose(): void;
}

export function synthesize(context: Record<string, unknown>): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-test-'));
  const dispose = () => rmSync(outdir, { recursive: true, force: true });
  try {
    const built = buildApp({ context: { ...cdkJsonContext(), ...context }, outdir });
    const template = Template.fromStack(built.stack);
    return { ...built, template, json: template.toJSON(), outdir, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** Resources of one type, by logical id. */
export function resourcesOf(json: Record<string, any>, type: string): Array<[string, any]> {
  return Object.entries(json.Resources as Record<string, any>).filter(([, resource]) => resource.Type === type);
}

/** The logical id a `{ Ref }` or `{ Fn::GetAtt: [id, attr] }` points at. */
export function referencedId(value: any): string | undefined {
  if (value && typeof value === 'object') {
    if (typeof value.Ref === 'string') return value.Ref;
    if (Array.isArray(value['Fn::GetAtt'])) return value['Fn::GetAtt'][0];
  }
  return undefined;
}
