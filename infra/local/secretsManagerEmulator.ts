/**
 * A small in-process Secrets Manager, speaking the JSON 1.1 protocol the SDK v3 client sends
 * (`X-Amz-Target: secretsmanager.<Operation>`), for the local runtime and `npm run doctor`.
 * No npm package emulates Secrets Manager (LocalStack and moto are services of their own), so
 * this covers the operations we and the operator's fix commands use: CreateSecret,
 * PutSecretValue, GetSecretValue, DescribeSecret, DeleteSecret, RestoreSecret.
 *
 * Stricter than kinder: a secret created without a value has no AWSCURRENT version and
 * GetSecretValue says so; a secret scheduled for deletion refuses GetSecretValue, as AWS does.
 * Error names and messages are AWS's own. It keeps secrets in memory only and checks no
 * signatures (nor does dynalite): it is a stand-in for the protocol, not for IAM.
 */
import { randomUUID } from 'node:crypto';
import type { RequestListener, ServerResponse } from 'node:http';
import { readBody, replyJson } from './jsonWire.js';

interface StoredSecret {
  arn: string;
  name: string;
  createdMs: number;
  changedMs: number;
  deletedMs: number | undefined;
  /** The AWSCURRENT version, absent until a value is put. */
  current: { versionId: string; secretString: string; createdMs: number } | undefined;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const NOT_FOUND = "Secrets Manager can't find the specified secret.";

export interface SecretsManagerEmulator {
  requestListener: RequestListener;
  /** Names of the secrets held, deleted ones included: for tests. */
  names(): string[];
}

export function createSecretsManagerEmulator(region: string, accountId = '000000000000'): SecretsManagerEmulator {
  const secrets = new Map<string, StoredSecret>();
  const find = (id: unknown): StoredSecret => {
    if (typeof id !== 'string' || id === '') throw new ServiceError('InvalidParameterException', 'SecretId is required.');
    const secret = secrets.get(id) ?? [...secrets.values()].find((candidate) => candidate.arn === id);
    if (!secret) throw new ServiceError('ResourceNotFoundException', NOT_FOUND);
    return secret;
  };
  const live = (secret: StoredSecret, operation: string): StoredSecret => {
    if (secret.deletedMs !== undefined) {
      throw new ServiceError('InvalidRequestException', `You can't perform this operation (${operation}) on the secret because it was marked for deletion.`);
    }
    return secret;
  };
  const putValue = (secret: StoredSecret, value: unknown) => {
    if (typeof value !== 'string') throw new ServiceError('InvalidParameterException', 'You must provide either SecretString or SecretBinary (SecretBinary is not supported here).');
    const nowMs = Date.now();
    secret.current = { versionId: randomUUID(), secretString: value, createdMs: nowMs };
    secret.changedMs = nowMs;
    return secret.current.versionId;
  };
  const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    CreateSecret(input) {
      const name = input.Name;
      if (typeof name !== 'string' || !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) throw new ServiceError('InvalidParameterException', `Invalid name: ${JSON.stringify(name)}.`);
      if (secrets.has(name)) throw new ServiceError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
      const nowMs = Date.now();
      const secret: StoredSecret = { arn: `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${randomUUID().slice(0, 6)}`, name, createdMs: nowMs, changedMs: nowMs, deletedMs: undefined, current: undefined };
      secrets.set(name, secret);
      const versionId = input.SecretString === undefined ? undefined : putValue(secret, input.SecretString);
      return { ARN: secret.arn, Name: name, VersionId: versionId };
    },
    PutSecretValue(input) {
      const secret = live(find(input.SecretId), 'PutSecretValue');
      const versionId = putValue(secret, input.SecretString);
      return { ARN: secret.arn, Name: secret.name, VersionId: versionId, VersionStages: ['AWSCURRENT'] };
    },
    GetSecretValue(input) {
      const secret = live(find(input.SecretId), 'GetSecretValue');
      if (!secret.current) throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
      return { ARN: secret.arn, Name: secret.name, VersionId: secret.current.versionId, SecretString: secret.current.secretString, VersionStages: ['AWSCURRENT'], CreatedDate: seconds(secret.current.createdMs) };
    },
    DescribeSecret(input) {
      const secret = find(input.SecretId);
      return {
        ARN: secret.arn,
        Name: secret.name,
        CreatedDate: seconds(secret.createdMs),
        LastChangedDate: seconds(secret.changedMs),
        DeletedDate: seconds(secret.deletedMs),
        VersionIdsToStages: secret.current ? { [secret.current.versionId]: ['AWSCURRENT'] } : {},
      };
    },
    DeleteSecret(input) {
      const secret = find(input.SecretId);
      if (input.ForceDeleteWithoutRecovery === true) secrets.delete(secret.name);
      else secret.deletedMs = Date.now() + 30 * 86_400_000;
      return { ARN: secret.arn, Name: secret.name, DeletionDate: seconds(secret.deletedMs ?? Date.now()) };
    },
    RestoreSecret(input) {
      const secret = find(input.SecretId);
      secret.deletedMs = undefined;
      return { ARN: secret.arn, Name: secret.name };
    },
  };

  const requestListener: RequestListener = (request, response) => {
    readBody(request).then(
      (body) => {
        const target = String(request.headers['x-amz-target'] ?? '');
        const operation = operations[target.replace(/^secretsmanager\./, '')];
        try {
          if (!target.startsWith('secretsmanager.') || !operation) throw new ServiceError('UnknownOperationException', `operation ${JSON.stringify(target)} is not implemented by this emulator`);
          let input: Record<string, unknown>;
          try {
            input = JSON.parse(body || '{}') as Record<string, unknown>;
          } catch {
            throw new ServiceError('SerializationException', 'the request body is not JSON');
          }
          reply(response, 200, operation(input));
        } catch (error) {
          if (!(error instanceof ServiceError)) throw error;
          reply(response, 400, { __type: error.type, message: error.message });
        }
      },
      () => reply(response, 500, { __type: 'InternalServiceError', message: 'could not read the request' }),
    );
  };
  return { requestListener, names: () => [...secrets.keys()] };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  replyJson(response, status, body, 'application/x-amz-json-1.1');
}
