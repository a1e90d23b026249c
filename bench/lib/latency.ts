/**
 * Adds a fixed delay to every call of a port, so that an invocation's duration on the
 * loopback emulators resembles one in AWS, where each DynamoDB, S3 and SQS call crosses
 * the network. Used only where durations feed the cost model (GB-seconds).
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Round trips from a Lambda function to services in its region, typical figures (assumptions, stated in the report). */
export const AWS_CALL_LATENCY_MS = {
  dynamodb: 6,
  s3Put: 30,
  sqs: 10,
} as const;

export function withLatency<T extends object>(port: T, delayMs: number): T {
  if (delayMs <= 0) return port;
  return new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await sleep(delayMs);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
