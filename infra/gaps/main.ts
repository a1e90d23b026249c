/**
 * `npm run gaps`: lists the open coverage gaps (seconds whose query returned the API's cap) and
 * acknowledges them. Locally it works on the local runtime's data dir, or through the npm start
 * running on it; with --outputs or --table, on a deployed stack's checkpoint table (default AWS
 * credentials). An acknowledgement is a conditional write that waits for a running tick to let go.
 */
process.env.TZ = 'UTC';
import '../../functions/config/sdkNodeNotice.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createAwsClients, type AwsClients } from '../../functions/adapters/awsClients.js';
import { DynamoCheckpointStore } from '../../functions/adapters/dynamoCheckpointStore.js';
import { ConfigError } from '../../functions/config/env.js';
import { describeOpenGaps, gapsOf } from '../../functions/pipeline/coverageGaps.js';
import { acknowledgeGaps, AcknowledgeTimeoutError, UnknownGapError } from '../../functions/pipeline/coverageGapsAck.js';
import { OUTPUT } from '../cdk/outputs.js';
import { lockDataDir } from '../local/dataDirLock.js';
import { startEmulators } from '../local/emulators.js';
import { runningEndpoints } from '../local/endpointsFile.js';
import { LOCAL_NAMES } from '../local/runtime.js';
import { parseGapsArgs, USAGE, type GapsArgs, type Location } from './args.js';
import { ackTargets } from './select.js';

interface Target {
  store: DynamoCheckpointStore;
  where: string;
  close(): Promise<void>;
}

async function main(): Promise<number> {
  let args: GapsArgs | 'help';
  try {
    args = parseGapsArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ConfigError) && !(error as { code?: string }).code) throw error;
    console.error(`error: ${(error as Error).message}`);
    return 2;
  }
  if (args === 'help') {
    console.log(USAGE);
    return 0;
  }
  let target: Target;
  try {
    target = await open(args);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`error: ${error.message}`);
    return 2;
  }
  try {
    return args.command === 'list' ? await list(args, target) : await ack(args, target);
  } catch (error) {
    if (!(error instanceof UnknownGapError) && !(error instanceof ConfigError) && !(error instanceof AcknowledgeTimeoutError)) throw error;
    console.error(`error: ${error.message}`);
    return error instanceof AcknowledgeTimeoutError ? 1 : 2;
  } finally {
    await target.close();
  }
}

async function list(args: Extract<GapsArgs, { command: 'list' }>, target: Target): Promise<number> {
  const checkpoints = (await target.store.list()).filter(
    (cp) => (args.collection === undefined || cp.collection === args.collection) && (args.source === undefined || cp.source === args.source),
  );
  if (args.json) {
    const gaps = checkpoints.flatMap((cp) => {
      const { open, unlisted } = gapsOf(cp);
      if (open.length === 0 && unlisted === 0) return [];
      return [{ source: cp.source, collection: cp.collection, ...(cp.lane ? { lane: cp.lane } : {}), open, unlisted }];
    });
    console.log(JSON.stringify(gaps, null, 2));
    return 0;
  }
  const lines = describeOpenGaps(checkpoints);
  console.log(lines.length === 0 ? `no open coverage gap in ${target.where}` : lines.join('\n'));
  return 0;
}

async function ack(args: Extract<GapsArgs, { command: 'ack' }>, target: Target): Promise<number> {
  const keys = ackTargets(await target.store.list(), args);
  let removed = 0;
  for (const key of keys) {
    const done = await acknowledgeGaps(key, args.selector, {
      store: target.store,
      clock: { nowMs: Date.now },
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      maxWaitMs: args.waitMs,
      onWait: (owner, untilMs) =>
        console.log(`${key.source}/${key.collection}${key.lane ? ` (backfill window ${key.lane})` : ''}: waiting for the run holding its lease (${owner}, until ${new Date(untilMs).toISOString()})`),
    });
    removed += done.removed;
  }
  const what = args.selector === 'all' ? 'every coverage gap' : `the coverage gap at second ${args.selector.second} (${new Date(args.selector.second * 1000).toISOString().replace('.000Z', 'Z')})`;
  console.log(`acknowledged ${what} of ${keys[0]!.source}/${args.collection}: ${removed} removed from ${keys.length} checkpoint${keys.length === 1 ? '' : 's'} in ${target.where}`);
  return 0;
}

async function open(location: Location): Promise<Target> {
  return location.deployed ? deployed(location.deployed) : local(location.dataDir);
}

async function deployed(deployed: NonNullable<Location['deployed']>): Promise<Target> {
  let table = deployed.table;
  if (!table && deployed.outputs) {
    const outputs = JSON.parse(await readFile(deployed.outputs, 'utf8')) as Record<string, Record<string, string>>;
    table = Object.values(outputs)[0]?.[OUTPUT.checkpointTable];
    if (!table) throw new ConfigError('--outputs', `${deployed.outputs} has no ${OUTPUT.checkpointTable}: pass --table`);
  }
  const region = deployed.region ?? process.env.AWS_REGION;
  if (!region) throw new ConfigError('--region', '--region (or AWS_REGION) is required with --outputs or --table');
  const clients = createAwsClients({ region, requestTimeoutMs: 10_000 });
  return { store: new DynamoCheckpointStore(clients.documents, table!), where: `table ${table}`, close: async () => clients.destroy() };
}

async function local(dataDir: string): Promise<Target> {
  const running = await runningEndpoints(dataDir);
  if (running) {
    const clients = createAwsClients({ region: running.region, requestTimeoutMs: 10_000, endpoints: running.endpoints, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    return { store: new DynamoCheckpointStore(clients.documents, running.table), where: `the npm start running on ${dataDir}`, close: async () => clients.destroy() };
  }
  // No npm start on it: open its emulators ourselves, holding the data dir as npm start would.
  const lock = await lockDataDir(path.resolve(dataDir), 'npm run gaps').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigError('--data-dir', `${dataDir} does not exist: nothing has run there (npm start runs the pipeline locally)`);
    throw error;
  });
  const emulators = await startEmulators({ dataDir: path.join(dataDir, 'aws') });
  const clients = createAwsClients({ region: emulators.region, requestTimeoutMs: 10_000, endpoints: emulators.endpoints, credentials: emulators.credentials });
  return {
    store: new NoTableIsEmpty(clients.documents, LOCAL_NAMES.table),
    where: dataDir,
    close: async () => {
      clients.destroy();
      await emulators.close();
      await lock.release();
    },
  };
}

/** A data dir where npm start never provisioned the table has no checkpoints, so no gaps: not an error. */
class NoTableIsEmpty extends DynamoCheckpointStore {
  override async list() {
    try {
      return await super.list();
    } catch (error) {
      if ((error as { cause?: { name?: string } }).cause?.name === 'ResourceNotFoundException') return [];
      throw error;
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`gaps failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
