/**
 * The committed list of sources (infra/cdk/sources.json), so a deploy never depends on
 * remembering a `-c sources=…` flag: a forgotten flag used to repoint the pipeline at the
 * example account. The clone ships an example marked `"example": true`, which synthesizes
 * (tests, `cdk synth`) but which the stack refuses to deploy (see exampleGuard.ts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../functions/config/env.js';

export const SOURCES_FILE = fileURLToPath(new URL('./sources.json', import.meta.url));

/** The domain of the shipped example: a deploy that names it is refused as well. */
export const EXAMPLE_DOMAIN = 'example.conveyour.com';

export interface SourcesFile {
  /** The raw `sources` array, validated by parseStackSettings like the `sources` context key. */
  sources: unknown;
  /** True while the file still holds the shipped example. */
  example: boolean;
}

const KEYS = ['$comment', 'example', 'sources'];

/** Reads and shape-checks the file; throws ConfigError naming the file and what is wrong. */
export function readSourcesFile(path: string = SOURCES_FILE): SourcesFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('sourcesFile', `${path} must be a JSON file {"sources": [{"name", "domain", "collections"}]}: ${(error as Error).message}`);
  }
  return parseSourcesFile(json, path);
}

export function parseSourcesFile(json: unknown, path: string): SourcesFile {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError('sourcesFile', `${path} must hold an object {"sources": [...]}, got ${JSON.stringify(json)}`);
  const record = json as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !KEYS.includes(key));
  if (unknown.length > 0) throw new ConfigError('sourcesFile', `${path} has unknown key(s) ${unknown.join(', ')}; valid: ${KEYS.join(', ')}`);
  if (record.example !== undefined && typeof record.example !== 'boolean') throw new ConfigError('sourcesFile', `${path}: "example" must be true or false (or absent), got ${JSON.stringify(record.example)}`);
  if (record.sources === undefined) throw new ConfigError('sourcesFile', `${path} has no "sources": list your ConveYour accounts, e.g. [{"name": "acme", "domain": "acme.conveyour.com", "collections": "all"}]`);
  return { sources: record.sources, example: record.example === true };
}
