/**
 * `npm run backfill`: plans a backfill per collection, sends its first windows, and watches it to
 * the end. Locally it hosts the real continue handler with --concurrency pollers on the local
 * runtime's data dir (or feeds a running `npm start`); against a deployed stack it only writes
 * the plans and the first messages: the deployed functions do the work, the tick keeps it going.
 */
process.env.TZ = 'UTC';
import '../../functions/config/sdkNodeNotice.js';
import { readFile } from 'node:fs/promises';
import dotenv from 'dotenv';
import { createAwsClients, type AwsClients } from '../../functions/adapters/awsClients.js';
import { DynamoBackfillStore } from '../../functions/adapters/dynamoBackfillStore.js';
import { DynamoCheckpointStore } from '../../functions/adapters/dynamoCheckpointStore.js';
import { SqsContinuationQueue } from '../../functions/adapters/sqsContinuationQueue.js';
import type { BackfillPlan } from '../../functions/backfill/plan.js';
import { driveBackfills, startBackfill } from '../../functions/backfill/worker.js';
import { ConfigError } from '../../functions/config/env.js';
import { silentLog } from '../../functions/pipeline/ports.js';
import { assertWithinHistory, DEFAULT_HISTORY_START } from '../../functions/time/historyStart.js';
import { OUTPUT } from '../cdk/outputs.js';
import { runningEndpoints } from '../local/endpointsFile.js';
import { startLocalRuntime, LOCAL_NAMES, type LocalRuntime } from '../local/runtime.js';
import { localSource } from '../local/source.js';
import { parseBackfillArgs, USAGE, type BackfillArgs } from './args.js';
import { duration, iso, progressOf, renderBar } from './progress.js';

const MAX_HOPS = 10;

interface Target {
  clients: AwsClients;
  checkpoints: DynamoCheckpointStore;
  plans: DynamoBackfillStore;
  queue: SqsContinuationQueue;
  source: string;
  /** Local runs keep their own backfills going (the deployed tick does it there). */
  upkeep: boolean;
  close(): Promise<void>;
}

async function main(): Promise<number> {
  dotenv.config({ quiet: true });
  let args: BackfillArgs | 'help';
  try {
    args = parseBackfillArgs(process.argv.slice(2), Date.now());
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (args === 'help') {
    console.log(USAGE);
    return 0;
  }
  let target: Target;
  try {
    target = args.deployed ? await deployedTarget(args) : await localTarget(args);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`error: ${error.message}`);
    return 2;
  }
  try {
    const clock = { nowMs: Date.now };
    const plans: BackfillPlan[] = [];
    for (const collection of args.collections) {
      const tail = await target.checkpoints.load({ source: target.source, collection });
      const to = args.to ?? tail?.origin ?? Math.floor(Date.now() / 1000);
      if (to <= args.from) {
        console.log(`${collection}: nothing to backfill: its tail already reads from ${new Date(to * 1000).toISOString()}`);
        continue;
      }
      const plan = await startBackfill(
        { source: target.source, collection, id: args.id, from: args.from, to, concurrency: args.concurrency },
        { plans: target.plans, queue: target.queue, clock, log: silentLog, policy: { maxHops: MAX_HOPS } },
      );
      plans.push(plan);
      console.log(`${collection}: backfill ${plan.id}, ${plan.windows.length} windows over [${iso(plan.from)}, ${iso(plan.to)}), ${args.concurrency} at a time`);
    }
    if (plans.length === 0 || args.detach) return 0;
    return await watch(plans, target, clock);
  } finally {
    await target.close();
  }
}

/** Redraws the progress until every plan is done; keeps stalled windows moving on a local run. */
async function watch(started: BackfillPlan[], target: Target, clock: { nowMs: () => number }): Promise<number> {
  const startedMs = Date.now();
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  for (;;) {
    const plans = (await Promise.all(started.map((plan) => target.plans.load(plan)))).filter((plan): plan is BackfillPlan => plan !== undefined);
    const progress = progressOf(plans, await target.checkpoints.list());
    const line = renderBar(progress, Date.now() - startedMs);
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else if (Date.now() - lastLine >= 10_000) {
      console.error(line);
      lastLine = Date.now();
    }
    if (plans.every((plan) => plan.status === 'done')) {
      if (tty) process.stderr.write('\n');
      const seconds = (Date.now() - startedMs) / 1000;
      console.log(`done: ${progress.windows} windows, ${progress.records} records in ${duration(seconds * 1000)} (${Math.round(progress.records / Math.max(seconds, 0.001))} records/s, ${progress.queries} queries)`);
      return 0;
    }
    if (target.upkeep) {
      await driveBackfills({ plans: target.plans, store: target.checkpoints, queue: target.queue, clock, log: silentLog, policy: { maxHops: MAX_HOPS }, stallMs: 60_000 });
    }
    await new Promise((resolve) => setTimeout(resolve, tty ? 500 : 2_000));
  }
}

async function localTarget(args: BackfillArgs): Promise<Target> {
  // The local runtime has no stack: its history starts where a default deployment's does.
  assertWithinHistory(args.from, DEFAULT_HISTORY_START, '--from');
  const source = args.source ?? LOCAL_NAMES.source;
  const running = await runningEndpoints(args.dataDir);
  if (running) {
    console.log(`feeding the npm start running on ${args.dataDir} (it runs one window at a time; stop it to use --concurrency=${args.concurrency})`);
    const clients = createAwsClients({ region: running.region, requestTimeoutMs: 10_000, endpoints: running.endpoints, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    return adapters(clients, running.table, running.queueUrl, source, false, async () => clients.destroy());
  }
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  // The ConveYour npm start reads on this data dir, by the same rule.
  const { conveyour } = localSource(process.env);
  const runtime: LocalRuntime = await startLocalRuntime({ dataDir: args.dataDir, command: 'npm run backfill', ...(conveyour ? { conveyour } : {}) });
  console.log(`backfilling from ${conveyour ? `ConveYour at ${conveyour.baseUrl}` : 'the ConveYour simulator'} into ${args.dataDir}`);
  const pollers = runtime.startContinuations((error) => console.error(`error: ${(error as Error).message}`), args.concurrency);
  return adapters(runtime.clients, runtime.resources.table, runtime.resources.queueUrl, source, true, async () => {
    await pollers.stop();
    await runtime.close();
  });
}

async function deployedTarget(args: BackfillArgs): Promise<Target> {
  const deployed = args.deployed!;
  let table = deployed.table;
  let queueUrl = deployed.queueUrl;
  // Without an outputs file (--table, --queue-url), the stack's default.
  let historyStart = DEFAULT_HISTORY_START;
  if (deployed.outputs) {
    const outputs = JSON.parse(await readFile(deployed.outputs, 'utf8')) as Record<string, Record<string, string>>;
    const stack = Object.values(outputs)[0] ?? {};
    table ??= stack[OUTPUT.checkpointTable];
    queueUrl ??= stack[OUTPUT.continuationQueue];
    historyStart = stack[OUTPUT.historyStart] ?? historyStart;
  }
  assertWithinHistory(args.from, historyStart, '--from');
  if (!table || !queueUrl) throw new ConfigError('--outputs', `${deployed.outputs} has no ${OUTPUT.checkpointTable} or ${OUTPUT.continuationQueue}: pass --table and --queue-url`);
  if (!args.source) throw new ConfigError('--source', '--source is required against a deployed stack: the name of one of its ConveYour sources');
  const region = deployed.region ?? process.env.AWS_REGION ?? queueUrl.split('.')[1];
  if (!region) throw new ConfigError('--region', '--region (or AWS_REGION) is required');
  const clients = createAwsClients({ region, requestTimeoutMs: 10_000 });
  return adapters(clients, table, queueUrl, args.source, false, async () => clients.destroy());
}

function adapters(clients: AwsClients, table: string, queueUrl: string, source: string, upkeep: boolean, close: () => Promise<void>): Target {
  return {
    clients,
    checkpoints: new DynamoCheckpointStore(clients.documents, table),
    plans: new DynamoBackfillStore(clients.documents, table),
    queue: new SqsContinuationQueue(clients.sqs, queueUrl),
    source,
    upkeep,
    close,
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`backfill failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
