/**
 * Every entry fed wrong: the functions' environment, the ConveYour client's environment,
 * ConveYour responses and continuation messages each answer with one clear error naming the
 * input and what would be valid (the cases: test/support/faultyInputs.ts), never echoing a
 * credential. RELIABILITY.md's table of them is generated here and checked; regenerate it with
 * `UPDATE_DOCS=1 npx vitest run test/unit/bad-input.test.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BAD_INPUT_CASES, PIPELINE_RESPONSE_CASES, type BadInputCase } from '../support/faultyInputs.js';
import { USAGE_CASES } from './cli-usage-cases.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SECRETS = ['appkey-SECRET-1234', 'token-SECRET-5678', 'token-SECRET\n5678', 'hunter2'];

function thrown(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the input to be rejected, and it was accepted');
}

describe('bad input: one error that names the input and what would be valid', () => {
  it.each(BAD_INPUT_CASES.map((c) => [`${c.entry}: ${c.input}`, c] as const))('%s', (_name, badInput: BadInputCase) => {
    const error = thrown(badInput.act);

    expect(error.message).toBe(badInput.error);
    for (const secret of SECRETS) expect(error.message).not.toContain(secret);
  });
});

// --- RELIABILITY.md's generated table --------------------------------------------------------

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, '\\n');
const code = (text: string) => (text.includes('`') ? `\`\` ${cell(text)} \`\`` : `\`${cell(text)}\``);

/** The titles of test/infra/config.test.ts's bad context values, read from its source so the list has one home. */
function cdkCaseTitles(): string[] {
  const source = readFileSync(resolve(ROOT, 'test/infra/config.test.ts'), 'utf8');
  const block = source.slice(source.indexOf('a bad context value fails'), source.indexOf('it.each(cases)'));
  return [...block.matchAll(/^ {4}\['([^']+)',/gm)].map((match) => match[1]!);
}

export function badInputTable(): string {
  const rows = [
    '| Entry | Input | Error (exact message) | What happens |',
    '| --- | --- | --- | --- |',
    ...BAD_INPUT_CASES.map((c) => `| ${c.entry} | ${cell(c.input)} | ${code(c.error)} | ${cell(c.outcome)} |`),
    ...PIPELINE_RESPONSE_CASES.map(
      (c) => `| ConveYour response, through the client and the pipeline | ${cell(c.input)} | ${'fails' in c.expected ? code(`… ${c.expected.fails} …`) : 'none'} | ${cell(c.outcome)} |`,
    ),
    `| CLI flags and values | ${USAGE_CASES.length} cases: ${USAGE_CASES.slice(0, 4).map((usage) => cell(usage.title)).join(', ')}, … | each in [docs/cli.md](docs/cli.md) (test/unit/cli-usage-cases.ts) | exit 2 before any request |`,
    `| CDK context | ${cdkCaseTitles().length} cases: ${cdkCaseTitles().map(cell).join('; ')} | \`context "<key>" must be …, got …; set it in cdk.json "context" (sources: infra/cdk/sources.json) or with \\\`npx cdk deploy -c key=value\\\`\` (test/infra/config.test.ts) | \`cdk synth\` and \`cdk deploy\` fail before any resource changes |`,
  ];
  return rows.join('\n');
}

describe('RELIABILITY.md', () => {
  it('has the current generated table of bad inputs', () => {
    const path = resolve(ROOT, 'RELIABILITY.md');
    const open = '<!-- generated:bad-input -->\n';
    const close = '\n<!-- /generated:bad-input -->';
    let doc = readFileSync(path, 'utf8');
    const fresh = badInputTable();
    const start = doc.indexOf(open) + open.length;
    const end = doc.indexOf(close);
    expect(start >= open.length && end >= start, 'RELIABILITY.md has a generated:bad-input section').toBe(true);
    if (process.env.UPDATE_DOCS === '1' && doc.slice(start, end) !== fresh) {
      doc = doc.slice(0, start) + fresh + doc.slice(end);
      writeFileSync(path, doc);
    }
    expect(doc.slice(start, doc.indexOf(close))).toBe(fresh);
  });
});
