/**
 * `npm start` publishes its emulator endpoints in the data dir, so `npm run status` can read
 * the live table instead of opening LevelDB, which the running emulator holds locked, and
 * `npm run doctor` can check the running pipeline through the stack outputs it would have.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AwsEndpoints } from '../../functions/adapters/awsClients.js';
import type { LocalRuntime } from './runtime.js';

export interface PublishedEndpoints {
  pid: number;
  region: string;
  endpoints: AwsEndpoints;
  table: string;
  bucket: string;
  queueUrl: string;
  /** As cdk-outputs.json: { stack: { OutputName: value } }. */
  outputs?: Record<string, Record<string, string>>;
}

const FILE = 'endpoints.json';

/** What this process publishes for a running runtime: `npm start` does it, and tests that stand in for it. */
export function endpointsOf(runtime: LocalRuntime): PublishedEndpoints {
  return {
    pid: process.pid,
    region: runtime.emulators.region,
    endpoints: runtime.emulators.endpoints,
    table: runtime.resources.table,
    bucket: runtime.resources.bucket,
    queueUrl: runtime.resources.queueUrl,
    outputs: runtime.outputs(),
  };
}

export async function publishEndpoints(dataDir: string, endpoints: PublishedEndpoints): Promise<() => Promise<void>> {
  const file = path.join(dataDir, FILE);
  await writeFile(file, `${JSON.stringify(endpoints, null, 2)}\n`);
  return () => rm(file, { force: true });
}

/** The endpoints of a running `npm start` on this data dir, if one is alive. */
export async function runningEndpoints(dataDir: string): Promise<PublishedEndpoints | undefined> {
  let published: PublishedEndpoints;
  try {
    published = JSON.parse(await readFile(path.join(dataDir, FILE), 'utf8')) as PublishedEndpoints;
  } catch {
    return undefined;
  }
  try {
    process.kill(published.pid, 0);
    return published;
  } catch {
    return undefined;
  }
}
