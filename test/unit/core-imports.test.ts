/** The core (paging, checkpoint rules, backfill plans, the tombstone rule) imports no AWS library and no adapter: ports only. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const CORE = ['functions/pipeline', 'functions/conveyour', 'functions/backfill', 'functions/rescan'];
const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g;

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((match) => match[1]!);
}

describe.each(CORE)('%s', (folder) => {
  const files = readdirSync(join(ROOT, folder)).filter((name) => name.endsWith('.ts'));

  it('imports neither the AWS SDK, aws-lambda nor an adapter', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const forbidden = importsOf(join(ROOT, folder, file)).filter((spec) => spec.startsWith('@aws-sdk/') || spec.startsWith('@smithy/') || spec === 'aws-lambda' || spec.includes('/adapters/'));
      expect(forbidden, `${folder}/${file}`).toEqual([]);
    }
  });
});
