/**
 * The tick's EventBridge Scheduler schedule: found by its target (the tick function, a stack
 * output), then read with GetSchedule for its State. A disabled schedule's fix is the
 * UpdateSchedule call that re-enables it, which must restate the whole definition: the
 * command is built from the definition just read.
 */
import { GetScheduleCommand, paginateListSchedules, type GetScheduleCommandOutput } from '@aws-sdk/client-scheduler';
import { OUTPUT } from '../cdk/outputs.js';
import { describeError, errorName, type Finding } from './findings.js';
import { awsCommand, shellQuote, type DoctorClients, type DoctorTarget } from './target.js';

export interface ScheduleResult {
  findings: Finding[];
  enabled: boolean;
  /** The schedule's own dead-letter queue, when it has one. */
  deadLetterArn: string | undefined;
}

export async function checkSchedule(target: DoctorTarget, clients: DoctorClients): Promise<ScheduleResult> {
  const tickFunction = target.outputs[OUTPUT.tickFunction]!;
  const failed = (detail: string, fix: string[]): ScheduleResult => ({ findings: [{ check: 'schedule', subject: tickFunction, verdict: 'problem', detail, fix }], enabled: false, deadLetterArn: undefined });
  let found: { name: string; group: string } | undefined;
  let schedule: GetScheduleCommandOutput;
  try {
    found = await findSchedule(clients, tickFunction);
    if (!found) return failed(`no EventBridge Scheduler schedule targets the tick function ${tickFunction}`, ['npx cdk deploy --outputs-file cdk-outputs.json   # the stack declares the schedule']);
    schedule = await clients.scheduler.send(new GetScheduleCommand({ Name: found.name, GroupName: found.group }));
  } catch (error) {
    if (errorName(error) === 'AccessDeniedException') {
      return failed(`access denied reading schedules (${describeError(error)})`, [`${awsCommand(target, 'sts', 'get-caller-identity')}   # run the doctor as a principal allowed scheduler:ListSchedules and GetSchedule`]);
    }
    return failed(`could not read the schedule: ${describeError(error)}`, []);
  }
  const deadLetterArn = schedule.Target?.DeadLetterConfig?.Arn;
  const subject = `${found.group}/${found.name}`;
  if (schedule.State !== 'ENABLED') {
    return {
      findings: [{ check: 'schedule', subject, verdict: 'problem', detail: `${schedule.State ?? 'no state'}: no tick runs, nothing lands`, fix: [enableCommand(target, found, schedule)] }],
      enabled: false,
      deadLetterArn,
    };
  }
  return { findings: [{ check: 'schedule', subject, verdict: 'ok', detail: `ENABLED, ${schedule.ScheduleExpression}` }], enabled: true, deadLetterArn };
}

async function findSchedule(clients: DoctorClients, tickFunction: string): Promise<{ name: string; group: string } | undefined> {
  for await (const page of paginateListSchedules({ client: clients.scheduler }, {})) {
    for (const summary of page.Schedules ?? []) {
      const arn = summary.Target?.Arn ?? '';
      if ((arn.endsWith(`:function:${tickFunction}`) || arn.includes(`:function:${tickFunction}:`)) && summary.Name) return { name: summary.Name, group: summary.GroupName ?? 'default' };
    }
  }
  return undefined;
}

function enableCommand(target: DoctorTarget, found: { name: string; group: string }, schedule: GetScheduleCommandOutput): string {
  const args = [
    `update-schedule --name ${shellQuote(found.name)} --group-name ${shellQuote(found.group)}`,
    `--schedule-expression ${shellQuote(schedule.ScheduleExpression ?? 'rate(1 minute)')}`,
    `--flexible-time-window ${shellQuote(JSON.stringify(schedule.FlexibleTimeWindow ?? { Mode: 'OFF' }))}`,
    `--target ${shellQuote(JSON.stringify(schedule.Target))}`,
    '--state ENABLED',
  ];
  return awsCommand(target, 'scheduler', args.join(' '));
}
