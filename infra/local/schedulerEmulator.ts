/**
 * A small in-process EventBridge Scheduler, speaking the REST-JSON protocol the SDK v3 client
 * sends, for the local runtime: it holds the local tick's schedule, so `npm run doctor` reads
 * its State with the real GetSchedule call, and `aws scheduler update-schedule --state
 * DISABLED --endpoint-url ...` really pauses `npm start`'s ticks. Operations: CreateSchedule,
 * GetSchedule, UpdateSchedule, ListSchedules (default group only); no package emulates
 * Scheduler, so this is ours. It does not fire anything: the local runtime's timer does, and
 * asks {@link SchedulerEmulator.state} first.
 */
import type { RequestListener, ServerResponse } from 'node:http';
import { readBody, replyJson } from './jsonWire.js';

export interface EmulatedSchedule {
  Name: string;
  GroupName: string;
  Arn: string;
  State: 'ENABLED' | 'DISABLED';
  ScheduleExpression: string;
  FlexibleTimeWindow: { Mode: string; MaximumWindowInMinutes?: number };
  Target: { Arn: string; RoleArn: string; DeadLetterConfig?: { Arn: string }; RetryPolicy?: Record<string, number> };
  CreationDate: number;
  LastModificationDate: number;
}

export interface SchedulerEmulator {
  requestListener: RequestListener;
  /** The schedule's State, or undefined when it does not exist. */
  state(name: string): EmulatedSchedule['State'] | undefined;
}

const DEFAULT_GROUP = 'default';

class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export function createSchedulerEmulator(region: string, accountId = '000000000000'): SchedulerEmulator {
  const schedules = new Map<string, EmulatedSchedule>();

  const write = (name: string, input: Record<string, unknown>, existing: EmulatedSchedule | undefined): EmulatedSchedule => {
    const { ScheduleExpression, FlexibleTimeWindow, Target, State = 'ENABLED' } = input as Partial<EmulatedSchedule>;
    // UpdateSchedule replaces the whole definition, as AWS's does: each required field again.
    const missing = Object.entries({ ScheduleExpression, FlexibleTimeWindow, Target }).filter(([, value]) => value === undefined).map(([key]) => key);
    if (missing.length > 0) throw new ServiceError(400, 'ValidationException', `${missing.join(', ')} required`);
    if (State !== 'ENABLED' && State !== 'DISABLED') throw new ServiceError(400, 'ValidationException', `State must be ENABLED or DISABLED, got ${JSON.stringify(State)}`);
    if (typeof Target?.Arn !== 'string' || typeof Target.RoleArn !== 'string') throw new ServiceError(400, 'ValidationException', 'Target.Arn and Target.RoleArn are required');
    const nowSeconds = Date.now() / 1000;
    const schedule: EmulatedSchedule = {
      Name: name,
      GroupName: DEFAULT_GROUP,
      Arn: `arn:aws:scheduler:${region}:${accountId}:schedule/${DEFAULT_GROUP}/${name}`,
      State,
      ScheduleExpression: ScheduleExpression!,
      FlexibleTimeWindow: FlexibleTimeWindow!,
      Target: Target,
      CreationDate: existing?.CreationDate ?? nowSeconds,
      LastModificationDate: nowSeconds,
    };
    schedules.set(name, schedule);
    return schedule;
  };
  const find = (name: string): EmulatedSchedule => {
    const schedule = schedules.get(name);
    if (!schedule) throw new ServiceError(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
    return schedule;
  };

  const handle = (method: string, url: URL, body: Record<string, unknown>): unknown => {
    const group = url.searchParams.get('groupName') ?? (body.GroupName as string | undefined) ?? DEFAULT_GROUP;
    if (group !== DEFAULT_GROUP) throw new ServiceError(404, 'ResourceNotFoundException', `Schedule group ${group} does not exist.`);
    const match = /^\/schedules(?:\/([^/]+))?$/.exec(url.pathname);
    if (!match) throw new ServiceError(404, 'UnknownOperationException', `${method} ${url.pathname} is not implemented by this emulator`);
    const name = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
    if (name === undefined && method === 'GET') {
      const prefix = url.searchParams.get('NamePrefix') ?? '';
      const state = url.searchParams.get('State');
      const Schedules = [...schedules.values()]
        .filter((schedule) => schedule.Name.startsWith(prefix) && (state === null || schedule.State === state))
        .map(({ Arn, Name, GroupName, State, CreationDate, LastModificationDate, Target }) => ({ Arn, Name, GroupName, State, CreationDate, LastModificationDate, Target: { Arn: Target.Arn } }));
      return { Schedules };
    }
    if (name === undefined) throw new ServiceError(405, 'ValidationException', `${method} /schedules is not an operation`);
    if (method === 'GET') return find(name);
    if (method === 'POST') {
      if (schedules.has(name)) throw new ServiceError(409, 'ConflictException', `Schedule ${name} already exists.`);
      return { ScheduleArn: write(name, body, undefined).Arn };
    }
    if (method === 'PUT') return { ScheduleArn: write(name, body, find(name)).Arn };
    throw new ServiceError(405, 'ValidationException', `${method} /schedules/{Name} is not implemented by this emulator`);
  };

  const requestListener: RequestListener = (request, response) => {
    readBody(request).then(
      (text) => {
        try {
          let body: Record<string, unknown>;
          try {
            body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
          } catch {
            throw new ServiceError(400, 'ValidationException', 'the request body is not JSON');
          }
          reply(response, 200, handle(request.method ?? 'GET', new URL(request.url ?? '/', 'http://scheduler'), body));
        } catch (error) {
          if (!(error instanceof ServiceError)) throw error;
          response.setHeader('x-amzn-errortype', error.type);
          reply(response, error.status, { Message: error.message });
        }
      },
      () => reply(response, 500, { Message: 'could not read the request' }),
    );
  };
  return { requestListener, state: (name) => schedules.get(name)?.State };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  replyJson(response, status, body, 'application/json');
}
