import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { catalogDatabaseName, LakeZone, type LakeConfig } from '../config';

export interface LakeCatalogProps {
  readonly lake: LakeConfig;
  /** The environment name; part of the catalog database and workgroup names analysts type. */
  readonly environment: string;
  /** The lake bucket, whose raw/ zone the database points at. */
  readonly lakeBucket: s3.IBucket;
  /** Key that encrypts query results. */
  readonly key: kms.IKey;
  /** Bucket for server access logs of the results bucket. */
  readonly accessLogBucket: s3.IBucket;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * What makes the lake queryable: the Glue Data Catalog database the ingestion
 * jobs register their tables and partitions in, and an Athena workgroup whose
 * settings users cannot override (encrypted results in their own expiring
 * bucket, a per-query scan cutoff, metrics on).
 */
export class LakeCatalog extends Construct {
  public readonly database: glue.Database;
  public readonly workGroup: athena.CfnWorkGroup;
  public readonly resultsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    const { lake, removalPolicy } = props;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;

    this.database = new glue.Database(this, 'Database', {
      databaseName: catalogDatabaseName(props.environment),
      description:
        'Trackman data lake: tables landed from the source databases, partitioned by ingestion date and hour',
      locationUri: props.lakeBucket.s3UrlForObject(LakeZone.RAW),
    });
    this.database.applyRemovalPolicy(removalPolicy);

    if (lake.manageCatalogEncryption) {
      // Account- and region-wide: catalog metadata and connection passwords encrypted with the lake key.
      new glue.CfnDataCatalogEncryptionSettings(this, 'EncryptionSettings', {
        catalogId: Stack.of(this).account,
        dataCatalogEncryptionSettings: {
          encryptionAtRest: { catalogEncryptionMode: 'SSE-KMS', sseAwsKmsKeyId: props.key.keyArn },
          connectionPasswordEncryption: {
            returnConnectionPasswordEncrypted: true,
            kmsKeyId: props.key.keyArn,
          },
        },
      });
    }

    this.resultsBucket = new s3.Bucket(this, 'ResultsBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [
        {
          id: 'ExpireQueryResults',
          expiration: Duration.days(lake.athena.resultsExpirationDays),
          abortIncompleteMultipartUploadAfter: Duration.days(lake.abortIncompleteMultipartUploadDays),
        },
      ],
      removalPolicy,
      autoDeleteObjects: destroy,
    });

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: `trackman-${props.environment}-lake`,
      description: 'Queries over the Trackman data lake',
      state: 'ENABLED',
      recursiveDeleteOption: destroy,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: lake.athena.bytesScannedCutoffPerQuery,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: this.resultsBucket.s3UrlForObject('results/'),
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.key.keyArn },
          expectedBucketOwner: Stack.of(this).account,
        },
      },
    });
    this.workGroup.applyRemovalPolicy(removalPolicy);
  }
}
