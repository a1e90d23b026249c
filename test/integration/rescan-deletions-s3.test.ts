/** writeTombstones through the real S3 client and S3ObjectSink against s3rver: the keys listed and the bytes read back. */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletionsPrefix, writeTombstones, type DeletionsFileIdentity } from '../../functions/rescan/deletions.js';
import type { Tombstone } from '../../functions/rescan/tombstones.js';
import { startAwsEmulators, type AwsTestEnv } from '../support/awsEmulators.js';
import { listKeys } from '../support/listKeys.js';

let aws: AwsTestEnv;
beforeAll(async () => {
  aws = await startAwsEmulators();
});
afterAll(async () => {
  await aws?.close();
});

const identity: DeletionsFileIdentity = { prefix: 'landing/', source: 'acme', collection: 'contacts', coverage: { start: 946_684_800, end: 1_700_000_000 }, run: 'rescan-run-1', generation: 0 };
const tombstones: Tombstone[] = Array.from({ length: 250 }, (_, i) => ({ collection: 'contacts', _id: `c${String(i).padStart(4, '0')}`, deleted_at: 1_700_000_100, last_updated_at: 1_600_000_000 + i }));

async function read(bucket: string, key: string) {
  const response = await aws.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = Buffer.from(await response.Body!.transformToByteArray());
  return { response, body };
}

describe('writeTombstones on S3', () => {
  it('lands every tombstone once, one a line, in files under deletions/ that gunzip to the list', async () => {
    const { sink, bucket } = await aws.fresh();

    const objects = await writeTombstones(sink, identity, tombstones, { perFile: 100 });
    const keys = await listKeys(aws.clients.s3, bucket);

    expect(keys.sort()).toEqual(objects.map((object) => object.key).sort());
    expect(keys).toHaveLength(3);
    for (const key of keys) expect(key.startsWith(deletionsPrefix('landing/', 'contacts') + 'dt=2023-11-14/')).toBe(true);
    const landed: Tombstone[] = [];
    for (const object of objects) {
      const { body, response } = await read(bucket, object.key);
      expect(body.equals(object.body)).toBe(true);
      expect(response.ContentEncoding).toBe('gzip');
      expect(response.Metadata).toMatchObject({ kind: 'tombstones', source: 'acme', collection: 'contacts', run: 'rescan-run-1' });
      landed.push(...gunzipSync(body).toString('utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Tombstone));
    }
    expect(landed).toEqual(tombstones);
  });

  it('a retried write of the same tombstones overwrites its own keys with the same bytes, and adds none', async () => {
    const { sink, bucket } = await aws.fresh();
    const first = await writeTombstones(sink, identity, tombstones.slice(0, 3));

    const again = await writeTombstones(sink, identity, tombstones.slice(0, 3));

    expect(await listKeys(aws.clients.s3, bucket)).toEqual(first.map((object) => object.key));
    expect((await read(bucket, again[0]!.key)).body.equals(first[0]!.body)).toBe(true);
  });

  it('writes nothing, and lists nothing, when there are no tombstones', async () => {
    const { sink, bucket } = await aws.fresh();

    expect(await writeTombstones(sink, identity, [])).toEqual([]);
    expect(await listKeys(aws.clients.s3, bucket)).toEqual([]);
  });
});
