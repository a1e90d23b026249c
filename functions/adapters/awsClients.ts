/**
 * The AWS SDK v3 clients, built once per container (or per local runtime) with the settings
 * the SDK does not default to safely:
 *
 * - a request timeout: the SDK's default is none, so a half-open socket would hang an
 *   invocation until Lambda kills it. `requestTimeout` alone only logs a warning in
 *   @smithy/node-http-handler 4.x; `throwOnRequestTimeout` makes it an error the retry
 *   strategy retries, and `socketTimeout` also bounds an idle socket;
 * - keep-alive agents, so a tick's many small writes reuse TLS connections;
 * - S3 checksums only when an operation requires them: with the default (WHEN_SUPPORTED)
 *   the SDK streams PutObject bodies as aws-chunked, which s3rver stores corrupt. Integrity
 *   on real S3 is kept by the Content-MD5 the sink sends (see s3ObjectSink.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { isLoopbackHost } from '../config/loopback.js';

export interface AwsEndpoints {
  s3?: string;
  dynamodb?: string;
  sqs?: string;
  secretsManager?: string;
}

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsClientOptions {
  region: string;
  /** Per attempt: each retry gets its own. */
  requestTimeoutMs: number;
  /** Defaults to the smaller of requestTimeoutMs and 3 s: a TCP connect that slow is a dead host. */
  connectionTimeoutMs?: number;
  /** Attempts per call, the first included (SDK standard retry strategy). Default 3. */
  maxAttempts?: number;
  /** Local emulators; absent in the cloud. */
  endpoints?: AwsEndpoints;
  /** Local emulators only; in the cloud the default chain (the function's role) applies. */
  credentials?: StaticCredentials;
  /** Sockets per client and protocol. Default 50 (the SDK's). */
  maxSockets?: number;
}

export interface AwsClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  /** Marshals plain objects; `undefined` values are left out, so optional fields are absent. */
  documents: DynamoDBDocumentClient;
  sqs: SQSClient;
  secretsManager: SecretsManagerClient;
  /** Closes every client's sockets: for tests and the local runtime; Lambda never needs it. */
  destroy(): void;
}

/** Builds the four clients. Call once, at module scope in a handler. */
export function createAwsClients(options: AwsClientOptions): AwsClients {
  const { region, endpoints = {}, credentials } = validate(options);
  const common = (endpoint: string | undefined) => ({
    region,
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: httpHandler(options),
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  });

  const s3 = new S3Client({
    ...common(endpoints.s3),
    // Emulators answer on 127.0.0.1:port, where bucket subdomains cannot resolve.
    forcePathStyle: endpoints.s3 !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const dynamodb = new DynamoDBClient(common(endpoints.dynamodb));
  const documents = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    unmarshallOptions: { wrapNumbers: false },
  });
  const sqs = new SQSClient(common(endpoints.sqs));
  const secretsManager = new SecretsManagerClient(common(endpoints.secretsManager));

  return {
    s3,
    dynamodb,
    documents,
    sqs,
    secretsManager,
    destroy() {
      for (const client of [s3, documents, dynamodb, sqs, secretsManager]) client.destroy();
    },
  };
}

function httpHandler(options: AwsClientOptions): NodeHttpHandler {
  const agent = { keepAlive: true, maxSockets: options.maxSockets ?? 50 };
  return new NodeHttpHandler({
    requestTimeout: options.requestTimeoutMs,
    throwOnRequestTimeout: true,
    socketTimeout: options.requestTimeoutMs,
    connectionTimeout: options.connectionTimeoutMs ?? Math.min(options.requestTimeoutMs, 3_000),
    httpAgent: agent,
    httpsAgent: agent,
  });
}

function validate(options: AwsClientOptions): AwsClientOptions {
  if (typeof options.region !== 'string' || options.region.trim() === '') {
    throw new Error(`AWS region is required (e.g. "us-east-1"), got ${JSON.stringify(options.region)}`);
  }
  positiveInteger(options.requestTimeoutMs, 'requestTimeoutMs', 'milliseconds');
  if (options.connectionTimeoutMs !== undefined) positiveInteger(options.connectionTimeoutMs, 'connectionTimeoutMs', 'milliseconds');
  if (options.maxAttempts !== undefined) positiveInteger(options.maxAttempts, 'maxAttempts', 'attempts');
  for (const [service, url] of Object.entries(options.endpoints ?? {})) {
    if (url === undefined) continue;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`endpoints.${service} must be an http(s) URL such as "http://127.0.0.1:4566", got ${JSON.stringify(url)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new Error(`endpoints.${service} must use http or https, got ${JSON.stringify(url)}`);
    }
    if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname)) {
      // Secrets Manager answers and every record would cross the network in clear.
      throw new Error(`endpoints.${service} must use https:// for a host other than this machine (http:// only for 127.0.0.1, localhost or [::1]), got ${JSON.stringify(url)}`);
    }
  }
  return options;
}

function positiveInteger(value: number, name: string, unit: string): void {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer (${unit}), got ${JSON.stringify(value)}`);
}
