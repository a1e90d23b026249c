/**
 * TLS verification is never turned off: nothing in the code base disables it, the ConveYour
 * client and the AWS SDK clients refuse a server whose certificate they cannot verify (before
 * any header, credentials included, leaves the process), and the client refuses to send
 * credentials over plain http to anything but loopback.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../functions/adapters/awsClients.js';
import { ConfigError } from '../../functions/config/env.js';
import { ConveYourClient } from '../../functions/conveyour/client.js';
import { startUntrustedServer, type UntrustedServer } from '../support/faultTls.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CREDENTIALS = { appkey: 'appkey-TLS-7Q2xLm9V', token: 'token-TLS-9Hs3Pd6K' };
const WINDOW = { start: 1_768_000_000, end: 1_768_003_600 };

/** Ways code turns TLS verification off, in Node, undici, the AWS SDK and common HTTP clients. */
const DISABLERS: Array<[string, RegExp]> = [
  ['NODE_TLS_REJECT_UNAUTHORIZED', /NODE_TLS_REJECT_UNAUTHORIZED/],
  ['rejectUnauthorized: false', /rejectUnauthorized['"]?\s*[:=]\s*(false|0|!1)/],
  ['a checkServerIdentity override', /checkServerIdentity['"]?\s*[:=]/],
  ['strictSSL: false', /strictSSL['"]?\s*[:=]\s*false/],
  ['insecure: true', /\binsecure['"]?\s*[:=]\s*true/],
  ['--insecure / -k in a script', /\bcurl\b[^\n]*\s(-k|--insecure)\b/],
];

function sourceFiles(dir: string): string[] {
  const skip = new Set(['node_modules', 'cdk.out', '.local', '.git', 'coverage']);
  return readdirSync(dir).flatMap((name) => {
    if (skip.has(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs|cjs|json|sh)$/.test(name) || name === 'run' ? [path] : [];
  });
}

describe('nothing turns TLS verification off', () => {
  it('no source, script or config file of the project disables it', () => {
    const self = resolve(import.meta.filename);
    const files = ['functions', 'infra', 'test', 'bench', '.ci'].flatMap((dir) => {
      try {
        return sourceFiles(join(ROOT, dir));
      } catch {
        return [];
      }
    });
    files.push(...['package.json', 'cdk.json'].map((name) => join(ROOT, name)));
    expect(files.length).toBeGreaterThan(100);

    const found = files
      .filter((file) => file !== self)
      .flatMap((file) => {
        const text = readFileSync(file, 'utf8');
        return DISABLERS.filter(([, pattern]) => pattern.test(text)).map(([what]) => `${relative(ROOT, file)}: ${what}`);
      });

    expect(found).toEqual([]);
    expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).toBeUndefined();
  });

  it('the patterns catch what they are meant to (the scan could fail)', () => {
    const samples = ["process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'", 'connect: { rejectUnauthorized: false }', 'checkServerIdentity: () => undefined', 'strictSSL: false', 'insecure: true', 'curl -k https://x'];
    expect(samples.map((sample) => DISABLERS.some(([, pattern]) => pattern.test(sample)))).toEqual(samples.map(() => true));
  });
});

describe('clients refuse what they cannot verify', () => {
  let server: UntrustedServer;
  beforeAll(async () => {
    server = await startUntrustedServer(() => ({ data: { data: { results: [{ _id: 'r1', updated_at: WINDOW.start }], query_id: 'q1', pagination: {} } } }));
  });
  afterAll(async () => {
    await server.close();
  });

  it('the ConveYour client refuses a self-signed certificate during the handshake: no request, no credentials sent', async () => {
    const client = new ConveYourClient({ baseUrl: server.url, credentials: CREDENTIALS, keepAliveTimeoutMs: 100, requestTimeoutMs: 2_000, retry: { maxAttempts: 1 } });
    try {
      const pages = client.pages({ collection: 'events', window: WINDOW })[Symbol.asyncIterator]();

      const error = await pages.next().then(
        () => undefined,
        (thrown: unknown) => thrown as Error,
      );

      expect(error?.message).toMatch(/self[- ]signed certificate|DEPTH_ZERO_SELF_SIGNED_CERT/i);
      expect(error?.message).not.toContain(CREDENTIALS.token);
      expect(server.requests).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('the same client talks to that server once told to trust its certificate: the refusal above is the trust check', async () => {
    const dispatcher = new Pool(server.url, { connect: { ca: server.certPem }, keepAliveTimeout: 100 });
    const client = new ConveYourClient({ baseUrl: server.url, credentials: CREDENTIALS, dispatcher, retry: { maxAttempts: 1 } });
    try {
      const first = await client.pages({ collection: 'events', window: WINDOW })[Symbol.asyncIterator]().next();

      expect(first.done).toBe(false);
      expect(server.requests.at(-1)?.['x-conveyour-token']).toBe(CREDENTIALS.token);
    } finally {
      await client.close();
      await dispatcher.close();
    }
  });

  it('the AWS SDK clients refuse a self-signed endpoint before sending a request', async () => {
    const before = server.requests.length;
    const clients = createAwsClients({ region: 'us-east-1', requestTimeoutMs: 2_000, maxAttempts: 1, endpoints: { s3: server.url }, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
    try {
      const error = await clients.s3.send(new ListBucketsCommand({})).then(
        () => undefined,
        (thrown: unknown) => thrown as Error & { code?: string },
      );

      expect(`${error?.code} ${error?.message}`).toMatch(/self[- ]signed certificate|DEPTH_ZERO_SELF_SIGNED_CERT/i);
      expect(server.requests.length).toBe(before);
    } finally {
      clients.destroy();
    }
  });

  it.each(['http://acme.conveyour.com', 'http://10.0.0.7:8080', 'http://conveyour.internal'])(
    'the ConveYour client refuses to send credentials over plain http to %s',
    (baseUrl) => {
      const act = () => new ConveYourClient({ baseUrl, credentials: CREDENTIALS });
      expect(act).toThrow(ConfigError);
      expect(act).toThrow(/must use https:\/\/ for a non-local host: write https:\/\//);
    },
  );

  it.each(['http://127.0.0.1:8787', 'http://localhost:8787', 'http://[::1]:8787'])('accepts plain http to loopback %s (the simulator)', async (baseUrl) => {
    const client = new ConveYourClient({ baseUrl, credentials: CREDENTIALS, keepAliveTimeoutMs: 100 });
    await client.close();
  });
});
