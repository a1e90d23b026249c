/**
 * ConveYourSecrets through the real Secrets Manager client against a tiny in-process fake of
 * its JSON protocol (GetSecretValue only), which counts the calls it answers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients, type AwsClients } from '../../functions/adapters/awsClients.js';
import { ConveYourSecrets, SecretError } from '../../functions/adapters/secrets.js';

/** Secret id → SecretString; an id not here answers ResourceNotFoundException. */
const secrets = new Map<string, string>();
const calls: string[] = [];
let server: Server;
let clients: AwsClients;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      calls.push(SecretId);
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      const value = secrets.get(SecretId);
      if (target !== 'secretsmanager.GetSecretValue' || value === undefined) {
        response.statusCode = 400;
        response.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." }));
        return;
      }
      response.end(JSON.stringify({ ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SecretId}`, Name: SecretId, SecretString: value, VersionId: 'v1' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  clients = createAwsClients({
    region: 'us-east-1',
    requestTimeoutMs: 2_000,
    maxAttempts: 1,
    endpoints: { secretsManager: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});
afterEach(() => {
  secrets.clear();
  calls.length = 0;
});
afterAll(async () => {
  clients?.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Every way an error might reach a log: message, stack, inspect (with causes) and JSON. */
function everythingLoggable(error: unknown): string {
  return [String(error), (error as Error).stack, inspect(error, { depth: 10 }), JSON.stringify(error)].join('\n');
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('ConveYourSecrets', () => {
  it('reads a secret once for many reads, concurrent or not', async () => {
    secrets.set('conveyour/acme', JSON.stringify({ appkey: 'key-123', token: 'token-456' }));
    const reader = new ConveYourSecrets(clients.secretsManager);

    const concurrent = await Promise.all(Array.from({ length: 5 }, () => reader.credentials('conveyour/acme')));
    const later = await reader.credentials('conveyour/acme');

    expect(concurrent).toEqual(Array(5).fill({ appkey: 'key-123', token: 'token-456' }));
    expect(later).toEqual({ appkey: 'key-123', token: 'token-456' });
    expect(calls).toEqual(['conveyour/acme']);
  });

  it('reads each secret id separately', async () => {
    secrets.set('conveyour/acme', JSON.stringify({ appkey: 'a', token: 'b' }));
    secrets.set('conveyour/globex', JSON.stringify({ appkey: 'c', token: 'd' }));
    const reader = new ConveYourSecrets(clients.secretsManager);

    const [acme, globex] = await Promise.all([reader.credentials('conveyour/acme'), reader.credentials('conveyour/globex')]);

    expect([acme, globex]).toEqual([
      { appkey: 'a', token: 'b' },
      { appkey: 'c', token: 'd' },
    ]);
    expect(calls.sort()).toEqual(['conveyour/acme', 'conveyour/globex']);
  });

  it('does not cache a failed read: the next read asks again', async () => {
    const reader = new ConveYourSecrets(clients.secretsManager);
    const first = await rejection(reader.credentials('conveyour/acme'));
    secrets.set('conveyour/acme', JSON.stringify({ appkey: 'key-123', token: 'token-456' }));

    const second = await reader.credentials('conveyour/acme');

    expect(first).toMatchObject({ name: 'SecretError', code: 'SECRET_READ_FAILED', secretId: 'conveyour/acme' });
    expect((first as Error).message).toMatch(/conveyour\/acme.*ResourceNotFoundException/);
    expect(second).toEqual({ appkey: 'key-123', token: 'token-456' });
    expect(calls).toEqual(['conveyour/acme', 'conveyour/acme']);
  });

  it.each([
    ['not JSON', 'appkey=sup3rs3cr3t-key;token=sup3rs3cr3t-token', /is not JSON/],
    ['a JSON string', JSON.stringify('sup3rs3cr3t-key'), /is not a JSON object/],
    ['missing the token', JSON.stringify({ appkey: 'sup3rs3cr3t-key' }), /missing, blank or non-string token/],
    ['a blank appkey', JSON.stringify({ appkey: '  ', token: 'sup3rs3cr3t-token' }), /missing, blank or non-string appkey/],
    ['a numeric token', JSON.stringify({ appkey: 'sup3rs3cr3t-key', token: 12345678 }), /non-string token/],
  ])('rejects a secret that is %s, naming the id and shape and never the value', async (_, value, problem) => {
    secrets.set('conveyour/acme', value);
    const reader = new ConveYourSecrets(clients.secretsManager);

    const error = await rejection(reader.credentials('conveyour/acme'));

    expect(error).toBeInstanceOf(SecretError);
    expect((error as Error).message).toMatch(problem);
    expect((error as Error).message).toContain('conveyour/acme');
    expect((error as Error).message).toContain('{"appkey": "...", "token": "..."}');
    const loggable = everythingLoggable(error);
    for (const fragment of ['sup3rs3cr3t', '12345678', 'appkey=']) expect(loggable).not.toContain(fragment);
  });
});
