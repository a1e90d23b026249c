/**
 * `npm run status`: every checkpoint, with watermark, lag, the server clock, the run in flight, the lease,
 * the last error and the open coverage gaps. Locally it reads the running `npm start`'s table (or the persisted one);
 * with --table it reads a deployed table through the default AWS credentials.
 */
process.env.TZ = 'UTC';
import '../../functions/config/sdkNodeNotice.js';
import { parseArgs } from 'node:util';
import { createAwsClients, type AwsClients } from '../../functions/adapters/awsClients.js';
import { DynamoBackfillStore } from '../../functions/adapters/dynamoBackfillStore.js';
import type { BackfillPlan } from '../../functions/backfill/plan.js';
import { iso, ledger, progressOf, renderBar } from '../backfill/progress.js';
import { DynamoCheckpointStore } from '../../functions/adapters/dynamoCheckpointStore.js';
import type { Checkpoint } from '../../functions/pipeline/checkpoint.js';
import { openGapCount } from '../../functions/pipeline/coverageGaps.js';
import { windowLane } from '../../functions/backfill/plan.js';
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
  const { checkpoints, plans } = values.table ? await deployed(values.table, values.region ?? process.env.AWS_REGION) : await local(values['data-dir']);
  if (checkpoints.length === 0) {
    console.log('no checkpoints yet: nothing has run (npm start runs the pipeline locally)');
    return 0;
  }
  if (values.json) {
    console.log(JSON.stringify({ checkpoints, backfills: plans }, null, 2));
    return 0;
  }
  console.log(renderDetail(checkpoints, Date.now()));
  if (plans.length > 0) console.log(`\n${renderBackfills(plans, checkpoints)}`);
  return 0;
}

/** Each backfill's progress and coverage ledger; gaps are ranges no finished window covers. */
function renderBackfills(plans: BackfillPlan[], checkpoints: Checkpoint[]): string {
  return plans
    .sort((a, b) => a.createdAtMs - b.createdAtMs)
    .map((plan) => {
      const { rows, gaps } = ledger(plan, checkpoints);
      const header = `backfill ${plan.id} ${plan.source}/${plan.collection} [${iso(plan.from)}, ${iso(plan.to)}): ${plan.status}, ${renderBar(progressOf([plan], checkpoints), (plan.status === 'done' ? plan.lastProgressMs : Date.now()) - plan.createdAtMs)}`;
      const lanes = new Set(plan.windows.map((_, index) => windowLane(plan.id, index)));
      const capped = checkpoints.filter((cp) => cp.source === plan.source && cp.collection === plan.collection && cp.lane !== undefined && lanes.has(cp.lane)).reduce((sum, cp) => sum + openGapCount(cp), 0);
      const atCap = capped ? `; ${capped} second${capped === 1 ? '' : 's'} at the API's cap (coverage gaps, below)` : '';
      const coverage = gaps.length === 0 ? `  coverage: complete, no gap${atCap}` : `  gaps: ${gaps.map(([start, end]) => `[${iso(start)}, ${iso(end)})`).join(', ')}${atCap}`;
      return [header, ...rows, coverage].join('\n');
    })
    .join('\n\n');
}

interface Stored {
  checkpoints: Checkpoint[];
  plans: BackfillPlan[];
}

async function read(clients: AwsClients, table: string): Promise<Stored> {
  return {
    checkpoints: await new DynamoCheckpointStore(clients.documents, table).list(),
    plans: await new DynamoBackfillStore(clients.documents, table).listPlans(),
  };
}

async function deployed(table: string, region: string | undefined): Promise<Stored> {
  if (!region) throw new Error('--region (or AWS_REGION) is required with --table');
  const clients = createAwsClients({ region, requestTimeoutMs: 10_000 });
  try {
    return await read(clients, table);
  } finally {
    clients.destroy();
  }
}

async function local(dataDir: string): Promise<Stored> {
  const running = await runningEndpoints(dataDir);
  if (running) {
    const clients = createAwsClients({ region: running.region, requestTimeoutMs: 10_000, endpoints: running.endpoints, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    try {
      return await read(clients, running.table);
    } finally {
      clients.destroy();
    }
  }
  const emulators = await startEmulators({ dataDir: path.join(dataDir, 'aws') });
  const clients = createAwsClients({ region: emulators.region, requestTimeoutMs: 10_000, endpoints: emulators.endpoints, credentials: emulators.credentials });
  try {
    return await read(clients, LOCAL_NAMES.table);
  } catch (error) {
    const notFound = (error as Error).name === 'ResourceNotFoundException' || (error as Error).message.includes('ResourceNotFound') || (error as { cause?: { name?: string } }).cause?.name === 'ResourceNotFoundException';
    if (notFound) return { checkpoints: [], plans: [] };
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
