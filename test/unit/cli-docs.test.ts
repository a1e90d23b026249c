/**
 * The CLI tables of docs/cli.md and README.md are generated from the code and the tests'
 * expectations, so the docs cannot drift: this test fails when a table is stale. Regenerate
 * with `UPDATE_DOCS=1 npx vitest run test/unit/cli-docs.test.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIENT_TUNING_ENV } from '../../functions/conveyour/tuning.js';
import { ALIASES, FLAGS, FLAG_NAMES } from '../../functions/cli/flags.js';
import { USAGE_CASES, type UsageCase } from './cli-usage-cases.js';

/** Each document and the generated tables it must hold. */
const DOCS: Record<string, string[]> = {
  'docs/cli.md': ['flags', 'usage-errors', 'client-env'],
  'README.md': ['flags', 'usage-errors'],
};

const cell = (text: string) => text.replace(/\|/g, '\\|');
const code = (text: string) => (text.includes('`') ? `\`\` ${cell(text)} \`\`` : `\`${cell(text)}\``);

function shellWord(word: string): string {
  const quote = (text: string) => (/^[\w./=:,@+-]*$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);
  const flag = /^(--[\w-]+=)(.*)$/.exec(word);
  return flag ? `${flag[1]}${quote(flag[2]!)}` : quote(word);
}

function commandLine(usage: UsageCase): string {
  const env = Object.entries(usage.env ?? {}).map(([name, value]) => `${name}=${shellWord(value)}`);
  return [...env, 'conveyour-stream', ...usage.argv.map(shellWord)].join(' ');
}

function context(usage: UsageCase): string {
  const notes: string[] = [];
  if (usage.noCredentials) notes.push('no credentials set');
  for (const [path, text] of Object.entries(usage.files ?? {})) notes.push(`${path}: ${code(text.length > 60 ? `${text.slice(0, 57)}...` : text)}`);
  if (usage.note) notes.push(usage.note);
  return notes.join('; ');
}

const GENERATED: Record<string, () => string> = {
  flags: () =>
    [
      '| Flag | Value | What it does |',
      '| --- | --- | --- |',
      ...FLAG_NAMES.map((name) => {
        const spec: { value?: string; help: string; short?: string } = FLAGS[name];
        const spellings = [`--${name}`, ...Object.entries(ALIASES).filter(([, target]) => target === name).map(([alias]) => `--${alias}`)];
        if (spec.short) spellings.unshift(`-${spec.short}`);
        return `| ${spellings.map(code).join(', ')} | ${spec.value ? code(spec.value) : ''} | ${cell(spec.help)} |`;
      }),
    ].join('\n'),
  'usage-errors': () =>
    [
      '| Case | Command line | Also | stderr (after `conveyour-stream: `), exit 2 |',
      '| --- | --- | --- | --- |',
      ...USAGE_CASES.map((usage) => `| ${cell(usage.title)} | ${code(commandLine(usage))} | ${context(usage)} | ${cell(usage.message)} |`),
    ].join('\n'),
  'client-env': () =>
    [
      '| Variable | Meaning | Minimum |',
      '| --- | --- | --- |',
      ...Object.entries(CLIENT_TUNING_ENV).map(([name, spec]) => `| ${code(name)} | ${cell(spec.help)} | ${spec.min} |`),
    ].join('\n'),
};

function section(doc: string, name: string, file: string): { start: number; end: number } {
  const open = `<!-- generated:${name} -->\n`;
  const close = `\n<!-- /generated:${name} -->`;
  const start = doc.indexOf(open);
  const end = doc.indexOf(close);
  if (start < 0 || end < start) throw new Error(`${file} has no generated:${name} section`);
  return { start: start + open.length, end };
}

const cases = Object.entries(DOCS).flatMap(([file, names]) => names.map((name) => [file, name] as const));

describe('generated CLI docs', () => {
  it.each(cases)('%s has the current generated %s table', (file, name) => {
    const path = resolve(import.meta.dirname, '../..', file);
    const fresh = GENERATED[name]!();
    let doc = readFileSync(path, 'utf8');
    let { start, end } = section(doc, name, file);
    if (process.env.UPDATE_DOCS === '1' && doc.slice(start, end) !== fresh) {
      doc = doc.slice(0, start) + fresh + doc.slice(end);
      writeFileSync(path, doc);
      ({ start, end } = section(doc, name, file));
    }
    expect(doc.slice(start, end)).toBe(fresh);
  });
});
