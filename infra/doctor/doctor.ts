/**
 * `npm run doctor`'s checks, in the order an operator would look: credentials, schedule,
 * last tick, collections, dead letters, Snowpipe. The schedule runs first of the rest because
 * the schedule's dead-letter queue and the last-tick verdict depend on what it found.
 */
import { checkCheckpoints, DEFAULT_CHECKPOINT_POLICY } from './checkpointsCheck.js';
import { checkDeadLetters } from './deadLettersCheck.js';
import { report, type DoctorReport } from './findings.js';
import { checkSchedule } from './scheduleCheck.js';
import { checkSecrets } from './secretsCheck.js';
import { checkSnowpipe } from './snowpipeCheck.js';
import { createDoctorClients, type DoctorTarget } from './target.js';

export interface DoctorOptions {
  nowMs?: number;
  lagThresholdSeconds?: number;
  lastTickMaxAgeMs?: number;
  /** Snowpipe's queue ARN (SHOW PIPES), when Snowpipe is set up: then its notification must exist. */
  snowpipeQueueArn?: string;
}

export async function runDoctor(target: DoctorTarget, options: DoctorOptions = {}): Promise<DoctorReport> {
  const nowMs = options.nowMs ?? Date.now();
  const clients = createDoctorClients(target);
  try {
    const [secrets, schedule] = await Promise.all([checkSecrets(target, clients), checkSchedule(target, clients)]);
    const [checkpoints, deadLetters, snowpipe] = await Promise.all([
      checkCheckpoints(
        target,
        clients,
        {
          nowMs,
          lagThresholdSeconds: options.lagThresholdSeconds ?? DEFAULT_CHECKPOINT_POLICY.lagThresholdSeconds,
          lastTickMaxAgeMs: options.lastTickMaxAgeMs ?? DEFAULT_CHECKPOINT_POLICY.lastTickMaxAgeMs,
        },
        schedule.enabled,
      ),
      checkDeadLetters(target, clients, schedule.deadLetterArn),
      checkSnowpipe(target, clients, options.snowpipeQueueArn),
    ]);
    return report(target.stack, target.region, nowMs, [...secrets, ...schedule.findings, ...checkpoints, ...deadLetters, snowpipe]);
  } finally {
    clients.destroy();
  }
}
