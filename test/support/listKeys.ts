/**
 * Every key of a bucket, listed the way s3rver can page: ListObjects (v1) with markers.
 * s3rver pages ListObjectsV2 with a DES-encrypted continuation token, and OpenSSL 3
 * (Node >= 17) has no DES, so a second V2 page is answered 500 InternalError.
 */
import { ListObjectsCommand, type S3Client } from '@aws-sdk/client-s3';

export async function listKeys(s3: S3Client, bucket: string, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  let marker: string | undefined;
  do {
    const page = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, Marker: marker, MaxKeys: 1000 }));
    keys.push(...(page.Contents ?? []).map((item) => item.Key!));
    marker = page.IsTruncated ? keys.at(-1) : undefined;
  } while (marker);
  return keys;
}
