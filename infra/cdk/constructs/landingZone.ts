/**
 * The S3 landing zone: the bucket Snowflake and Athena read, and the bucket that records
 * every request made to it. Both outlive the stack (RETAIN): the landed records are the
 * product, and the access logs are the audit trail of who read them.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { deletionsPrefix } from '../../../functions/rescan/deletions.js';
import { acknowledge } from './acknowledge.js';

export interface LandingZoneProps {
  /** '' or 'path/': where `collection=.../dt=.../` folders start. */
  prefix: string;
  /** How long an overwritten or deleted object version stays recoverable. */
  noncurrentVersionDays: number;
}

/** Days S3 server access logs are kept: a year covers a typical audit look-back. */
export const ACCESS_LOG_DAYS = 365;

export class LandingZone extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;
  readonly prefix: string;

  constructor(scope: Construct, id: string, props: LandingZoneProps) {
    super(scope, id);
    this.prefix = props.prefix;

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // Server access log delivery supports SSE-S3 only, not SSE-KMS.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(ACCESS_LOG_DAYS) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.accessLogs,
      'AwsSolutions-S1',
      'This is the access log bucket itself: logging its own requests into itself would loop, and logging them elsewhere adds a bucket nobody reads.',
    );

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // SSE-S3: Snowflake's storage integration and Athena read it without KMS key grants.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // A retried page rewrites its key: versioning keeps what it replaced, for a while.
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'landing/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** `s3://bucket/prefix` (no trailing slash when the prefix is empty). */
  get landingUrl(): string {
    return `s3://${this.bucket.bucketName}/${this.prefix}`;
  }

  /** `s3://bucket/prefix/collection=name/` */
  collectionUrl(collection: string): string {
    return `s3://${this.bucket.bucketName}/${this.collectionPrefix(collection)}`;
  }

  collectionPrefix(collection: string): string {
    return `${this.prefix}collection=${collection}/`;
  }

  /** `s3://bucket/prefix/deletions/`: every collection's tombstones, `collection=.../dt=.../` below. */
  get deletionsUrl(): string {
    return `s3://${this.bucket.bucketName}/${deletionsPrefix(this.prefix)}`;
  }
}
