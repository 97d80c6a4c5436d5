import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

export interface AccessLogBucketProps {
  /** Days a log object is kept. */
  readonly expirationDays: number;
  /** Days after which an incomplete multipart upload is aborted. @default 7 */
  readonly abortIncompleteMultipartUploadDays?: number;
  /** @default - the bucket's own default: RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Empty the bucket when the stack deletes it (with RemovalPolicy.DESTROY). @default false */
  readonly autoDeleteObjects?: boolean;
}

/**
 * A bucket for S3 server access logs: SSE-S3 (server access logs can only be delivered to a bucket
 * encrypted with SSE-S3, not with KMS), no public access, bucket-owner-enforced, TLS 1.2 only, and
 * its logs expiring after `expirationDays`. The lake, the trail and the pipeline each log to one.
 */
export function accessLogBucket(scope: Construct, id: string, props: AccessLogBucketProps): s3.Bucket {
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    lifecycleRules: [
      {
        id: 'ExpireAccessLogs',
        expiration: Duration.days(props.expirationDays),
        abortIncompleteMultipartUploadAfter: Duration.days(props.abortIncompleteMultipartUploadDays ?? 7),
      },
    ],
    removalPolicy: props.removalPolicy,
    autoDeleteObjects: props.autoDeleteObjects,
  });
}
