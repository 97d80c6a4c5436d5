import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { validateConfig, type EnvironmentConfigInput } from '../../lib/config';
import { DataBackup } from '../../lib/constructs/backup-plan';
import { copyOf, devLike, prodLike } from '../fixtures/configs';

/**
 * DataBackup in a stack of its own, with fixture resources standing in for the lake bucket,
 * dataengineering-db and the alarm topic (their own constructs are tested with their stacks).
 */
function synth(input: EnvironmentConfigInput, options: { database?: boolean } = {}) {
  const config = validateConfig(input, input.name);
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'BackupTest');
  const fixtures = new Construct(stack, 'Fixtures');
  const bucket = new s3.Bucket(fixtures, 'LakeBucket', {
    versioned: true,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  });
  const vpc = new ec2.Vpc(fixtures, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const database = new rds.DatabaseInstance(fixtures, 'Database', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17_9 }),
    instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    storageEncrypted: true,
    multiAz: true,
    deletionProtection: true,
  });
  const topic = new sns.Topic(fixtures, 'AlarmTopic', { enforceSSL: true });
  // Findings of the stand-ins only; DataBackup's own resources get no acknowledgement here.
  for (const [id, reason] of [
    ['AwsSolutions-S1', 'fixture standing in for the lake bucket, whose access logs LakeBucket configures'],
    ['AwsSolutions-VPC7', 'fixture VPC; the real one (DataNetwork) has flow logs'],
    ['AwsSolutions-SMG4', 'fixture database; ReplicaDatabase rotates its secret'],
    [
      'AwsSolutions-RDS11',
      'fixture database on the default port, as ReplicaDatabase is (acknowledged there)',
    ],
    ['AwsSolutions-SNS2', 'fixture topic; AlarmTopic encrypts the real one'],
  ]) {
    Validations.of(fixtures).acknowledge({ id, reason });
  }
  const backup = new DataBackup(stack, 'Backup', {
    lakeBucket: bucket,
    database:
      options.database === false
        ? undefined
        : {
            instanceArn: database.instanceArn,
            restoreInto: {
              vpc,
              subnetGroupName: 'fixture-subnets',
              parameterGroupName: 'fixture-parameters',
            },
          },
    alarmTopic: topic,
    config,
  });
  return { stack, backup, template: Template.fromStack(stack), bucket, database, topic, vpc };
}

const resolved = (stack: Stack, value: unknown) => JSON.stringify(stack.resolve(value));
const stackRef = (stack: Stack, value: unknown): unknown => stack.resolve(value);

describe.each([
  ['dev-like', devLike],
  ['prod-like', prodLike],
])('DataBackup (%s)', (_name, input) => {
  let built: ReturnType<typeof synth>;
  beforeAll(() => {
    built = synth(input);
  });

  test('the vault is encrypted with a rotating key of its own', () => {
    const keyId = built.stack.getLogicalId(built.backup.vault.key.node.defaultChild as CfnElement);
    built.template.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true }),
    });
    expect(built.template.toJSON().Resources[keyId].Properties.EnableKeyRotation).toBe(true);
    built.template.hasResourceProperties('AWS::Backup::BackupVault', {
      EncryptionKeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
  });

  test("the vault's logical id is pinned (renaming it replaces the vault)", () => {
    expect(Object.keys(built.template.findResources('AWS::Backup::BackupVault'))).toEqual([
      'BackupVault368E0ECE',
    ]);
  });

  test('the lake plan: continuous backup of at most 35 days, daily and monthly snapshots from config', () => {
    const config = validateConfig(input, input.name).backup;
    built.template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanRule: [
          Match.objectLike({
            RuleName: 'Continuous',
            EnableContinuousBackup: true,
            Lifecycle: { DeleteAfterDays: config.continuousRetentionDays },
          }),
          Match.objectLike({
            RuleName: 'Daily',
            ScheduleExpression: 'cron(0 5 * * ? *)',
            Lifecycle: { DeleteAfterDays: config.dailyRetentionDays },
          }),
          Match.objectLike({
            RuleName: 'Monthly',
            ScheduleExpression: 'cron(0 7 1 * ? *)',
            Lifecycle: { DeleteAfterDays: config.monthlyRetentionDays },
          }),
        ],
      },
    });
    expect(config.continuousRetentionDays).toBeLessThanOrEqual(35);
  });

  test('the database plan: daily and monthly snapshots, no continuous rule (RDS keeps its own PITR)', () => {
    const config = validateConfig(input, input.name).backup;
    built.template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanRule: [
          Match.objectLike({ RuleName: 'Daily', Lifecycle: { DeleteAfterDays: config.dailyRetentionDays } }),
          Match.objectLike({
            RuleName: 'Monthly',
            Lifecycle: { DeleteAfterDays: config.monthlyRetentionDays },
          }),
        ],
      },
    });
    const plans = Object.values(built.template.findResources('AWS::Backup::BackupPlan'));
    expect(plans).toHaveLength(2);
    const rules = plans.map((plan) =>
      (plan.Properties.BackupPlan.BackupPlanRule as { EnableContinuousBackup?: boolean }[]).filter(
        (rule) => rule.EnableContinuousBackup === true,
      ),
    );
    expect(rules.map((continuous) => continuous.length).sort()).toEqual([0, 1]);
  });

  test('every rule stores into the vault', () => {
    const vaultName = resolved(built.stack, built.backup.vault.vault.backupVaultName);
    for (const plan of Object.values(built.template.findResources('AWS::Backup::BackupPlan'))) {
      for (const rule of plan.Properties.BackupPlan.BackupPlanRule as { TargetBackupVault: unknown }[]) {
        expect(JSON.stringify(rule.TargetBackupVault)).toEqual(vaultName);
      }
    }
  });

  test('the selections name exactly the lake bucket and the database, by ARN', () => {
    const selections = Object.values(built.template.findResources('AWS::Backup::BackupSelection')).map(
      (selection) => JSON.stringify(selection.Properties.BackupSelection.Resources),
    );
    expect(selections.sort()).toEqual(
      [
        `[${resolved(built.stack, built.bucket.bucketArn)}]`,
        `[${resolved(built.stack, built.database.instanceArn)}]`,
      ].sort(),
    );
    built.template.allResourcesProperties('AWS::Backup::BackupSelection', {
      BackupSelection: { ListOfTags: Match.absent(), Conditions: Match.absent() },
    });
  });

  test('backups run as a role with the AWS Backup and S3 backup policies; restores as another', () => {
    const policies = (role: Construct) =>
      JSON.stringify(
        built.template.toJSON().Resources[built.stack.getLogicalId(role.node.defaultChild as CfnElement)],
      );
    const backupRole = policies(built.backup.backupRole);
    expect(backupRole).toContain('service-role/AWSBackupServiceRolePolicyForBackup');
    expect(backupRole).toContain(':iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup');
    expect(backupRole).not.toContain('Restore');
    const restoreRole = policies(built.backup.restoreRole);
    expect(restoreRole).toContain('service-role/AWSBackupServiceRolePolicyForRestores');
    expect(restoreRole).toContain(':iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore');
    built.template.allResourcesProperties('AWS::Backup::BackupSelection', {
      BackupSelection: {
        IamRoleArn: {
          'Fn::GetAtt': [
            built.stack.getLogicalId(built.backup.backupRole.node.defaultChild as CfnElement),
            'Arn',
          ],
        },
      },
    });
  });

  test('no copy action without crossRegionCopy', () => {
    expect(JSON.stringify(built.template.findResources('AWS::Backup::BackupPlan'))).not.toContain(
      'CopyActions',
    );
  });

  test('restore testing restores the newest snapshot of the last week of the database, weekly', () => {
    built.template.hasResourceProperties('AWS::Backup::RestoreTestingPlan', {
      ScheduleExpression: 'cron(0 9 ? * TUE *)',
      RecoveryPointSelection: {
        Algorithm: 'LATEST_WITHIN_WINDOW',
        IncludeVaults: [{ 'Fn::GetAtt': ['BackupVault368E0ECE', 'BackupVaultArn'] }],
        RecoveryPointTypes: ['SNAPSHOT'],
        SelectionWindowDays: 7,
      },
    });
    const plan = Object.values(built.template.findResources('AWS::Backup::RestoreTestingPlan'))[0];
    expect(plan.Properties.RestoreTestingPlanName).toMatch(/^[A-Za-z0-9_]{1,50}$/);
    built.template.hasResourceProperties('AWS::Backup::RestoreTestingSelection', {
      RestoreTestingPlanName: plan.Properties.RestoreTestingPlanName,
      ProtectedResourceType: 'RDS',
      ProtectedResourceArns: [JSON.parse(resolved(built.stack, built.database.instanceArn))],
      IamRoleArn: {
        'Fn::GetAtt': [
          built.stack.getLogicalId(built.backup.restoreRole.node.defaultChild as CfnElement),
          'Arn',
        ],
      },
    });
  });

  test("a restored copy goes into the database's subnets, with its parameters and a group that admits nobody", () => {
    const testing = built.backup.restoreTesting!;
    const groupId = stackRef(built.stack, testing.securityGroup.securityGroupId);
    const selection = Object.values(built.template.findResources('AWS::Backup::RestoreTestingSelection'))[0];
    expect(selection.Properties.RestoreMetadataOverrides).toEqual({
      dbSubnetGroupName: 'fixture-subnets',
      // A list-typed override is a JSON array inside the string.
      vpcSecurityGroupIds: { 'Fn::Join': ['', ['["', groupId, '"]']] },
      dbParameterGroupName: 'fixture-parameters',
    });
    const group = built.template.toJSON().Resources[
      built.stack.getLogicalId(testing.securityGroup.node.defaultChild as CfnElement)
    ] as { Properties: Record<string, unknown> };
    expect(group.Properties.VpcId).toEqual(stackRef(built.stack, built.vpc.vpcId));
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    // allowAllOutbound: false leaves CDK's placeholder rule, which matches no traffic.
    expect(group.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp' }),
    ]);
    built.template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('alarms on failed backup and restore jobs and on a day without a backup, each to the topic', () => {
    const topic = { Ref: built.stack.getLogicalId(built.topic.node.defaultChild as CfnElement) };
    const vaultName = { 'Fn::GetAtt': ['BackupVault368E0ECE', 'BackupVaultName'] };
    const alarms = built.template.findResources('AWS::CloudWatch::Alarm');
    expect(
      Object.values(alarms)
        .map((alarm) => alarm.Properties.MetricName as string)
        .sort(),
    ).toEqual(['NumberOfBackupJobsCompleted', 'NumberOfBackupJobsFailed', 'NumberOfRestoreJobsFailed']);
    for (const alarm of Object.values(alarms)) {
      expect(alarm.Properties).toMatchObject({
        Namespace: 'AWS/Backup',
        Dimensions: [{ Name: 'BackupVaultName', Value: vaultName }],
        AlarmActions: [topic],
        OKActions: [topic],
      });
    }
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'NumberOfBackupJobsFailed',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'NumberOfRestoreJobsFailed',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'NumberOfBackupJobsCompleted',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      Period: 86400,
      TreatMissingData: 'breaching',
    });
  });

  test('cdk-nag finds nothing unacknowledged', () => {
    const report = new AwsSolutionsChecks(built.stack).validateScope(built.stack);
    const findings = report.violations.flatMap((violation) =>
      violation.violatingResources.map(
        (resource) => `${violation.ruleName} at ${resource.resourceLogicalId}`,
      ),
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });
});

describe('vault lock', () => {
  test('production locks the vault, changeable for at least 3 days, bounds from config', () => {
    const config = copyOf(prodLike);
    config.backup = { vaultLock: { changeableForDays: 3, minRetentionDays: 30, maxRetentionDays: 400 } };
    synth(config).template.hasResourceProperties('AWS::Backup::BackupVault', {
      LockConfiguration: { ChangeableForDays: 3, MinRetentionDays: 30, MaxRetentionDays: 400 },
    });
  });

  test('the default cooling-off period is 7 days', () => {
    synth(prodLike).template.hasResourceProperties('AWS::Backup::BackupVault', {
      LockConfiguration: { ChangeableForDays: 7, MinRetentionDays: 7, MaxRetentionDays: 3653 },
    });
  });

  test('an environment that is not production is never locked', () => {
    synth(devLike).template.hasResourceProperties('AWS::Backup::BackupVault', {
      LockConfiguration: Match.absent(),
    });
  });
});

describe('settings', () => {
  test('retention of the daily and monthly rules comes from config', () => {
    const config = copyOf(devLike);
    config.backup = { continuousRetentionDays: 10, dailyRetentionDays: 40, monthlyRetentionDays: 400 };
    const { template } = synth(config);
    const rules = Object.values(template.findResources('AWS::Backup::BackupPlan')).flatMap(
      (plan) =>
        plan.Properties.BackupPlan.BackupPlanRule as {
          RuleName: string;
          Lifecycle: { DeleteAfterDays: number };
        }[],
    );
    expect(rules.map((rule) => `${rule.RuleName} ${rule.Lifecycle.DeleteAfterDays}`).sort()).toEqual([
      'Continuous 10',
      'Daily 40',
      'Daily 40',
      'Monthly 400',
      'Monthly 400',
    ]);
  });

  test('without continuous backup the lake plan has the snapshot rules only', () => {
    const config = copyOf(devLike);
    config.backup = { s3ContinuousBackup: false };
    expect(JSON.stringify(synth(config).template.toJSON())).not.toContain('EnableContinuousBackup');
  });

  test('a cross-region copy copies every daily recovery point to the named vault of that region', () => {
    const config = copyOf(prodLike);
    config.backup = { crossRegionCopy: { region: 'eu-central-1', retentionDays: 90 } };
    const { template } = synth(config);
    const copyAction = {
      DestinationBackupVaultArn: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':backup:eu-central-1:',
            { Ref: 'AWS::AccountId' },
            ':backup-vault:trackman-backup-copy',
          ],
        ],
      },
      Lifecycle: { DeleteAfterDays: 90 },
    };
    const rules = Object.values(template.findResources('AWS::Backup::BackupPlan')).flatMap(
      (plan) => plan.Properties.BackupPlan.BackupPlanRule as { RuleName: string; CopyActions?: unknown }[],
    );
    expect(rules.filter((rule) => rule.RuleName === 'Daily').map((rule) => rule.CopyActions)).toEqual([
      [copyAction],
      [copyAction],
    ]);
    expect(rules.filter((rule) => rule.RuleName !== 'Daily').map((rule) => rule.CopyActions)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'NumberOfCopyJobsFailed',
      AlarmActions: Match.anyValue(),
    });
  });

  test('without a database: the lake plan only, no restore testing, the alarms still', () => {
    const { template } = synth(prodLike, { database: false });
    template.resourceCountIs('AWS::Backup::BackupPlan', 1);
    template.resourceCountIs('AWS::Backup::BackupSelection', 1);
    template.resourceCountIs('AWS::Backup::RestoreTestingPlan', 0);
    template.resourceCountIs('AWS::Backup::RestoreTestingSelection', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
  });

  test('restore testing off: no restore testing plan', () => {
    const config = copyOf(devLike);
    config.backup = { restoreTesting: { enabled: false } };
    const { template } = synth(config);
    template.resourceCountIs('AWS::Backup::RestoreTestingPlan', 0);
    template.resourceCountIs('AWS::Backup::RestoreTestingSelection', 0);
  });

  test.each([
    ['daily', 'cron(0 9 * * ? *)'],
    ['monthly', 'cron(0 9 2 * ? *)'],
  ] as const)('restore testing %s runs at %s', (frequency, expression) => {
    const config = copyOf(devLike);
    config.backup = { restoreTesting: { frequency } };
    synth(config).template.hasResourceProperties('AWS::Backup::RestoreTestingPlan', {
      ScheduleExpression: expression,
      ScheduleExpressionTimezone: 'Etc/UTC',
    });
  });
});
