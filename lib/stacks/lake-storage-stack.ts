import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as glue from 'aws-cdk-lib/aws-glue';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { lakeBucketName, type EnvironmentConfig } from '../config';
import { LakeBucket } from '../constructs/lake-bucket';
import { LakeCatalog } from '../constructs/lake-catalog';
import { removalPolicy } from './policies';

export interface LakeStorageStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/**
 * Stateful: the lake bucket, its key, access logs, catalog database and Athena
 * workgroup. Construct ids here are a contract: renaming one replaces the
 * resource and, in prod, orphans the data (tests pin the logical ids).
 */
export class LakeStorageStack extends Stack {
  public readonly lakeBucket: s3.IBucket;
  public readonly lakeKey: kms.IKey;
  public readonly catalogDatabase: glue.IDatabase;

  constructor(scope: Construct, id: string, props: LakeStorageStackProps) {
    super(scope, id, props);
    const { config } = props;
    const policy = removalPolicy(config);

    const lake = new LakeBucket(this, 'Lake', {
      bucketName: lakeBucketName(config),
      lake: config.lake,
      removalPolicy: policy,
    });
    const catalog = new LakeCatalog(this, 'Catalog', {
      lake: config.lake,
      environment: config.name,
      lakeBucket: lake.bucket,
      key: lake.key,
      accessLogBucket: lake.accessLogBucket,
      removalPolicy: policy,
    });

    this.lakeBucket = lake.bucket;
    this.lakeKey = lake.key;
    this.catalogDatabase = catalog.database;
  }
}
