/**
 * ConveYour credentials from Secrets Manager, read once per container. The cache holds
 * promises, so concurrent first reads share one call; a failed read is dropped from the
 * cache, so the next invocation tries again instead of failing until the container dies.
 *
 * Errors name the secret id and the expected shape, never the value or any part of it:
 * JSON.parse's own message quotes the input, so it is neither used nor kept as `cause`.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Credentials } from '../conveyour/types.js';
import { CodedError } from '../errors/coded.js';

export const EXPECTED_SECRET_SHAPE = '{"appkey": "...", "token": "..."}';

/** A source's secret could not be read (denied, missing, throttled: the next invocation reads it again) or does not hold credentials. */
export class SecretError extends CodedError {
  override name = 'SecretError';
  override readonly retriable: boolean;
  constructor(
    readonly code: 'SECRET_READ_FAILED' | 'SECRET_INVALID',
    readonly secretId: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.retriable = code === 'SECRET_READ_FAILED';
  }
}

export class ConveYourSecrets {
  private readonly cache = new Map<string, Promise<Credentials>>();

  constructor(private readonly client: SecretsManagerClient) {}

  /** The appkey/token pair stored as JSON in `secretId` (a name or ARN). */
  credentials(secretId: string): Promise<Credentials> {
    let pending = this.cache.get(secretId);
    if (!pending) {
      pending = this.read(secretId);
      this.cache.set(secretId, pending);
      pending.catch(() => {
        if (this.cache.get(secretId) === pending) this.cache.delete(secretId);
      });
    }
    return pending;
  }

  private async read(secretId: string): Promise<Credentials> {
    let secretString: string | undefined;
    try {
      ({ SecretString: secretString } = await this.client.send(new GetSecretValueCommand({ SecretId: secretId })));
    } catch (error) {
      // SDK errors carry the service's message (not found, access denied), never the secret.
      const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
      throw new SecretError('SECRET_READ_FAILED', secretId, `could not read secret ${secretId} from Secrets Manager: ${name}: ${message}`, { cause: error });
    }
    return parseCredentials(secretId, secretString);
  }
}

/** Checks the secret's shape; exported for the local runtime's `.env` credentials too. */
export function parseCredentials(secretId: string, secretString: string | undefined): Credentials {
  const invalid = (problem: string) => new SecretError('SECRET_INVALID', secretId, `secret ${secretId} ${problem}; it must be a JSON string ${EXPECTED_SECRET_SHAPE}`);
  if (secretString === undefined) throw invalid('has no SecretString (binary secrets are not supported)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw invalid('is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('is not a JSON object');
  const { appkey, token } = parsed as Record<string, unknown>;
  const missing = Object.entries({ appkey, token })
    .filter(([, value]) => typeof value !== 'string' || value.trim() === '')
    .map(([field]) => field);
  if (missing.length > 0) throw invalid(`has a missing, blank or non-string ${missing.join(' and ')}`);
  return { appkey: appkey as string, token: token as string };
}
