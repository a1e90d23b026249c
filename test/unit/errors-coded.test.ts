/**
 * Every error class under functions/ sits on CodedError: a stable `code`, `retriable`, the
 * standard `cause`. The sources are scanned with the TypeScript compiler API, so a new class
 * that extends plain Error fails here without anyone adding it to a list.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CodedError, describeError } from '../../functions/errors/coded.js';
import { LandingWriteError } from '../../functions/adapters/s3ObjectSink.js';
import { ContinuationSendError, SqsContinuationQueue } from '../../functions/adapters/sqsContinuationQueue.js';
import { ConveYourSecrets, SecretError } from '../../functions/adapters/secrets.js';
import { RetriesExhaustedError, RetriableStatusError } from '../../functions/conveyour/errors.js';

const FUNCTIONS = path.resolve(import.meta.dirname, '../../functions');
const BUILTIN_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'AggregateError', 'EvalError', 'ReferenceError', 'URIError']);

interface ErrorClass {
  name: string;
  file: string;
  base: string;
  exported: boolean;
  /** The string literal `name` is set to, if the class sets it. */
  nameField: string | undefined;
  declaresCode: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function classesOf(file: string): ErrorClass[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: ErrorClass[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isClassDeclaration(node) && node.name) {
      const heritage = node.heritageClauses?.find((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
      if (heritage) {
        let nameField: string | undefined;
        let declaresCode = false;
        for (const member of node.members) {
          if (ts.isPropertyDeclaration(member) && ts.isIdentifier(member.name)) {
            if (member.name.text === 'name' && member.initializer && ts.isStringLiteral(member.initializer)) nameField = member.initializer.text;
            if (member.name.text === 'code') declaresCode = true;
          }
          if (ts.isConstructorDeclaration(member)) {
            declaresCode ||= member.parameters.some((parameter) => ts.isIdentifier(parameter.name) && parameter.name.text === 'code' && parameter.modifiers?.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword));
          }
        }
        found.push({
          name: node.name.text,
          file,
          base: heritage.expression.getText(source),
          exported: node.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword) ?? false,
          nameField,
          declaresCode,
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const classes = sourceFiles(FUNCTIONS).flatMap(classesOf);
const byName = new Map(classes.map((entry) => [entry.name, entry]));

/** The chain of base names up to one this scan does not declare (CodedError, Error, a library class). */
function ancestry(entry: ErrorClass): string[] {
  const chain = [entry.name];
  let base = entry.base;
  while (byName.has(base) && base !== 'CodedError') {
    chain.push(base);
    base = byName.get(base)!.base;
  }
  chain.push(base);
  return chain;
}

const errorClasses = classes.filter((entry) => entry.name !== 'CodedError' && (ancestry(entry).includes('CodedError') || BUILTIN_ERRORS.has(ancestry(entry).at(-1)!)));

describe('the error classes of functions/', () => {
  it('are found by the scan (the ConveYour, pipeline, time, config and adapter errors at least)', () => {
    expect(errorClasses.map((entry) => entry.name)).toEqual(
      expect.arrayContaining(['ConveYourError', 'PipelineError', 'TimeError', 'ConfigError', 'UsageError', 'UnknownCollectionError', 'PlanConflictError', 'SecretError', 'ContinuationSendError', 'CheckpointStoreError', 'LandingWriteError']),
    );
  });

  it('each extend CodedError, directly or through a base of their module', () => {
    const offBase = errorClasses.filter((entry) => !ancestry(entry).includes('CodedError')).map((entry) => `${path.relative(FUNCTIONS, entry.file)}: ${ancestry(entry).join(' -> ')}`);
    expect(offBase).toEqual([]);
  });

  it('each set `name` to their class name and have a `code` (their own or their base’s)', () => {
    const problems = errorClasses.flatMap((entry) => {
      const issues: string[] = [];
      if (entry.nameField !== entry.name) issues.push(`${entry.name}: name is ${JSON.stringify(entry.nameField)}`);
      if (!ancestry(entry).some((name) => byName.get(name)?.declaresCode)) issues.push(`${entry.name}: no code`);
      return issues;
    });
    expect(problems).toEqual([]);
  });

  it('when exported, are CodedErrors at run time too (instanceof through the real modules)', async () => {
    const exported = errorClasses.filter((entry) => entry.exported);
    for (const entry of exported) {
      const module = (await import(pathToFileURL(entry.file).href)) as Record<string, unknown>;
      const constructor = module[entry.name] as { prototype: unknown } | undefined;
      expect(constructor, `${entry.name} exported by ${entry.file}`).toBeDefined();
      expect(constructor!.prototype instanceof CodedError, entry.name).toBe(true);
    }
  });
});

describe('cause through wrapping', () => {
  it('an adapter that wraps an SDK failure keeps it as the standard cause, with its own code', async () => {
    const sdkFailure = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const failing = { send: () => Promise.reject(sdkFailure) };
    const queue = new SqsContinuationQueue(failing as never, 'http://127.0.0.1:9/queue');

    const sent = queue.send({ v: 1, source: 's', collection: 'events', runId: 'r', hop: 1 } as never);

    await expect(sent).rejects.toBeInstanceOf(ContinuationSendError);
    const error = (await sent.catch((thrown: unknown) => thrown)) as ContinuationSendError;
    expect(error.cause).toBe(sdkFailure);
    expect({ code: error.code, retriable: error.retriable }).toEqual({ code: 'CONTINUATION_SEND_FAILED', retriable: true });
    expect(describeError(error).code).toBe('CONTINUATION_SEND_FAILED');
  });

  it('a secret that cannot be read keeps the SDK error as cause and is retriable; a malformed one is not', async () => {
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    const secrets = new ConveYourSecrets({ send: () => Promise.reject(denied) } as never);
    const unreadable = (await secrets.credentials('conveyour/acme').catch((thrown: unknown) => thrown)) as SecretError;
    expect(unreadable).toBeInstanceOf(SecretError);
    expect(unreadable.cause).toBe(denied);
    expect(unreadable.retriable).toBe(true);

    const empty = new ConveYourSecrets({ send: () => Promise.resolve({ SecretString: '{}' }) } as never);
    const invalid = (await empty.credentials('conveyour/empty').catch((thrown: unknown) => thrown)) as SecretError;
    expect({ code: invalid.code, retriable: invalid.retriable }).toEqual({ code: 'SECRET_INVALID', retriable: false });
  });

  it('a chain of our errors keeps every link: RetriesExhausted -> RetriableStatus -> the foreign error', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const status = new RetriableStatusError(503, {}, undefined, 'HTTP 503', { cause: reset });
    const exhausted = new RetriesExhaustedError(8, 120_000, 'gave up', { cause: status });
    const landing = new LandingWriteError('bucket', 'key', exhausted);

    expect(landing.cause).toBe(exhausted);
    expect(exhausted.cause).toBe(status);
    expect(status.cause).toBe(reset);
    expect([landing, exhausted, status].map((error) => [error.code, error.retriable])).toEqual([
      ['LANDING_WRITE_FAILED', true],
      ['CONVEYOUR_RETRIES_EXHAUSTED', false],
      ['CONVEYOUR_RETRIABLE_STATUS', true],
    ]);
  });
});

describe('describeError', () => {
  it('gives our code, a foreign error’s own string code, else its name, else UNKNOWN', () => {
    const ours = new LandingWriteError('bucket', 'key', new Error('x'));
    expect(describeError(ours)).toEqual({ code: 'LANDING_WRITE_FAILED', message: ours.message });
    expect(describeError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toEqual({ code: 'ECONNRESET', message: 'reset' });
    expect(describeError(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }))).toEqual({ code: 'ThrottlingException', message: 'slow down' });
    expect(describeError(Object.assign(new Error('odd'), { code: 42 }))).toEqual({ code: 'Error', message: 'odd' });
    expect(describeError('a string')).toEqual({ code: 'UNKNOWN', message: 'a string' });
  });
});
