/**
 * 2. lesson_transcripts over 1,000 contacts: the hybrid reader (lessonTranscripts, bounded
 * concurrency) against one contact at a time, the original tool's loop, on the same
 * simulator (its own process) with the same page latency.
 */
import { ConveYourClient } from '../functions/conveyour/client.js';
import { TRANSCRIPTS } from '../functions/conveyour/collections.js';
import { DEFAULT_TRANSCRIPT_CONCURRENCY, lessonTranscripts } from '../functions/conveyour/lessonTranscripts.js';
import type { PageSource, QueryWindow } from '../functions/conveyour/types.js';
import type { SimulatorReady } from './hosts/simulatorHost.js';
import { startChild } from './lib/child.js';
import { fixed, int, ms, ratio, table, verdict } from './lib/format.js';
import { productPolicy } from './lib/product.js';
import { median, repeat } from './lib/stats.js';

export interface TranscriptsOptions {
  contacts: number;
  latencyMs: number;
  runs: number;
}

interface Run {
  wallMs: number;
  contacts: number;
  transcripts: number;
  requests: number;
}

export interface TranscriptsReport {
  options: TranscriptsOptions;
  /** Concurrency -> runs; includes the pipeline's configured value and the reader's default. */
  ours: Array<{ concurrency: number; label: string; runs: Run[] }>;
  sequential: Run[];
}

export async function runTranscripts(options: TranscriptsOptions, log: (line: string) => void): Promise<TranscriptsReport> {
  const sim = await startChild<SimulatorReady>('bench/hosts/simulatorHost.ts', [
    JSON.stringify({ seed: 3, history: { days: 3, counts: { contacts: options.contacts } }, pageSize: 1000, latencyMs: options.latencyMs }),
  ]);
  const client = new ConveYourClient({ baseUrl: sim.ready.url, credentials: sim.ready.credentials });
  const window = { start: 0, end: Math.floor(Date.now() / 1000) + 1 };
  const pipelineConcurrency = productPolicy().transcriptConcurrency;
  // The pipeline's configured value first; the reader's own default too when it differs.
  const variants = [{ concurrency: pipelineConcurrency, label: `pipeline (TRANSCRIPT_CONCURRENCY default)`, runs: [] as Run[] }];
  if (DEFAULT_TRANSCRIPT_CONCURRENCY !== pipelineConcurrency) {
    variants.push({ concurrency: DEFAULT_TRANSCRIPT_CONCURRENCY, label: 'reader default (DEFAULT_TRANSCRIPT_CONCURRENCY)', runs: [] });
  }
  const report: TranscriptsReport = { options, ours: variants, sequential: [] };
  try {
    await repeat(options.runs, async (run) => {
      for (const variant of variants) {
        const result = await ours(client, window, variant.concurrency);
        variant.runs.push(result);
        log(`  transcripts run ${run + 1} concurrency ${variant.concurrency}: ${int(result.contacts)} contacts in ${fixed(result.wallMs, 0)} ms`);
      }
      const result = await oneAtATime(client, window);
      report.sequential.push(result);
      log(`  transcripts run ${run + 1} one at a time: ${int(result.contacts)} contacts in ${fixed(result.wallMs, 0)} ms`);
    });
  } finally {
    await client.close();
    await sim.close();
  }
  return report;
}

async function ours(source: PageSource, window: QueryWindow, concurrency: number): Promise<Run> {
  const started = performance.now();
  let contacts = 0;
  let transcripts = 0;
  let requests = 1;
  for await (const item of lessonTranscripts(source, window, { concurrency })) {
    contacts += 1;
    transcripts += item.records.length;
    requests += item.pages.length;
  }
  return { wallMs: performance.now() - started, contacts, transcripts, requests };
}

/** The original tool's loop: a contacts page, then each contact's transcripts, one request at a time. */
async function oneAtATime(source: PageSource, window: QueryWindow): Promise<Run> {
  const started = performance.now();
  let contacts = 0;
  let transcripts = 0;
  let requests = 0;
  for await (const page of source.pages({ collection: 'contacts', window })) {
    requests += 1;
    for (const contact of page.records) {
      contacts += 1;
      for await (const transcriptPage of source.pages({ collection: TRANSCRIPTS, window, conId: contact._id })) {
        requests += 1;
        transcripts += transcriptPage.records.map((record) => ({ ...record, contact })).length;
      }
    }
  }
  return { wallMs: performance.now() - started, contacts, transcripts, requests };
}

export function renderTranscripts(report: TranscriptsReport): string {
  const sequential = median(report.sequential.map((run) => run.wallMs));
  const sample = report.sequential[0]!;
  const rows = [
    ...report.ours.map((variant) => {
      const wall = median(variant.runs.map((run) => run.wallMs));
      return [`Ours, concurrency ${variant.concurrency}: ${variant.label}`, ms(wall), fixed((sample.contacts * 1000) / wall, 0), ratio(sequential / wall)];
    }),
    ['One contact at a time (original loop)', ms(sequential), fixed((sample.contacts * 1000) / sequential, 0), '1.00×'],
  ];
  const pipeline = report.ours[0]!;
  const pipelineSpeedup = sequential / median(pipeline.runs.map((run) => run.wallMs));
  return [
    `${int(sample.contacts)} contacts with ${int(sample.transcripts)} transcripts (${int(sample.requests)} requests), page latency ${report.options.latencyMs} ms, median of ${report.options.runs} runs.`,
    '',
    table(['Reader', 'Wall time', 'Contacts/s', 'Speed-up'], rows),
    '',
    `- Goal ≥ 8×: ${verdict(pipelineSpeedup >= 8)} (${ratio(pipelineSpeedup)} at the pipeline's TRANSCRIPT_CONCURRENCY default of ${pipeline.concurrency}).`,
  ].join('\n');
}
