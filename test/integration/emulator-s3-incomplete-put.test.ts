/**
 * The S3 emulator never stores a PUT whose body was cut short, as S3 does not: a client that
 * aborts mid-body (a write deadline) leaves the key as it was, absent or the previous version.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsEmulators, type AwsTestEnv } from '../support/awsEmulators.js';

let aws: AwsTestEnv;
beforeAll(async () => {
  aws = await startAwsEmulators();
});
afterAll(async () => {
  await aws?.close();
});

const SIZE = 8 * 1024 * 1024;
const CHUNK = 256 * 1024;

/** A body that sends half of `SIZE` bytes, then stalls; `halfSent` resolves once the half was read. */
function stallingBody() {
  let sent = 0;
  let onHalf!: () => void;
  const halfSent = new Promise<void>((resolve) => (onHalf = resolve));
  const body = new Readable({
    read() {
      if (sent >= SIZE / 2) return onHalf();
      sent += CHUNK;
      this.push(randomBytes(CHUNK));
    },
  });
  return { body, halfSent };
}

/** PUTs half a body, aborts, and resolves once the SDK gave up. */
async function abortedPut(bucket: string, key: string): Promise<unknown> {
  const { body, halfSent } = stallingBody();
  const controller = new AbortController();
  const put = aws.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: SIZE }), { abortSignal: controller.signal });
  await halfSent;
  controller.abort();
  return put.then(() => undefined, (error: unknown) => error);
}

async function statusOf(bucket: string, key: string): Promise<number> {
  try {
    await aws.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return 200;
  } catch (error) {
    return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? -1;
  }
}

describe('S3 emulator and a PUT cut short', () => {
  it('stores nothing for a new key when the client aborts mid-body', async () => {
    const { bucket } = await aws.fresh();

    const error = await abortedPut(bucket, 'cut/new.gz');

    expect((error as Error | undefined)?.name).toBe('AbortError');
    expect(await statusOf(bucket, 'cut/new.gz')).toBe(404);
  });

  it('keeps the previous complete version when a later PUT of the key is aborted mid-body', async () => {
    const { bucket } = await aws.fresh();
    const previous = randomBytes(64 * 1024);
    await aws.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cut/old.gz', Body: previous }));

    await abortedPut(bucket, 'cut/old.gz');

    const response = await aws.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'cut/old.gz' }));
    expect(Buffer.from(await response.Body!.transformToByteArray()).equals(previous)).toBe(true);
  });
});
