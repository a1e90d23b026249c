/**
 * Hosts the real Lambda handlers in this process: a Context whose remaining time counts
 * down from the configured timeout, as Lambda's does, so the handlers' budgets behave the
 * same locally and deployed.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface FunctionSettings {
  functionName: string;
  timeoutMs: number;
  memoryMb: number;
}

export function lambdaContext(settings: FunctionSettings, nowMs: () => number = Date.now): Context {
  const deadline = nowMs() + settings.timeoutMs;
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: settings.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${settings.functionName}`,
    memoryLimitInMB: String(settings.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${settings.functionName}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - nowMs()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
