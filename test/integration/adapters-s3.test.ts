/** S3ObjectSink through the real S3 client against s3rver: the bytes read back are the bytes written. */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LandingWriteError, S3ObjectSink } from '../../functions/adapters/s3ObjectSink.js';
import type { ConveYourRecord } from '../../functions/conveyour/types.js';
import { encodeLandingObjects, type FileIdentity } from '../../functions/pipeline/landing.js';
import { startAwsEmulators, type AwsTestEnv } from '../support/awsEmulators.js';

let aws: AwsTestEnv;
beforeAll(async () => {
  aws = await startAwsEmulators();
});
afterAll(async () => {
  await aws?.close();
});

const identity: FileIdentity = {
  prefix: 'landing/',
  source: 'acme',
  collection: 'contacts',
  window: { start: 1_699_990_000, end: 1_700_000_000 },
  run: 'run-1',
  generation: 0,
  range: 'p000000-000001',
};

function contact(index: number): ConveYourRecord {
  return { _id: `c${index}`, created_at: 1_699_995_000, updated_at: 1_699_995_000 + index, d: { email: `c${index}@example.com`, note: 'ünïcode ✓ "quoted"\nnewline' } };
}

async function getObject(bucket: string, key: string) {
  const response = await aws.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { response, bytes: Buffer.from(await response.Body!.transformToByteArray()) };
}

describe('S3ObjectSink', () => {
  it('stores the gzip bytes exactly, so they gunzip back to the records', async () => {
    const { sink, bucket } = await aws.fresh();
    const records = Array.from({ length: 500 }, (_, index) => contact(index));
    const [object] = await encodeLandingObjects(identity, records);

    await sink.put(object!);
    const { bytes } = await getObject(bucket, object!.key);

    expect(bytes.equals(object!.body)).toBe(true);
    const lines = gunzipSync(bytes).toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line))).toEqual(records);
  });

  it('stores content type, content encoding and the object metadata', async () => {
    const { sink, bucket } = await aws.fresh();
    const [object] = await encodeLandingObjects(identity, [contact(1)]);

    await sink.put(object!);
    const { response } = await getObject(bucket, object!.key);

    expect(response.ContentType).toBe('application/x-ndjson');
    expect(response.ContentEncoding).toBe('gzip');
    expect(response.Metadata).toEqual(object!.metadata);
  });

  it('replaces the object when the same key is written again', async () => {
    const { sink, bucket } = await aws.fresh();
    const [first] = await encodeLandingObjects(identity, [contact(1)]);
    const [second] = await encodeLandingObjects(identity, [contact(1), contact(2)]);

    await sink.put(first!);
    await sink.put(second!);
    const { bytes } = await getObject(bucket, second!.key);

    expect(second!.key).toBe(first!.key);
    expect(bytes.equals(second!.body)).toBe(true);
  });

  it('sends the body as one plain payload with its Content-MD5, so S3 can verify the bytes', async () => {
    const { bucket } = await aws.fresh();
    const sent: Record<string, string>[] = [];
    const sink = new S3ObjectSink(aws.clients.s3, bucket);
    const [object] = await encodeLandingObjects(identity, [contact(1)]);
    const capture = 'capture-put-headers';
    aws.clients.s3.middlewareStack.add(
      (next) => async (args) => {
        sent.push({ ...(args.request as { headers: Record<string, string> }).headers });
        return next(args);
      },
      { step: 'finalizeRequest', name: capture },
    );

    try {
      await sink.put(object!);
    } finally {
      aws.clients.s3.middlewareStack.remove(capture);
    }

    expect(sent).toHaveLength(1);
    expect(sent[0]!['content-md5']).toBe(createHash('md5').update(object!.body).digest('base64'));
    expect(sent[0]!['content-length']).toBe(String(object!.body.length));
    expect(sent[0]!['content-encoding']).toBe('gzip');
    expect(Object.keys(sent[0]!).filter((header) => header.startsWith('x-amz-checksum') || header === 'x-amz-trailer')).toEqual([]);
  });

  it('fails with an error naming the bucket and key it could not write', async () => {
    const missingBucketSink = new S3ObjectSink(aws.clients.s3, 'no-such-bucket');
    const [object] = await encodeLandingObjects(identity, [contact(1)]);

    const put = missingBucketSink.put(object!);

    await expect(put).rejects.toThrow(LandingWriteError);
    await expect(put).rejects.toThrow(`s3://no-such-bucket/${object!.key}`);
    await expect(put).rejects.toThrow(/NoSuchBucket/);
  });

  it('abandons a PUT whose invocation reached its write deadline, and stores nothing', async () => {
    const { bucket } = await aws.fresh();
    const sink = new S3ObjectSink(aws.clients.s3, bucket);
    const [object] = await encodeLandingObjects(identity, [contact(1)]);
    const deadline = new AbortController();
    deadline.abort(new Error('write deadline'));

    await expect(sink.put(object!, { signal: deadline.signal })).rejects.toThrow(LandingWriteError);

    await expect(getObject(bucket, object!.key)).rejects.toThrow(/NoSuchKey|does not exist/);
  });
});

