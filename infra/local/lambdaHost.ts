/**
 * Hosts the real Lambda handlers in this process: each invocation gets a Context whose remaining
 * time counts down from the configured timeout, as Lambda's does, so the handlers' budgets behave
 * the same locally and deployed. Stopping shortens every running invocation's deadline to now plus its safety margin:
 * the core's budget then ends each run after its current step, saves it and releases its lease,
 * which a killed process would have held until it expired.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface FunctionSettings {
  functionName: string;
  timeoutMs: number;
  memoryMb: number;
}

export interface LambdaHost {
  /** Runs one invocation with a fresh Context; tracked until it settles. */
  invoke<T>(handler: (context: Context) => Promise<T>): Promise<T>;
  /**
   * Deadline of every running invocation, and of any started from now on, becomes now plus
   * `graceMs`: give the handlers' safety margin, so they stop fetching at once yet still have
   * the time they keep for their last writes (checkpoint, lease release, continuation).
   */
  expire(graceMs?: number): void;
  /** Resolves when no invocation is running. */
  idle(): Promise<void>;
  readonly running: number;
  /** Whether a lease owner is one of this host's running invocations (owners start with the request id). */
  runs(leaseOwner: string): boolean;
}

export function lambdaContext(settings: FunctionSettings, nowMs: () => number = Date.now, deadlineMs: () => number = constant(nowMs() + settings.timeoutMs)): Context {
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
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs() - nowMs()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function createLambdaHost(settings: FunctionSettings, nowMs: () => number = Date.now): LambdaHost {
  let expiredAtMs: number | undefined;
  const running = new Map<string, Promise<unknown>>();
  return {
    async invoke(handler) {
      const deadline = nowMs() + settings.timeoutMs;
      const context = lambdaContext(settings, nowMs, () => Math.min(deadline, expiredAtMs ?? Infinity));
      const invocation = handler(context);
      running.set(context.awsRequestId, invocation);
      try {
        return await invocation;
      } finally {
        running.delete(context.awsRequestId);
      }
    },
    expire(graceMs = 0) {
      expiredAtMs ??= nowMs() + graceMs;
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running.values()]);
    },
    get running() {
      return running.size;
    },
    runs: (leaseOwner) => running.has(leaseOwner.split('/')[0]!),
  };
}

function constant(value: number): () => number {
  return () => value;
}
