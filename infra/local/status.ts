/**
 * `npm run status`: every checkpoint, with watermark, lag, the run in flight, the lease and
 * the last error. Locally it reads the running `npm start`'s table (or the persisted one);
 * with --table it reads a deployed table through the default AWS credentials.
 */
process.env.TZ = 'UTC';
import { parseArgs } from 'node:util';
import { createAwsClients } from '../../functions/adapters/awsClients.js';
import { DynamoCheckpointStore } from '../../functions/adapters/dynamoCheckpointStore.js';
import type { Checkpoint } from '../../functions/pipeline/checkpoint.js';
import { startEmulators } from './emulators.js';
import { runningEndpoints } from './endpointsFile.js';
import { LOCAL_NAMES } from './runtime.js';
import { renderDetail } from './statusView.js';
import path from 'node:path';

const USAGE = `usage: npm run status -- [--data-dir=DIR] [--table=NAME [--region=REGION]] [--json]

  --data-dir=DIR   the local runtime's data dir (default .local)
  --table=NAME     read a deployed checkpoint table instead (default AWS credentials)
  --region=REGION  the table's region (default AWS_REGION)
  --json           print the checkpoints as JSON`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      strict: true,
      options: { 'data-dir': { type: 'string', default: '.local' }, table: { type: 'string' }, region: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const checkpoints = values.table ? await deployed(values.table, values.region ?? process.env.AWS_REGION) : await local(values['data-dir']);
  if (checkpoints.length === 0) {
    console.log('no checkpoints yet: nothing has run (npm start runs the pipeline locally)');
    return 0;
  }
  console.log(values.json ? JSON.stringify(checkpoints, null, 2) : renderDetail(checkpoints, Date.now()));
  return 0;
}

async function deployed(table: string, region: string | undefined): Promise<Checkpoint[]> {
  if (!region) throw new Error('--region (or AWS_REGION) is required with --table');
  const clients = createAwsClients({ region, requestTimeoutMs: 10_000 });
  try {
    return await new DynamoCheckpointStore(clients.documents, table).list();
  } finally {
    clients.destroy();
  }
}

async function local(dataDir: string): Promise<Checkpoint[]> {
  const running = await runningEndpoints(dataDir);
  if (running) {
    const clients = createAwsClients({ region: running.region, requestTimeoutMs: 10_000, endpoints: running.endpoints, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    try {
      return await new DynamoCheckpointStore(clients.documents, running.table).list();
    } finally {
      clients.destroy();
    }
  }
  const emulators = await startEmulators({ dataDir: path.join(dataDir, 'aws') });
  const clients = createAwsClients({ region: emulators.region, requestTimeoutMs: 10_000, endpoints: emulators.endpoints, credentials: emulators.credentials });
  try {
    return await new DynamoCheckpointStore(clients.documents, LOCAL_NAMES.table).list();
  } catch (error) {
    if ((error as Error).message.includes('ResourceNotFound') || (error as { cause?: { name?: string } }).cause?.name === 'ResourceNotFoundException') return [];
    throw error;
  } finally {
    clients.destroy();
    await emulators.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`status failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
