import { Match, Template } from 'aws-cdk-lib/assertions';
import { ENVIRONMENTS } from '../../lib/config';
import { devLike, prodLike } from '../fixtures/configs';
import { buildStage, buildStageWith, logicalIdsOf, snapshotOf } from '../helpers/synth';

/** Behaviour on the fixtures; the shipped environments' settings are theirs to change. */
const templates = {
  dev: Template.fromStack(buildStageWith(devLike).lakeStorage),
  prod: Template.fromStack(buildStageWith(prodLike).lakeStorage),
};

/** The lake bucket: the one versioned bucket. */
function lakeBucket(template: Template) {
  const [bucket] = Object.values(
    template.findResources('AWS::S3::Bucket', {
      Properties: { VersioningConfiguration: { Status: 'Enabled' } },
    }),
  );
  return bucket;
}

describe('lake storage stack: logical ids of stateful resources are a contract', () => {
  test.each(Object.keys(ENVIRONMENTS))('%s (shipped)', (env) => {
    const template = Template.fromStack(buildStage(env).lakeStorage);
    expect(logicalIdsOf(template, 'AWS::S3::Bucket')).toEqual([
      'CatalogResultsBucketE45AF2E9',
      'LakeAccessLogBucket67A4777A',
      'LakeBucketB1D32E10',
    ]);
    expect(logicalIdsOf(template, 'AWS::KMS::Key')).toEqual(['LakeKey7B6C155C']);
    expect(logicalIdsOf(template, 'AWS::Glue::Database')).toEqual(['CatalogDatabase44483CA3']);
    expect(logicalIdsOf(template, 'AWS::Athena::WorkGroup')).toEqual(['CatalogWorkGroup50D8CFB1']);
  });
});

describe.each([
  ['dev', 'Delete', true],
  // RETAIN_ON_UPDATE_OR_DELETE (lib/stacks/policies.ts); its UpdateReplacePolicy is Retain.
  ['prod', 'RetainExceptOnCreate', false],
] as const)('lake storage stack (%s)', (env, deletionPolicy, autoDelete) => {
  const replacePolicy = deletionPolicy === 'Delete' ? 'Delete' : 'Retain';
  const template = templates[env];
  const config = {
    dev: { accessLogDays: 30, noncurrentDays: 7, cutoff: 10 * 1024 ** 3, resultsDays: 7 },
    prod: { accessLogDays: 365, noncurrentDays: 90, cutoff: 100 * 1024 ** 3, resultsDays: 30 },
  }[env];

  test('a rotating customer-managed key', () => {
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: deletionPolicy,
      UpdateReplacePolicy: replacePolicy,
    });
  });

  test('the lake bucket: SSE-KMS with Bucket Keys, versioned, private, owner-enforced, access logged', () => {
    const bucket = lakeBucket(template);
    expect(bucket.DeletionPolicy).toBe(deletionPolicy);
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': ['LakeKey7B6C155C', 'Arn'] },
            },
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: 'LakeAccessLogBucket67A4777A' },
        LogFilePrefix: 'lake/',
      },
    });
  });

  test('the lake bucket name: trackman-lake in prod, derived from environment, account and region in dev', () => {
    const name = lakeBucket(template).Properties.BucketName;
    expect(name).toBe(env === 'prod' ? 'trackman-lake' : 'trackman-dev-lake-111111111111-eu-west-1');
  });

  test('lifecycle: raw/ to Intelligent-Tiering after 30 days then Deep Archive after 365', () => {
    const rules = lakeBucket(template).Properties.LifecycleConfiguration.Rules;
    expect(rules).toContainEqual({
      Id: 'RawToIntelligentTieringThenDeepArchive',
      Prefix: 'raw/',
      Status: 'Enabled',
      Transitions: [
        { StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 30 },
        { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 365 },
      ],
    });
    expect(rules).toContainEqual({
      Id: 'CuratedToIntelligentTiering',
      Prefix: 'curated/',
      Status: 'Enabled',
      Transitions: [{ StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 30 }],
    });
    expect(rules).toContainEqual({
      Id: 'ExpireNoncurrentVersionsAndAbortUploads',
      Status: 'Enabled',
      NoncurrentVersionExpiration: { NoncurrentDays: config.noncurrentDays },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      ExpiredObjectDeleteMarker: true,
    });
  });

  test('lifecycle: _control/ watermarks are never archived', () => {
    const rules = lakeBucket(template).Properties.LifecycleConfiguration.Rules as {
      Prefix?: string;
      Transitions?: unknown[];
    }[];
    const archiving = rules.filter((rule) => rule.Transitions !== undefined);
    expect(archiving.map((rule) => rule.Prefix)).toEqual(['raw/', 'curated/']);
  });

  test('every bucket denies requests without TLS and below TLS 1.2', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(3);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Principal: { AWS: '*' },
          }),
          expect.objectContaining({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
          }),
        ]),
      );
    }
  });

  test('the access log bucket: SSE-S3 (what log delivery supports), private, expiring, admits only S3 logging from our buckets', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: Match.objectLike({
          BlockPublicAcls: true,
          RestrictPublicBuckets: true,
        }),
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'ExpireAccessLogs',
              Status: 'Enabled',
              ExpirationInDays: config.accessLogDays,
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            },
          ],
        },
      },
      DeletionPolicy: deletionPolicy,
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: 'LakeAccessLogBucket67A4777A' },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: Match.objectLike({
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': ['LakeBucketB1D32E10', 'Arn'] } },
            }),
          }),
        ]),
      },
    });
  });

  test(`auto-delete of objects ${autoDelete ? 'in dev only' : 'is off'}`, () => {
    template.resourceCountIs('Custom::S3AutoDeleteObjects', autoDelete ? 3 : 0);
  });

  test('a Glue Data Catalog database over raw/', () => {
    template.hasResource('AWS::Glue::Database', {
      Properties: {
        CatalogId: env === 'dev' ? '111111111111' : '222222222222',
        DatabaseInput: {
          Name: `trackman_${env}_lake`,
          LocationUri: { 'Fn::Join': ['', ['s3://', { Ref: 'LakeBucketB1D32E10' }, '/raw/']] },
        },
      },
      DeletionPolicy: deletionPolicy,
    });
  });

  test('Data Catalog metadata and connection passwords are encrypted with the lake key where the config manages them', () => {
    if (env === 'dev') {
      // The dev-like fixture sets lake.manageCatalogEncryption: false ('destroy' would delete the key).
      template.resourceCountIs('AWS::Glue::DataCatalogEncryptionSettings', 0);
      return;
    }
    template.hasResourceProperties('AWS::Glue::DataCatalogEncryptionSettings', {
      DataCatalogEncryptionSettings: {
        EncryptionAtRest: {
          CatalogEncryptionMode: 'SSE-KMS',
          SseAwsKmsKeyId: { 'Fn::GetAtt': ['LakeKey7B6C155C', 'Arn'] },
        },
        ConnectionPasswordEncryption: {
          ReturnConnectionPasswordEncrypted: true,
          KmsKeyId: { 'Fn::GetAtt': ['LakeKey7B6C155C', 'Arn'] },
        },
      },
    });
  });

  test('an Athena workgroup with enforced settings, a scan cutoff and encrypted, expiring results', () => {
    template.hasResource('AWS::Athena::WorkGroup', {
      Properties: {
        Name: `trackman-${env}-lake`,
        RecursiveDeleteOption: autoDelete,
        WorkGroupConfiguration: {
          EnforceWorkGroupConfiguration: true,
          PublishCloudWatchMetricsEnabled: true,
          BytesScannedCutoffPerQuery: config.cutoff,
          EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
          ResultConfiguration: {
            OutputLocation: {
              'Fn::Join': ['', ['s3://', { Ref: 'CatalogResultsBucketE45AF2E9' }, '/results/']],
            },
            EncryptionConfiguration: {
              EncryptionOption: 'SSE_KMS',
              KmsKey: { 'Fn::GetAtt': ['LakeKey7B6C155C', 'Arn'] },
            },
          },
        },
      },
      DeletionPolicy: deletionPolicy,
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: 'LakeAccessLogBucket67A4777A' },
        LogFilePrefix: 'athena-results/',
      },
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ Id: 'ExpireQueryResults', ExpirationInDays: config.resultsDays })],
      },
    });
  });

  test('matches the snapshot (asset hashes normalised)', () => {
    expect(snapshotOf(template)).toMatchSnapshot();
  });
});
