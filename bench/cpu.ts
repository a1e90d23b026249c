/**
 * 5. CPU per record of what the pipeline does to every page — decode the body, parse and
 * validate it (classifyResponse), encode NDJSON.gz (encodeLandingObjects) — against a floor
 * measured on the same bytes in the same run: JSON.parse + JSON.stringify + gzip. Also each
 * gzip level's CPU and output size, which is what the level choice trades.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { classifyResponse } from '../functions/conveyour/response.js';
import { encodeLandingObjectsSync, GZIP_LEVEL } from '../functions/pipeline/landing.js';
import { encodeRawLanding } from './alternatives/rawLanding.js';
import { startSimulator } from '../infra/local/simulator/index.js';
import { fixed, int, ratio, table, verdict } from './lib/format.js';
import { median } from './lib/stats.js';

export const CPU_COLLECTIONS = ['events', 'contacts', 'message_reports', 'lessons'] as const;

export interface CpuOptions {
  /** Pages per collection (of 1000 records). */
  pagesPerCollection: number;
  runs: number;
}

export interface CpuReport {
  options: CpuOptions;
  records: number;
  bytes: number;
  gzipLevel: number;
  /** Microseconds per record, per run. */
  oursUs: number[];
  floorUs: number[];
  stages: Record<string, number[]>;
  /** The whole path with the raw-slice encoder, a measured alternative (bench/alternatives/rawLanding.ts). */
  alternativeUs: number[];
  levels: Array<{ level: number; usPerRecord: number; ratio: number }>;
}

export async function runCpu(options: CpuOptions, log: (line: string) => void): Promise<CpuReport> {
  const bodies = await fetchBodies(options.pagesPerCollection);
  const records = bodies.reduce((sum, body) => sum + body.records, 0);
  const bytes = bodies.reduce((sum, body) => sum + body.bytes.length, 0);
  const context = { nowMs: Date.now(), secrets: [] as string[] };
  const identity = { prefix: '', source: 'bench', collection: 'events', window: { start: 0, end: 1 }, run: 'bench', generation: 0, range: 'p000000-000000' };
  const parsedPages = bodies.map((body) => classifyResponse({ status: 200, headers: {}, body: body.bytes.toString('utf8') }, context).results);

  const stages: Record<string, () => void> = {
    'decode (UTF-8 body to string)': () => bodies.forEach((body) => body.bytes.toString('utf8')),
    'parse + validate (classifyResponse)': () => bodies.forEach((body) => classifyResponse({ status: 200, headers: {}, body: body.text }, context)),
    'encode NDJSON.gz (encodeLandingObjects)': () => parsedPages.forEach((page) => encodeLandingObjectsSync(identity, page)),
    '(alternative) encode from raw slices of the body instead': () => bodies.forEach((body, index) => encodeRawLanding(body.bytes, parsedPages[index]!)),
  };
  const ours = () => {
    for (const body of bodies) {
      const page = classifyResponse({ status: 200, headers: {}, body: body.bytes.toString('utf8') }, context);
      encodeLandingObjectsSync(identity, page.results);
    }
  };
  const alternative = () => {
    for (const body of bodies) {
      const page = classifyResponse({ status: 200, headers: {}, body: body.bytes.toString('utf8') }, context);
      encodeRawLanding(body.bytes, page.results);
    }
  };
  checkRawLanding(bodies.map((body, index) => ({ bytes: body.bytes, records: parsedPages[index]! })));
  const floor = () => {
    for (const body of bodies) {
      const results = (JSON.parse(body.bytes.toString('utf8')) as { data: { data: { results: unknown[] } } }).data.data.results;
      gzipSync(Buffer.from(JSON.stringify(results)), { level: GZIP_LEVEL });
    }
  };
  const perRecord = (work: () => void) => {
    const started = process.cpuUsage();
    work();
    const used = process.cpuUsage(started);
    return (used.user + used.system) / records;
  };
  // Warm up the JIT on every path before anything counts.
  for (let i = 0; i < 3; i++) {
    ours();
    floor();
    alternative();
  }
  const report: CpuReport = {
    options,
    records,
    bytes,
    gzipLevel: GZIP_LEVEL,
    oursUs: [],
    floorUs: [],
    stages: Object.fromEntries(Object.keys(stages).map((name) => [name, []])),
    alternativeUs: [],
    levels: [],
  };
  for (let run = 0; run < options.runs; run++) {
    // Interleaved, so a noisy neighbour hits both sides of the ratio alike.
    report.oursUs.push(perRecord(ours));
    report.floorUs.push(perRecord(floor));
    for (const [name, work] of Object.entries(stages)) report.stages[name]!.push(perRecord(work));
    report.alternativeUs.push(perRecord(alternative));
  }
  const ndjson = parsedPages.map((page) => Buffer.from(`${page.map((record) => JSON.stringify(record)).join('\n')}\n`));
  const rawBytes = ndjson.reduce((sum, buffer) => sum + buffer.length, 0);
  // Interleaved by run, like the paths above, so load from elsewhere falls on every level alike.
  const levels = [1, 3, 4, 5, 6, 7, 9];
  const samples = new Map<number, number[]>(levels.map((level) => [level, []]));
  const compressed = new Map<number, number>();
  for (let run = 0; run < options.runs; run++) {
    for (const level of levels) {
      let bytesOut = 0;
      samples.get(level)!.push(perRecord(() => ndjson.forEach((buffer) => (bytesOut += gzipSync(buffer, { level }).length))));
      compressed.set(level, bytesOut);
    }
  }
  for (const level of levels) report.levels.push({ level, usPerRecord: median(samples.get(level)!), ratio: rawBytes / compressed.get(level)! });
  log(`  cpu: ours ${fixed(median(report.oursUs), 2)} µs/record, floor ${fixed(median(report.floorUs), 2)} µs/record`);
  return report;
}

/** The raw slices must hold exactly the parsed records, or the alternative is not worth a number. */
function checkRawLanding(pages: Array<{ bytes: Buffer; records: Array<{ _id: string }> }>): void {
  for (const page of pages) {
    const objects = encodeRawLanding(page.bytes, page.records as never);
    if (!objects) throw new Error('raw-slice encoder found no results array');
    const ids = objects.flatMap((object) => gunzipSync(object.body).toString('utf8').split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { _id: string })._id));
    const expected = page.records.map((record) => record._id);
    if (ids.length !== expected.length || new Set(ids).size !== new Set(expected).size || !expected.every((id) => ids.includes(id))) {
      throw new Error('raw-slice encoder lost or changed records');
    }
  }
}

async function fetchBodies(pagesPerCollection: number): Promise<Array<{ bytes: Buffer; text: string; records: number }>> {
  const pageSize = 1000;
  const counts = Object.fromEntries(CPU_COLLECTIONS.map((c) => [c, pagesPerCollection * pageSize]));
  const sim = await startSimulator({ seed: 5, history: { days: 3, counts }, pageSize });
  try {
    const headers = { 'x-conveyour-appkey': sim.credentials.appkey, 'x-conveyour-token': sim.credentials.token };
    const end = Math.floor(Date.now() / 1000) + 1;
    const bodies: Array<{ bytes: Buffer; text: string; records: number }> = [];
    for (const collection of CPU_COLLECTIONS) {
      let params = new URLSearchParams({ collection, start_time: '0', end_time: String(end), data: '1' });
      for (let page = 0; page < pagesPerCollection; page++) {
        const response = await fetch(`${sim.url}/api/reports/collectionStream?${params}`, { headers });
        const bytes = Buffer.from(await response.arrayBuffer());
        const text = bytes.toString('utf8');
        const inner = (JSON.parse(text) as { data: { data: { results: unknown[]; query_id: string; pagination: { next_cursor?: string } } } }).data.data;
        bodies.push({ bytes, text, records: inner.results.length });
        if (!inner.pagination.next_cursor) break;
        params = new URLSearchParams({ query_id: inner.query_id, cursor: inner.pagination.next_cursor, data: '1' });
      }
    }
    return bodies;
  } finally {
    await sim.close();
  }
}

export function renderCpu(report: CpuReport): string {
  const ours = median(report.oursUs);
  const floor = median(report.floorUs);
  const rows = [
    ['**Ours** (decode + classifyResponse + encodeLandingObjects)', fixed(ours, 2), fixed(report.bytes / report.records / ours, 0), ratio(ours / floor)],
    ...Object.entries(report.stages).map(([name, samples]) => [`  of which ${name}`, fixed(median(samples), 2), '', '']),
    ['**Floor** (decode + JSON.parse + JSON.stringify of the results + gzip)', fixed(floor, 2), fixed(report.bytes / report.records / floor, 0), '1.00×'],
    [
      'Alternative, not made: ours with the raw-slice encoder (bench/alternatives/rawLanding.ts)',
      fixed(median(report.alternativeUs), 2),
      fixed(report.bytes / report.records / median(report.alternativeUs), 0),
      ratio(median(report.alternativeUs) / floor),
    ],
  ];
  const level6 = report.levels.find((l) => l.level === report.gzipLevel) ?? report.levels.find((l) => l.level === 6)!;
  return [
    `Bytes: ${int(report.records)} records (${CPU_COLLECTIONS.join(', ')}, pages of 1,000), ${int(report.bytes)} bytes of response bodies ` +
      `(${fixed(report.bytes / report.records, 0)} bytes per record). CPU time (user + system) per record, median of ${report.options.runs} interleaved runs, gzip level ${report.gzipLevel === -1 ? '6 (Z_DEFAULT_COMPRESSION)' : report.gzipLevel}.`,
    '',
    table(['Path', 'µs per record', 'MB/s', 'vs floor'], rows),
    '',
    `- Goal within 1.5× of the floor: ${verdict(ours / floor <= 1.5)} (${ratio(ours / floor)}).`,
    '',
    'gzip levels on the same NDJSON (CPU of the compression alone):',
    '',
    table(
      ['Level', 'µs per record', 'Compression ratio', 'Output vs level 6'],
      report.levels.map((l) => [String(l.level), fixed(l.usPerRecord, 2), `${fixed(l.ratio, 2)}:1`, `${fixed((level6.ratio / l.ratio) * 100, 0)}%`]),
    ),
  ].join('\n');
}
