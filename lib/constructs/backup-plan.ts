import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { removalPolicy } from '../stacks/policies';
import { BackupAlarms } from './backup-alarms';
import { DatabaseRestoreTesting, type DatabaseRestoreTarget } from './backup-restore-testing';
import { LockedBackupVault } from './backup-vault';

/**
 * Daily rules run at 05:00 UTC: clear of dataengineering-db's automated backup window
 * (01:00-02:00) and the hour before it, when AWS Backup fails RDS snapshot jobs, and of its
 * Sunday maintenance window (03:00-04:00). Monthly rules run on the 1st at 07:00, after the
 * daily job of that day has had two hours.
 */
export const DAILY_SCHEDULE = events.Schedule.cron({ minute: '0', hour: '5' });
export const MONTHLY_SCHEDULE = events.Schedule.cron({ minute: '0', hour: '7', day: '1' });
/**
 * A continuous rule records every change, but AWS Backup still runs its job on a schedule to
 * maintain and sync the recovery point
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery-retention-period.html):
 * daily at 03:00 UTC, apart from the snapshot jobs.
 */
export const CONTINUOUS_SCHEDULE = events.Schedule.cron({ minute: '0', hour: '3' });

/** The part of an environment's config the backups read. */
export type DataBackupConfig = Pick<EnvironmentConfig, 'backup' | 'removalPolicy' | 'production'>;

export interface DataBackupProps {
  /** The lake bucket (versioned, as AWS Backup requires of S3). */
  readonly lakeBucket: s3.IBucket;
  /**
   * dataengineering-db's RDS instance, and where its restore tests go.
   * @default - no database plan and no restore testing: replication disabled, or a database the app does not own ('existing')
   */
  readonly database?: { readonly instanceArn: string; readonly restoreInto: DatabaseRestoreTarget };
  /** Backup, copy and restore failures page here. */
  readonly alarmTopic: sns.ITopic;
  readonly config: DataBackupConfig;
  /**
   * The vault's name (see LockedBackupVault.vaultName).
   * @default - a generated name
   */
  readonly vaultName?: string;
}

/**
 * AWS Backup of the lake bucket and dataengineering-db: one encrypted vault (locked in
 * production), a plan for the lake (continuous backup for point-in-time restore, daily and
 * monthly snapshots), a plan for the database (daily and monthly snapshots), each with a
 * selection naming its one resource by ARN, an optional copy to another region, restore
 * testing of the database, and alarms.
 *
 * The database has a plan of its own because a continuous rule applies to every resource of its
 * plan, and AWS Backup continuous backup of RDS would take over the instance's automated backups,
 * whose retention `replication.database.backupRetentionDays` sets.
 */
export class DataBackup extends Construct {
  public readonly vault: LockedBackupVault;
  public readonly lakePlan: backup.BackupPlan;
  /** Undefined without a database. */
  public readonly databasePlan?: backup.BackupPlan;
  /** The role AWS Backup backs up with. */
  public readonly backupRole: iam.Role;
  /** The role AWS Backup restores with: restore tests, and the runbook's restores. */
  public readonly restoreRole: iam.Role;
  /** Undefined without a database or with restore testing off. */
  public readonly restoreTesting?: DatabaseRestoreTesting;
  public readonly alarms: BackupAlarms;

  constructor(scope: Construct, id: string, props: DataBackupProps) {
    super(scope, id);
    const { config } = props;
    const settings = config.backup;
    const stack = Stack.of(this);

    this.vault = new LockedBackupVault(this, 'Vault', {
      vaultName: props.vaultName,
      vaultLock: settings.vaultLock,
      production: config.production,
      removalPolicy: removalPolicy(config),
    });
    const vault = this.vault.vault;

    // The general policies live under service-role/, the S3 ones at the top level
    // (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForS3Restore.html).
    this.backupRole = backupServiceRole(
      this,
      'BackupRole',
      'AWS Backup backs up the lake bucket and dataengineering-db',
      ['service-role/AWSBackupServiceRolePolicyForBackup', 'AWSBackupServiceRolePolicyForS3Backup'],
    );
    this.restoreRole = backupServiceRole(
      this,
      'RestoreRole',
      'AWS Backup restores the lake bucket and dataengineering-db',
      ['service-role/AWSBackupServiceRolePolicyForRestores', 'AWSBackupServiceRolePolicyForS3Restore'],
    );
    // The vault's key: S3 backups are encrypted with it; reading them back to restore needs it too.
    this.vault.key.grant(this.backupRole, 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
    this.vault.key.grant(this.restoreRole, 'kms:Decrypt', 'kms:DescribeKey');

    const copy = settings.crossRegionCopy;
    const copyActions: backup.BackupPlanCopyActionProps[] =
      copy === undefined
        ? []
        : [
            {
              destinationBackupVault: backup.BackupVault.fromBackupVaultArn(
                this,
                'CopyVault',
                stack.formatArn({
                  service: 'backup',
                  region: copy.region,
                  resource: 'backup-vault',
                  resourceName: copy.vaultName,
                  arnFormat: ArnFormat.COLON_RESOURCE_NAME,
                }),
              ),
              deleteAfter: Duration.days(copy.retentionDays),
            },
          ];
    const snapshotRules = (): backup.BackupPlanRule[] => [
      new backup.BackupPlanRule({
        ruleName: 'Daily',
        scheduleExpression: DAILY_SCHEDULE,
        startWindow: Duration.hours(1),
        deleteAfter: Duration.days(settings.dailyRetentionDays),
        // Left out without a copy: an empty list would still render `CopyActions: []`.
        ...(copyActions.length > 0 ? { copyActions } : {}),
      }),
      new backup.BackupPlanRule({
        ruleName: 'Monthly',
        scheduleExpression: MONTHLY_SCHEDULE,
        startWindow: Duration.hours(1),
        deleteAfter: Duration.days(settings.monthlyRetentionDays),
      }),
    ];

    this.lakePlan = new backup.BackupPlan(this, 'LakePlan', { backupVault: vault });
    if (settings.s3ContinuousBackup) {
      this.lakePlan.addRule(
        new backup.BackupPlanRule({
          ruleName: 'Continuous',
          enableContinuousBackup: true,
          scheduleExpression: CONTINUOUS_SCHEDULE,
          startWindow: Duration.hours(1),
          deleteAfter: Duration.days(settings.continuousRetentionDays),
        }),
      );
    }
    for (const rule of snapshotRules()) this.lakePlan.addRule(rule);
    this.lakePlan.addSelection('Lake', {
      resources: [backup.BackupResource.fromArn(props.lakeBucket.bucketArn)],
      role: this.backupRole,
      // The role carries AWSBackupServiceRolePolicyForBackup already.
      disableDefaultBackupPolicy: true,
    });

    if (props.database !== undefined) {
      this.databasePlan = new backup.BackupPlan(this, 'DatabasePlan', {
        backupVault: vault,
        backupPlanRules: snapshotRules(),
      });
      this.databasePlan.addSelection('Database', {
        resources: [backup.BackupResource.fromArn(props.database.instanceArn)],
        role: this.backupRole,
        disableDefaultBackupPolicy: true,
      });
      if (settings.restoreTesting.enabled) {
        this.restoreTesting = new DatabaseRestoreTesting(this, 'RestoreTesting', {
          vault,
          databaseInstanceArn: props.database.instanceArn,
          frequency: settings.restoreTesting.frequency,
          restoreRole: this.restoreRole,
          restoreInto: props.database.restoreInto,
        });
      }
    }

    this.alarms = new BackupAlarms(this, 'Alarms', {
      vault,
      alarmTopic: props.alarmTopic,
      copies: copy !== undefined,
    });
  }
}

/**
 * A role AWS Backup assumes, with AWS's managed policies for the job (S3 has policies of its own
 * besides the general ones: https://docs.aws.amazon.com/aws-backup/latest/devguide/s3-backups.html).
 */
function backupServiceRole(
  scope: Construct,
  id: string,
  description: string,
  /** AWS managed policy names, with their path. */
  policies: string[],
): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
    description,
    managedPolicies: policies.map((name) => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
  });
  for (const name of policies) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`,
      reason:
        `The policy AWS maintains for AWS Backup (${name.replace('service-role/', '')}); AWS extends it as the services it backs up change, ` +
        'and the plans and selections, not the role, decide which resources it touches.',
    });
  }
  return role;
}
