import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { LakeZone, type LakeConfig } from '../config';
import { accessLogBucket } from './access-log-bucket';

export interface LakeBucketProps {
  /** The bucket's name (see lakeBucketName in lib/config/naming.ts). */
  readonly bucketName: string;
  readonly lake: LakeConfig;
  /** RETAIN for production data; DESTROY (with auto-delete of objects) only in dev. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The lake bucket (trackman-lake in prod) with its KMS key and its own access
 * log bucket. Encrypted with a rotating key and S3 Bucket Keys, versioned,
 * private, TLS only, access logged, and aged into cheaper storage classes.
 */
export class LakeBucket extends Construct {
  public readonly key: kms.Key;
  public readonly bucket: s3.Bucket;
  public readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LakeBucketProps) {
    super(scope, id);
    const { lake, removalPolicy } = props;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;

    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the lake bucket, its catalog and its query results',
      enableKeyRotation: true,
      removalPolicy,
    });

    this.accessLogBucket = accessLogBucket(this, 'AccessLogBucket', {
      expirationDays: lake.accessLogExpirationDays,
      abortIncompleteMultipartUploadDays: lake.abortIncompleteMultipartUploadDays,
      removalPolicy,
      autoDeleteObjects: destroy,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'lake/',
      lifecycleRules: [
        {
          id: 'RawToIntelligentTieringThenDeepArchive',
          prefix: LakeZone.RAW,
          transitions: [
            {
              storageClass: s3.StorageClass.INTELLIGENT_TIERING,
              transitionAfter: Duration.days(lake.intelligentTieringAfterDays),
            },
            {
              storageClass: s3.StorageClass.DEEP_ARCHIVE,
              transitionAfter: Duration.days(lake.deepArchiveAfterDays),
            },
          ],
        },
        {
          id: 'CuratedToIntelligentTiering',
          prefix: LakeZone.CURATED,
          transitions: [
            {
              storageClass: s3.StorageClass.INTELLIGENT_TIERING,
              transitionAfter: Duration.days(lake.intelligentTieringAfterDays),
            },
          ],
        },
        {
          id: 'ExpireNoncurrentVersionsAndAbortUploads',
          noncurrentVersionExpiration: Duration.days(lake.noncurrentVersionExpirationDays),
          abortIncompleteMultipartUploadAfter: Duration.days(lake.abortIncompleteMultipartUploadDays),
          expiredObjectDeleteMarker: true,
        },
      ],
      removalPolicy,
      autoDeleteObjects: destroy,
    });
  }
}
