import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GAPS_OPTIONS, parseGapsArgs } from '../../infra/gaps/args.js';

const README = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('npm run gaps flags', () => {
  it('reads an acknowledgement of one second on a deployed stack', () => {
    expect(parseGapsArgs(['ack', '--collection=events', '--second=1768478400', '--source=acme', '--outputs=out.json', '--region=eu-west-1'])).toEqual({
      command: 'ack',
      collection: 'events',
      selector: { second: 1_768_478_400 },
      source: 'acme',
      waitMs: 300_000,
      dataDir: '.local',
      deployed: { outputs: 'out.json', table: undefined, region: 'eu-west-1' },
    });
  });

  it('reads list with its defaults: every collection, locally', () => {
    expect(parseGapsArgs(['list'])).toEqual({ command: 'list', collection: undefined, source: undefined, json: false, dataDir: '.local', deployed: undefined });
  });

  it('reads --second=all as every gap of the collection', () => {
    expect(parseGapsArgs(['ack', '--collection=contacts', '--second=all'])).toMatchObject({ selector: 'all' });
  });

  it('refuses flags that belong to the other command', () => {
    expect(() => parseGapsArgs(['list', '--second=5'])).toThrow('--second belongs to ack: list shows every open gap');
    expect(() => parseGapsArgs(['ack', '--collection=events', '--second=5', '--json'])).toThrow('--json belongs to list');
  });

  it('accepts every npm run gaps command line the README shows', () => {
    const lines = [...README.matchAll(/^npm run gaps -- (.+?)(?:\s+#.*)?$/gm)].map((match) => match[1]!.trim().split(/\s+/));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const argv of lines) expect(() => parseGapsArgs(argv), argv.join(' ')).not.toThrow();
  });

  it('documents in the README every flag it reads', () => {
    const flags = Object.keys(GAPS_OPTIONS);
    const section = README.slice(README.indexOf('## Coverage gaps'), README.indexOf('## The CLI'));
    for (const flag of flags) if (flag !== 'help') expect(section, `--${flag}`).toContain(`\`--${flag}`);
  });
});
