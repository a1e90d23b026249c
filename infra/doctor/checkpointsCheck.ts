/**
 * The last tick and each collection's lag and last error, from the checkpoint table.
 *
 * The last tick is the newest time any tail checkpoint records (a success, an error, a run
 * started, the watermark moved). Its limit: an idle collection writes its checkpoint only
 * every IDLE_CHECKPOINT_SECONDS (15 minutes), so when every collection is idle the newest
 * write can be that old on a healthy stack; the doctor calls a tick late only past that
 * plus two schedule periods. It costs no other API or permission (CloudWatch would) and
 * reads the same locally; a tick that fails before any collection claims its lease (the
 * function cannot start) shows up as a late tick, which is the point.
 */
import { DynamoCheckpointStore } from '../../functions/adapters/dynamoCheckpointStore.js';
import type { Checkpoint } from '../../functions/pipeline/checkpoint.js';
import { OUTPUT } from '../cdk/outputs.js';
import { describeError, type Finding } from './findings.js';
import { secretsOf } from './secretsCheck.js';
import { awsCommand, shellQuote, type DoctorClients, type DoctorTarget } from './target.js';

export interface CheckpointPolicy {
  nowMs: number;
  /** Lag above this is a problem; the stack's lag alarm default is 1800 s. */
  lagThresholdSeconds: number;
  /** The newest checkpoint write older than this means ticks stopped. */
  lastTickMaxAgeMs: number;
}

export const DEFAULT_CHECKPOINT_POLICY = { lagThresholdSeconds: 1800, lastTickMaxAgeMs: (900 + 2 * 60) * 1000 } as const;

export async function checkCheckpoints(target: DoctorTarget, clients: DoctorClients, policy: CheckpointPolicy, scheduleEnabled: boolean): Promise<Finding[]> {
  let checkpoints: Checkpoint[];
  try {
    checkpoints = (await new DynamoCheckpointStore(clients.documents, target.outputs[OUTPUT.checkpointTable]!).list()).filter((cp) => cp.lane === undefined);
  } catch (error) {
    return [{ check: 'collection', subject: '-', verdict: 'problem', detail: `could not read the checkpoint table ${target.outputs[OUTPUT.checkpointTable]}: ${describeError(error)}`, fix: [] }];
  }
  checkpoints.sort((a, b) => `${a.source}/${a.collection}`.localeCompare(`${b.source}/${b.collection}`));
  return [lastTick(target, checkpoints, policy, scheduleEnabled), ...checkpoints.map((cp) => collection(target, cp, policy))];
}

function lastTick(target: DoctorTarget, checkpoints: Checkpoint[], policy: CheckpointPolicy, scheduleEnabled: boolean): Finding {
  const logs = logsCommand(target, undefined);
  const times = checkpoints.flatMap((cp) => [cp.counters.lastSuccessAtMs, cp.counters.lastError?.atMs, cp.inFlight?.startedAtMs, cp.watermarkMovedAtMs].filter((ms): ms is number => ms !== undefined));
  if (times.length === 0) {
    return { check: 'last-tick', subject: 'checkpoints', verdict: 'problem', detail: 'no tick has written a checkpoint yet', fix: scheduleEnabled ? [logs] : ['enable the schedule (above)'] };
  }
  const latest = Math.max(...times);
  const age = policy.nowMs - latest;
  const detail = `newest checkpoint write ${ago(age)} ago (${iso(latest)}); idle collections write every 15 minutes`;
  if (age > policy.lastTickMaxAgeMs) return { check: 'last-tick', subject: 'checkpoints', verdict: 'problem', detail: `${detail}: ticks have stopped`, fix: scheduleEnabled ? [logs] : ['enable the schedule (above)'] };
  return { check: 'last-tick', subject: 'checkpoints', verdict: 'ok', detail };
}

function collection(target: DoctorTarget, cp: Checkpoint, policy: CheckpointPolicy): Finding {
  const subject = `${cp.source}/${cp.collection}`;
  const error = cp.counters.lastError;
  const lagSeconds = cp.watermark === undefined ? undefined : Math.max(0, Math.round(policy.nowMs / 1000 - cp.watermark));
  const lag = lagSeconds === undefined ? 'not started' : `lag ${ago(lagSeconds * 1000)}`;
  if (error) {
    // A success clears lastError: one still there means the collection is failing now.
    const since = cp.counters.lastSuccessAtMs ? `last ok ${iso(cp.counters.lastSuccessAtMs)}` : 'never succeeded';
    return { check: 'collection', subject, verdict: 'problem', detail: `failing: ${error.code} at ${iso(error.atMs)}: ${error.message} (${lag}, ${since})`, fix: fixFor(target, cp, error.code) };
  }
  if (lagSeconds !== undefined && lagSeconds > policy.lagThresholdSeconds) {
    return { check: 'collection', subject, verdict: 'problem', detail: `${lag}, over ${policy.lagThresholdSeconds} s${cp.inFlight ? `; a run has been in flight since ${iso(cp.inFlight.startedAtMs)}` : ''}`, fix: [logsCommand(target, cp)] };
  }
  return { check: 'collection', subject, verdict: 'ok', detail: `${lag}, ${cp.counters.records} records landed${cp.inFlight ? ', a run in flight' : ''}` };
}

function fixFor(target: DoctorTarget, cp: Checkpoint, code: string): string[] {
  if (code === 'CONVEYOUR_AUTH' || code.startsWith('SECRET_')) {
    const secret = secretsOf(target.outputs).find((entry) => entry.source === cp.source);
    if (secret) {
      return [awsCommand(target, 'secretsManager', `put-secret-value --secret-id ${shellQuote(secret.secretId)} --secret-string '{"appkey":"YOUR_APP_KEY","token":"YOUR_TOKEN"}'`) + '   # ConveYour refused these credentials'];
    }
    return ['set CONVEYOUR_APPKEY and CONVEYOUR_TOKEN in .env to credentials ConveYour accepts, then restart npm start'];
  }
  return [logsCommand(target, cp)];
}

function logsCommand(target: DoctorTarget, cp: Checkpoint | undefined): string {
  const logGroup = target.outputs[OUTPUT.tickLogGroup];
  if (target.endpoints || !logGroup) return `npm start -- --verbose   # the handlers' logs${cp ? `; look for collection ${cp.collection}` : ''}`;
  return `aws logs tail ${shellQuote(logGroup)} --since 1h${cp ? ` --filter-pattern ${shellQuote(`"${cp.collection}"`)}` : ''}`;
}

function ago(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
