/**
 * ObjectSink on S3: one PutObject per landing object. The body is a Buffer (never a stream),
 * so its length and MD5 are known before sending; S3 rejects the PUT with BadDigest if the
 * bytes it received differ, which keeps integrity even with the client's flexible checksums
 * set to WHEN_REQUIRED (see awsClients.ts).
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CodedError } from '../errors/coded.js';
import type { LandingObject } from '../pipeline/landing.js';
import type { ObjectSink, WriteOptions } from '../pipeline/ports.js';

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

/** A landing object could not be stored; the checkpoint was not moved past it. */
export class LandingWriteError extends CodedError {
  readonly code = 'LANDING_WRITE_FAILED';
  override readonly retriable = true;
  override name = 'LandingWriteError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    cause: unknown,
  ) {
    const { name, message } = cause instanceof Error ? cause : { name: 'Error', message: String(cause) };
    super(`S3 PutObject s3://${bucket}/${key} failed: ${name}: ${message}`, { cause });
  }
}

export class S3ObjectSink implements ObjectSink {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async put(object: LandingObject, options: WriteOptions = {}): Promise<void> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: object.key,
          Body: object.body,
          ContentLength: object.body.length,
          ContentMD5: createHash('md5').update(object.body).digest('base64'),
          ContentType: NDJSON_CONTENT_TYPE,
          ContentEncoding: 'gzip',
          Metadata: object.metadata,
        }),
        // The invocation's write deadline: the checkpoint is not moved past an abandoned PUT.
        options.signal ? { abortSignal: options.signal } : {},
      );
    } catch (error) {
      throw new LandingWriteError(this.bucket, object.key, error);
    }
  }
}
