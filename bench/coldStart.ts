/**
 * 4. Cold start: the size of each Lambda asset exactly as the CDK stack bundles it (cdk synth
 * of the real app), and the time a fresh Node process takes to import the bundled handler
 * with the environment the template sets (NODE_OPTIONS=--enable-source-maps included), median
 * of many processes. Alongside, the same bundle with the AWS SDK left to the runtime, which
 * is the other way to meet the size goal, measured the same way.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import { REPO_ROOT } from './lib/child.js';
import { fixed, int, kb, ms, table, verdict } from './lib/format.js';
import { median } from './lib/stats.js';
import type { Synthesized, SynthesizedFunction } from './lib/synth.js';

export interface ColdStartOptions {
  inits: number;
}

export interface BundleMeasure {
  label: string;
  handler: string;
  jsBytes: number;
  mapBytes: number;
  /** Deflated size of both files: about what the zip holds. */
  zippedBytes: number;
  /** Milliseconds from the start of the import to the handler being exported, per process. */
  importMs: number[];
  /** Milliseconds from process start (performance.timeOrigin) to the handler being exported. */
  readyMs: number[];
  /** CPU milliseconds (user + system) the import took: steadier than wall time on a shared machine. */
  importCpuMs: number[];
  /** Bytes per package in the bundle (from esbuild's metafile), for the variants built here. */
  topInputs?: Array<[string, number]>;
}

export interface ColdStartReport {
  options: ColdStartOptions;
  node: string;
  deployed: BundleMeasure[];
  variants: BundleMeasure[];
}

const PROBE = `const c0 = process.cpuUsage(); const t0 = performance.now(); const m = await import(process.env.BENCH_ENTRY); const t1 = performance.now(); const c1 = process.cpuUsage(c0);
if (typeof m.handler !== 'function') throw new Error('no handler export');
process.stdout.write(JSON.stringify({ importMs: t1 - t0, readyMs: t1, importCpuMs: (c1.user + c1.system) / 1000 }));`;

export async function runColdStart(synth: Synthesized, options: ColdStartOptions, log: (line: string) => void): Promise<ColdStartReport> {
  const deployed = synth.functions.map((fn) => bundle(`as deployed (cdk synth asset)`, fn, join(fn.assetDir, 'index.mjs')));
  // The alternative, built with esbuild's API and the options the CDK construct passes, placed
  // under node_modules so the external SDK resolves the way the runtime's own copy would.
  const tick = synth.functions.find((fn) => fn.handler === 'tick')!;
  const outdir = join(REPO_ROOT, 'node_modules', '.cache', 'bench-bundles');
  mkdirSync(outdir, { recursive: true });
  const variants: BundleMeasure[] = [];
  for (const variant of [{ label: 'AWS SDK left to the runtime (external @aws-sdk/*, @smithy/*)', external: ['@aws-sdk/*', '@smithy/*'] }]) {
    const outfile = join(outdir, 'sdk-external', 'index.mjs');
    const result = await build({
      entryPoints: [join(REPO_ROOT, 'functions/handlers/tick.ts')],
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      outfile,
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      mainFields: ['module', 'main'],
      external: variant.external,
      banner: { js: "import { createRequire as __cdkCreateRequire } from 'node:module'; const require = __cdkCreateRequire(import.meta.url);" },
      metafile: true,
      logLevel: 'error',
    });
    variants.push({ ...bundle(variant.label, tick, outfile), topInputs: packagesOf(result.metafile) });
  }
  // What the source maps cost at start-up: the same asset without NODE_OPTIONS=--enable-source-maps.
  const { NODE_OPTIONS: _sourceMaps, ...withoutSourceMaps } = tick.environment;
  variants.push({ ...bundle('as deployed, started without --enable-source-maps', { ...tick, environment: withoutSourceMaps }, join(tick.assetDir, 'index.mjs')) });
  // Interleaved: one process per bundle per round, so load from elsewhere on the machine falls on all alike.
  const all = [...deployed, ...variants];
  for (let round = 0; round < options.inits; round++) for (const measure of all) coldStart(measure);
  for (const m of all) log(`  cold start ${m.handler} ${m.label}: ${kb(m.jsBytes)}, import ${ms(median(m.importMs))} (CPU ${ms(median(m.importCpuMs))})`);
  return { options, node: process.version, deployed, variants };
}

interface Bundle extends BundleMeasure {
  entry: string;
  environment: Record<string, string>;
}

function bundle(label: string, fn: SynthesizedFunction, entry: string): Bundle {
  const js = readFileSync(entry);
  const map = readFileSync(`${entry}.map`);
  return {
    label,
    handler: fn.handler,
    entry,
    environment: fn.environment,
    jsBytes: js.length,
    mapBytes: map.length,
    zippedBytes: deflateRawSync(js).length + deflateRawSync(map).length,
    importMs: [],
    readyMs: [],
    importCpuMs: [],
  };
}

function coldStart(measure: BundleMeasure): void {
  const { entry, environment } = measure as Bundle;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE], {
    // Only what Lambda would set: the template's variables (NODE_OPTIONS included), a region, and the probe's entry.
    env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...environment, BENCH_ENTRY: pathToFileURL(entry).href },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (run.status !== 0) throw new Error(`cold start of ${entry} failed: ${run.stderr}`);
  const { importMs, readyMs, importCpuMs } = JSON.parse(run.stdout) as { importMs: number; readyMs: number; importCpuMs: number };
  measure.importMs.push(importMs);
  measure.readyMs.push(readyMs);
  measure.importCpuMs.push(importCpuMs);
}

function packagesOf(metafile: { outputs: Record<string, { entryPoint?: string; inputs: Record<string, { bytesInOutput: number }> }> }): Array<[string, number]> {
  const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint !== undefined)!;
  const byPackage = new Map<string, number>();
  for (const [file, info] of Object.entries(output.inputs)) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? 'this project';
    byPackage.set(name, (byPackage.get(name) ?? 0) + info.bytesInOutput);
  }
  return [...byPackage].sort((a, b) => b[1] - a[1]);
}

/** Bytes per package of a bundle, for the report: what the asset is made of. */
export async function bundleComposition(entry: string, external: string[] = []): Promise<Array<[string, number]>> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    write: false,
    outfile: 'out.mjs',
    minify: true,
    mainFields: ['module', 'main'],
    external,
    metafile: true,
    logLevel: 'error',
  });
  return packagesOf(result.metafile);
}

export function renderColdStart(report: ColdStartReport, composition: Array<[string, number]>): string {
  const all = [...report.deployed, ...report.variants];
  const rows = all.map((m) => [
    `${m.handler}: ${m.label}`,
    kb(m.jsBytes),
    kb(m.mapBytes),
    kb(m.zippedBytes),
    ms(median(m.importMs)),
    ms(median(m.importCpuMs)),
    ms(median(m.readyMs)),
  ]);
  const initMet = report.deployed.every((m) => median(m.importMs) <= 250);
  const total = composition.reduce((sum, [, bytes]) => sum + bytes, 0);
  return [
    `Node ${report.node} on this machine (Lambda runs nodejs22.x on arm64); ${report.options.inits} fresh processes per bundle, each importing the handler with the ` +
      `template's environment and NODE_OPTIONS=--enable-source-maps. "Import" is the module's load and initialisation (clients, config, logger); ` +
      `"ready" adds Node's own start-up, from process start.`,
    '',
    table(['Bundle', 'index.mjs', 'index.mjs.map', 'zipped (≈)', 'Import, wall (median)', 'Import, CPU (median)', 'Ready from process start (median)'], rows),
    '',
    `- Asset size (reported, no longer a goal): ${report.deployed.map((m) => `${m.handler} ${kb(m.jsBytes)}`).join(', ')}.`,
    `- Goal init ≤ 250 ms: ${verdict(initMet)} (${report.deployed.map((m) => `${m.handler} ${ms(median(m.importMs))}`).join(', ')}).`,
    '',
    `What the tick bundle is made of (minified bytes per package, ${kb(total)} in all):`,
    '',
    table(['Package', 'Bytes', 'Share'], composition.slice(0, 12).map(([name, bytes]) => [name, int(bytes), `${fixed((bytes / total) * 100, 0)}%`])),
  ].join('\n');
}
