import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { LakeDataEvents } from '../config/audit-schema';
import { accessLogBucket } from './access-log-bucket';

export interface AuditTrailProps {
  /**
   * The trail's name, such as `trackman-prod-audit`. Fixed rather than generated: the bucket and
   * key policies admit CloudTrail only for this trail's ARN (`aws:SourceArn`), and a generated name
   * would make the trail depend on policies that depend on it.
   */
  readonly trailName: string;
  /** Days trail log files are kept in the trail bucket before they expire. */
  readonly bucketRetentionDays: number;
  /**
   * Retention of the CloudWatch Logs group the trail is also delivered to.
   * @default - no CloudWatch Logs delivery: the trail goes to S3 only
   */
  readonly cloudWatchLogsRetention?: logs.RetentionDays;
  /**
   * S3 data events of the lake bucket's objects: 'writes' (PutObject, DeleteObject, ...) or
   * 'reads-and-writes' (also GetObject and HeadObject). Billed per event.
   * @default 'none' - management events only
   */
  readonly lakeDataEvents?: LakeDataEvents;
  /**
   * The lake bucket, whose object-level events the trail records.
   * @default - none; required when lakeDataEvents is not 'none'
   */
  readonly lakeBucket?: s3.IBucket;
  /** RETAIN for production: the trail bucket, its key and log group are the audit record. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A multi-Region CloudTrail trail of management events (and, when configured, the lake
 * bucket's object-level data events, chosen by advanced event selectors), with log file
 * validation, encrypted with a rotating KMS key, delivered to a hardened bucket of its own
 * (versioned, private, TLS only, access logged, expiring) and optionally to CloudWatch Logs.
 * The bucket and key admit CloudTrail only for this trail (`aws:SourceArn`).
 */
export class AuditTrail extends Construct {
  public readonly trail: cloudtrail.CfnTrail;
  /** The trail's ARN, known at synth (built from its name). */
  public readonly trailArn: string;
  public readonly key: kms.Key;
  public readonly bucket: s3.Bucket;
  public readonly accessLogBucket: s3.Bucket;
  /** The CloudWatch Logs group; undefined without CloudWatch Logs delivery. */
  public readonly logGroup?: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { removalPolicy, trailName } = props;
    const lakeDataEvents = props.lakeDataEvents ?? 'none';
    if (lakeDataEvents !== 'none' && props.lakeBucket === undefined) {
      throw new Error(
        `AuditTrail ${this.node.path}: lakeDataEvents is '${lakeDataEvents}' but no lakeBucket was given; expected the lake bucket whose object events to record`,
      );
    }
    const destroy = removalPolicy === RemovalPolicy.DESTROY;
    this.trailArn = stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: trailName });
    const thisTrail = { StringEquals: { 'aws:SourceArn': this.trailArn } };

    // https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the CloudTrail trail ${trailName}, its bucket and log group`,
      enableKeyRotation: true,
      removalPolicy,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailToEncryptLogs',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          ...thisTrail,
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${stack.partition}:cloudtrail:*:${stack.account}:trail/*`,
          },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailToDescribeKey',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: thisTrail,
      }),
    );

    this.accessLogBucket = accessLogBucket(this, 'AccessLogBucket', {
      expirationDays: props.bucketRetentionDays,
      removalPolicy,
      autoDeleteObjects: destroy,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'trail/',
      lifecycleRules: [
        {
          id: 'ExpireTrailFiles',
          expiration: Duration.days(props.bucketRetentionDays),
          // A deleted or overwritten trail file stays restorable for a month; log file validation
          // (the digest files) shows whether one was changed.
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          expiredObjectDeleteMarker: false,
        },
      ],
      removalPolicy,
      autoDeleteObjects: destroy,
    });
    // https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AWSCloudTrailAclCheck',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['s3:GetBucketAcl'],
        resources: [this.bucket.bucketArn],
        conditions: thisTrail,
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AWSCloudTrailWrite',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`AWSLogs/${stack.account}/*`)],
        conditions: {
          StringEquals: {
            's3:x-amz-acl': 'bucket-owner-full-control',
            'aws:SourceArn': this.trailArn,
          },
        },
      }),
    );

    let cloudWatchLogsRole: iam.Role | undefined;
    let cloudWatchLogsGrant: iam.Grant | undefined;
    if (props.cloudWatchLogsRetention !== undefined) {
      const logGroupName = `/aws/cloudtrail/${trailName}`;
      // The log group is encrypted with the trail's key: CloudWatch Logs may use it for this log group only.
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowCloudWatchLogsForTheTrailLogGroup',
          principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
          actions: [
            'kms:Encrypt*',
            'kms:Decrypt*',
            'kms:ReEncrypt*',
            'kms:GenerateDataKey*',
            'kms:Describe*',
          ],
          resources: ['*'],
          conditions: {
            ArnEquals: {
              'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
                service: 'logs',
                resource: 'log-group',
                resourceName: logGroupName,
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            },
          },
        }),
      );
      this.logGroup = new logs.LogGroup(this, 'LogGroup', {
        logGroupName,
        retention: props.cloudWatchLogsRetention,
        encryptionKey: this.key,
        removalPolicy,
      });
      // https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html
      cloudWatchLogsRole = new iam.Role(this, 'CloudWatchLogsRole', {
        description: `CloudTrail trail ${trailName} delivers to its CloudWatch Logs group`,
        assumedBy: new iam.ServicePrincipal('cloudtrail.amazonaws.com'),
      });
      cloudWatchLogsGrant = this.logGroup.grant(
        cloudWatchLogsRole,
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      );
    }

    const selectors: cloudtrail.CfnTrail.AdvancedEventSelectorProperty[] = [
      // With advanced event selectors, management events are recorded only when a selector asks for them.
      { name: 'Management events', fieldSelectors: [{ field: 'eventCategory', equalTo: ['Management'] }] },
    ];
    if (lakeDataEvents !== 'none' && props.lakeBucket !== undefined) {
      selectors.push({
        name: lakeDataEvents === 'writes' ? 'Lake object writes' : 'Lake object reads and writes',
        fieldSelectors: [
          { field: 'eventCategory', equalTo: ['Data'] },
          { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
          { field: 'resources.ARN', startsWith: [`${props.lakeBucket.bucketArn}/`] },
          ...(lakeDataEvents === 'writes' ? [{ field: 'readOnly', equalTo: ['false'] }] : []),
        ],
      });
    }

    this.trail = new cloudtrail.CfnTrail(this, 'Trail', {
      trailName,
      isLogging: true,
      s3BucketName: this.bucket.bucketName,
      kmsKeyId: this.key.keyArn,
      enableLogFileValidation: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      cloudWatchLogsLogGroupArn: this.logGroup?.logGroupArn,
      cloudWatchLogsRoleArn: cloudWatchLogsRole?.roleArn,
      advancedEventSelectors: selectors,
    });
    // CloudTrail checks its access to the bucket, key and log group when the trail is created.
    if (this.bucket.policy !== undefined) this.trail.node.addDependency(this.bucket.policy);
    cloudWatchLogsGrant?.applyBefore(this.trail);
  }
}
