/**
 * How often each fault is injected. `standard` is the long run's: frequent enough that every
 * kind occurs many times, rare enough that the pipeline makes progress between them. `quick`
 * is the seeded short run inside `npm test`: the rare kinds (those that need a next page, a
 * continuation, a queue send) are raised so each occurs within seconds, and the slow ones
 * (a Retry-After or an SDK throttling backoff costs real time) are kept low. `calm` injects
 * nothing at all: the same world and checks with no fault, crash or episode, for the duplicate
 * ratio of plain tailing beside the faulted runs'.
 */
import type { FaultKind } from '../../infra/local/simulator/index.js';
import type { AwsFaultRates } from './awsFaults.js';

export interface FaultProfile {
  /** Per ConveYour request; expire, freeze and stall apply to next pages only. */
  conveyour: Partial<Record<FaultKind, number>>;
  /** Per eligible AWS request (awsFaults.ts says which operations meet which fault). */
  aws: AwsFaultRates;
  /** Per continuation batch: the invocation "times out" after its work, so SQS redelivers the batch. */
  redelivery: number;
  /** Per round: a crash is armed at the next crash point in turn (if none is armed yet). */
  crash: number;
  /** Per round: ConveYour (one source) goes dark for longer than an invocation lives, from a moment within the round. */
  blackout: number;
  /** The second source's secret is not yet set for this many rounds, then readable... */
  secretUnsetRounds: number;
  /** ... and per round, the chance it is denied (then readable again with a chance of 1/2 per round). */
  secretDenied: number;
  /** Per round: a new container (the secrets are read again). */
  coldStart: number;
  /** Per round, the chance of each episode other than a plain tick (harness.ts). */
  episodes: { 'concurrent ticks': number; zombie: number; 'short budget': number };
  /** Records per ConveYour page: smaller pages, more requests (and more next pages) to fault. */
  pageSize: number;
  /** Inject each AWS fault kind, the first redelivery and the first duplicate as soon as an eligible request comes. */
  eager: boolean;
}

export const FAULT_PROFILES = {
  standard: {
    conveyour: { '429': 0.004, '500': 0.004, '502': 0.003, '503': 0.004, hang: 0.0015, reset: 0.004, truncate: 0.004, nonjson: 0.002, expire: 0.006, freeze: 0.004, stall: 0.004 },
    aws: {
      's3 503 SlowDown': 0.01,
      's3 500 InternalError': 0.005,
      's3 PUT applied, answer lost': 0.01,
      'dynamodb ProvisionedThroughputExceededException': 0.005,
      'dynamodb ThrottlingException': 0.005,
      'dynamodb PutItem applied, answer lost': 0.008,
      'sqs RequestThrottled': 0.02,
      'sqs 500 InternalError': 0.02,
      'sqs SendMessage lost': 0.08,
      'sqs SendMessage failed (every retry)': 0.04,
      'sqs duplicate delivery': 0.08,
    },
    redelivery: 0.06,
    crash: 0.5,
    blackout: 0.1,
    secretUnsetRounds: 3,
    secretDenied: 0.08,
    coldStart: 0.1,
    episodes: { 'concurrent ticks': 0.15, zombie: 0.12, 'short budget': 0.18 },
    pageSize: 100,
    eager: false,
  },
  quick: {
    conveyour: { '429': 0.012, '500': 0.01, '502': 0.01, '503': 0.01, hang: 0.012, reset: 0.01, truncate: 0.015, nonjson: 0.01, expire: 0.08, freeze: 0.04, stall: 0.05 },
    aws: {
      's3 503 SlowDown': 0.015,
      's3 500 InternalError': 0.015,
      's3 PUT applied, answer lost': 0.04,
      'dynamodb ProvisionedThroughputExceededException': 0.008,
      'dynamodb ThrottlingException': 0.008,
      'dynamodb PutItem applied, answer lost': 0.03,
      'sqs RequestThrottled': 0.15,
      'sqs 500 InternalError': 0.1,
      'sqs SendMessage lost': 0.3,
      'sqs SendMessage failed (every retry)': 0.15,
      'sqs duplicate delivery': 0.4,
    },
    redelivery: 0.25,
    crash: 0.8,
    blackout: 0.25,
    secretUnsetRounds: 2,
    secretDenied: 0.3,
    coldStart: 0.2,
    episodes: { 'concurrent ticks': 0.12, zombie: 0.12, 'short budget': 0.35 },
    pageSize: 50,
    eager: true,
  },
  calm: {
    conveyour: {},
    aws: {},
    redelivery: 0,
    crash: 0,
    blackout: 0,
    secretUnsetRounds: 0,
    secretDenied: 0,
    coldStart: 0,
    episodes: { 'concurrent ticks': 0, zombie: 0, 'short budget': 0 },
    pageSize: 100,
    eager: false,
  },
} as const satisfies Record<string, FaultProfile>;

export type ProfileName = keyof typeof FAULT_PROFILES;
export const PROFILE_NAMES = Object.keys(FAULT_PROFILES) as ProfileName[];
