/**
 * AuditTrail in a small stack of its own, beside a lake bucket: the trail's
 * properties, the bucket and key policies that admit CloudTrail for this trail
 * only, the lifecycle, CloudWatch Logs delivery, the lake data events only when
 * configured, and no cdk-nag finding.
 */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { validateConfig } from '../../lib/config';
import type { LakeDataEvents } from '../../lib/config/audit-schema';
import { AuditTrail, type AuditTrailProps } from '../../lib/constructs/audit-trail';
import { LakeBucket } from '../../lib/constructs/lake-bucket';
import { DEV_ACCOUNT, devLike, REGION } from '../fixtures/configs';
import { projectContext } from '../helpers/synth';

const TRAIL_ARN = `arn:aws:cloudtrail:${REGION}:${DEV_ACCOUNT}:trail/trackman-dev-audit`;
const lake = validateConfig(devLike, 'dev').lake;

function build(options: { lakeDataEvents?: LakeDataEvents; cloudWatchLogs?: boolean } = {}) {
  const stack = new Stack(
    new App({ context: projectContext(), builtinCloudFormationValidation: false }),
    'AuditTrailTest',
    {
      env: { account: DEV_ACCOUNT, region: REGION },
    },
  );
  const lakeBucket = new LakeBucket(stack, 'Lake', {
    bucketName: 'trackman-dev-lake-test',
    lake,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const props: AuditTrailProps = {
    trailName: 'trackman-dev-audit',
    bucketRetentionDays: 400,
    cloudWatchLogsRetention: options.cloudWatchLogs === false ? undefined : logs.RetentionDays.ONE_YEAR,
    lakeDataEvents: options.lakeDataEvents,
    lakeBucket: lakeBucket.bucket,
    removalPolicy: RemovalPolicy.RETAIN,
  };
  const audit = new AuditTrail(stack, 'Audit', props);
  return { stack, audit, lakeBucket, template: Template.fromStack(stack) };
}

const MANAGEMENT = {
  Name: 'Management events',
  FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }],
};

describe('AuditTrail with lake writes and CloudWatch Logs', () => {
  const { stack, audit, lakeBucket, template } = build({ lakeDataEvents: 'writes' });
  const lakeArn = stack.resolve(lakeBucket.bucket.bucketArn);

  test('one multi-Region trail with log file validation, global events, KMS and logging on', () => {
    template.resourceCountIs('AWS::CloudTrail::Trail', 1);
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      TrailName: 'trackman-dev-audit',
      IsLogging: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      KMSKeyId: { 'Fn::GetAtt': [stack.getLogicalId(audit.key.node.defaultChild as never), 'Arn'] },
      S3BucketName: { Ref: stack.getLogicalId(audit.bucket.node.defaultChild as never) },
      EventSelectors: Match.absent(),
    });
    expect(audit.trailArn).toBe(TRAIL_ARN);
  });

  test('management events and the lake bucket object writes, by advanced event selectors', () => {
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      AdvancedEventSelectors: [
        MANAGEMENT,
        {
          Name: 'Lake object writes',
          FieldSelectors: [
            { Field: 'eventCategory', Equals: ['Data'] },
            { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
            { Field: 'resources.ARN', StartsWith: [{ 'Fn::Join': ['', [lakeArn, '/']] }] },
            { Field: 'readOnly', Equals: ['false'] },
          ],
        },
      ],
    });
  });

  test('the key rotates and admits CloudTrail only for this trail', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudTrailToEncryptLogs',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 'kms:GenerateDataKey*',
            Condition: {
              StringEquals: { 'aws:SourceArn': TRAIL_ARN },
              StringLike: {
                'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${DEV_ACCOUNT}:trail/*`,
              },
            },
          }),
          Match.objectLike({
            Sid: 'AllowCloudTrailToDescribeKey',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 'kms:DescribeKey',
            Condition: { StringEquals: { 'aws:SourceArn': TRAIL_ARN } },
          }),
          Match.objectLike({
            Sid: 'AllowCloudWatchLogsForTheTrailLogGroup',
            Principal: { Service: `logs.${REGION}.amazonaws.com` },
            Condition: {
              ArnEquals: {
                'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${REGION}:${DEV_ACCOUNT}:log-group:/aws/cloudtrail/trackman-dev-audit`,
              },
            },
          }),
        ]),
      },
    });
  });

  test('the bucket policy admits CloudTrail for this trail only, and only under AWSLogs/<account>/', () => {
    const bucketRef = { Ref: stack.getLogicalId(audit.bucket.node.defaultChild as never) };
    const bucketArn = { 'Fn::GetAtt': [bucketRef.Ref, 'Arn'] };
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: bucketRef,
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Sid: 'AWSCloudTrailAclCheck',
            Effect: 'Allow',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 's3:GetBucketAcl',
            Resource: bucketArn,
            Condition: { StringEquals: { 'aws:SourceArn': TRAIL_ARN } },
          }),
          Match.objectLike({
            Sid: 'AWSCloudTrailWrite',
            Effect: 'Allow',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [bucketArn, `/AWSLogs/${DEV_ACCOUNT}/*`]] },
            Condition: {
              StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': TRAIL_ARN },
            },
          }),
        ]),
      },
    });
    // The trail is created after the policy that lets it write.
    const trail = Object.values(template.findResources('AWS::CloudTrail::Trail'))[0] as {
      DependsOn: string[];
    };
    expect(trail.DependsOn).toContain(stack.getLogicalId(audit.bucket.policy!.node.defaultChild as never));
  });

  test('the trail bucket is hardened, kept and expires after the configured days', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: {
                  'Fn::GetAtt': [stack.getLogicalId(audit.key.node.defaultChild as never), 'Arn'],
                },
              },
            },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: {
          DestinationBucketName: {
            Ref: stack.getLogicalId(audit.accessLogBucket.node.defaultChild as never),
          },
          LogFilePrefix: 'trail/',
        },
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              Id: 'ExpireTrailFiles',
              Status: 'Enabled',
              ExpirationInDays: 400,
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            }),
          ],
        },
      },
    });
  });

  test('delivered to an encrypted CloudWatch Logs group through a role that may only write to it', () => {
    const logGroupId = stack.getLogicalId(audit.logGroup!.node.defaultChild as never);
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/cloudtrail/trackman-dev-audit',
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(audit.key.node.defaultChild as never), 'Arn'] },
    });
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      CloudWatchLogsRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('CloudWatchLogsRole'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'cloudtrail.amazonaws.com' } })],
      },
    });
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
      Properties: {
        PolicyDocument: { Statement: { Effect: string; Action: string[]; Resource: unknown[] }[] };
      };
    }[];
    expect(policies).toHaveLength(1);
    const [statement, ...others] = policies[0].Properties.PolicyDocument.Statement;
    expect(others).toEqual([]);
    expect(statement.Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    // The log group and its streams, nothing else.
    for (const resource of statement.Resource) expect(JSON.stringify(resource)).toContain(logGroupId);
  });

  test('cdk-nag reports nothing', () => {
    const report = new AwsSolutionsChecks(stack).validateScope(stack);
    const findings = report.violations.flatMap((violation) =>
      violation.violatingResources.map(
        (resource) => `${violation.ruleName} at ${resource.resourceLogicalId}`,
      ),
    );
    expect(findings).toEqual([]);
  });
});

describe('AuditTrail: what is configured decides what is recorded', () => {
  test('without lake data events, management events only', () => {
    const { template } = build({});
    template.hasResourceProperties('AWS::CloudTrail::Trail', { AdvancedEventSelectors: [MANAGEMENT] });
  });

  test("'reads-and-writes' records the lake objects without a readOnly selector", () => {
    const { template } = build({ lakeDataEvents: 'reads-and-writes' });
    const trail = Object.values(template.findResources('AWS::CloudTrail::Trail'))[0] as {
      Properties: { AdvancedEventSelectors: { Name: string; FieldSelectors: { Field: string }[] }[] };
    };
    const selectors = trail.Properties.AdvancedEventSelectors;
    expect(selectors.map((s) => s.Name)).toEqual(['Management events', 'Lake object reads and writes']);
    expect(selectors[1].FieldSelectors.map((f) => f.Field)).toEqual([
      'eventCategory',
      'resources.type',
      'resources.ARN',
    ]);
  });

  test('without CloudWatch Logs: no log group, no role, no logs statement in the key', () => {
    const { template } = build({ cloudWatchLogs: false });
    template.resourceCountIs('AWS::Logs::LogGroup', 0);
    template.resourceCountIs('AWS::IAM::Role', 1); // the lake bucket's auto-delete custom resource only
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      CloudWatchLogsLogGroupArn: Match.absent(),
      CloudWatchLogsRoleArn: Match.absent(),
    });
    const keys = Object.values(template.findResources('AWS::KMS::Key')) as {
      Properties: { KeyPolicy: { Statement: { Sid?: string }[] } };
    }[];
    const sids = keys.flatMap((key) => key.Properties.KeyPolicy.Statement.map((s) => s.Sid));
    expect(sids).not.toContain('AllowCloudWatchLogsForTheTrailLogGroup');
  });

  test('lake data events without the lake bucket are refused, with the reason', () => {
    const stack = new Stack(new App({ context: projectContext() }), 'Refused', {
      env: { account: DEV_ACCOUNT, region: REGION },
    });
    expect(
      () =>
        new AuditTrail(stack, 'Audit', {
          trailName: 'trackman-dev-audit',
          bucketRetentionDays: 365,
          lakeDataEvents: 'writes',
          removalPolicy: RemovalPolicy.DESTROY,
        }),
    ).toThrow(
      "AuditTrail Refused/Audit: lakeDataEvents is 'writes' but no lakeBucket was given; expected the lake bucket whose object events to record",
    );
  });
});
