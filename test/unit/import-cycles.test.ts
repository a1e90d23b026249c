/**
 * No module under functions/ reaches itself through its imports, type-only ones included: a
 * cycle is two ideas that cannot be read (or tested) apart, and at run time ESM hands one
 * side of it an uninitialised binding.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const FUNCTIONS = join(ROOT, 'functions');

describe('the import graph of functions/', () => {
  it('has no cycle, counting import type, export from and import()', () => {
    const graph = importGraph(FUNCTIONS);

    const cycles = stronglyConnected(graph).filter((members) => members.length > 1 || graph.get(members[0]!)!.has(members[0]!));

    expect(cycles.map((members) => members.map((file) => relative(ROOT, file)).sort().join(' <-> '))).toEqual([]);
  });

  it('sees the edges it is meant to see, so an empty answer is not a blind one', () => {
    const graph = importGraph(FUNCTIONS);

    const edges = [...(graph.get(join(FUNCTIONS, 'pipeline/orchestrate.ts')) ?? [])].map((file) => relative(FUNCTIONS, file));

    expect(graph.size).toBeGreaterThan(50);
    // A value import and a type-only import, both resolved from their `.js` specifiers to the `.ts` files.
    expect(edges).toEqual(expect.arrayContaining(['pipeline/runCollection.ts', 'pipeline/ports.ts']));
  });
});

/** Every .ts file under `dir`, with the files under `dir` it imports in any form. */
function importGraph(dir: string): Map<string, Set<string>> {
  const options: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, allowJs: false };
  const host = ts.createCompilerHost(options);
  const files = tsFiles(dir);
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const imported = ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles;
    const targets = new Set<string>();
    for (const { fileName: specifier } of imported) {
      const resolved = ts.resolveModuleName(specifier, file, options, host).resolvedModule?.resolvedFileName;
      if (resolved && resolved.startsWith(dir + '/') && !resolved.endsWith('.d.ts')) targets.add(resolve(resolved));
    }
    graph.set(file, targets);
  }
  return graph;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => resolve(entry.parentPath, entry.name));
}

/** Tarjan's algorithm: the graph's strongly connected components (a cycle is one with two or more files, or a self-import). */
function stronglyConnected(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      components.push(component);
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return components;
}
