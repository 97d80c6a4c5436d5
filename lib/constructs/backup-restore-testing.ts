import { Names } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { BackupConfig } from '../config/backup-schema';

/**
 * When each frequency runs, in UTC: after the 05:00 daily snapshot has had four hours, and on a
 * weekday (Tuesday) or a day (the 2nd) on which someone is at work to read the result.
 */
export const RESTORE_TEST_SCHEDULES: Readonly<Record<BackupConfig['restoreTesting']['frequency'], string>> = {
  daily: 'cron(0 9 * * ? *)',
  weekly: 'cron(0 9 ? * TUE *)',
  monthly: 'cron(0 9 2 * ? *)',
};

/** Snapshots older than this are not tested: a week without a new one is itself a failure to page on. */
export const RESTORE_TEST_SELECTION_WINDOW_DAYS = 7;

export interface DatabaseRestoreTestingProps {
  /** The vault whose recovery points are restored. */
  readonly vault: backup.IBackupVault;
  /** ARN of the RDS DB instance whose snapshots are tested (dataengineering-db). */
  readonly databaseInstanceArn: string;
  /** How often. */
  readonly frequency: BackupConfig['restoreTesting']['frequency'];
  /** The role AWS Backup restores with. */
  readonly restoreRole: iam.IRole;
}

/**
 * AWS Backup restore testing of one RDS instance: on a schedule, AWS Backup restores the newest
 * snapshot of the last week from the vault into a new instance with inferred settings, and deletes
 * it when the restore has finished; a restore that fails is a failed restore job, which
 * BackupAlarms pages on. L1 resources: aws-cdk-lib has no L2 for restore testing.
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing.html
 */
export class DatabaseRestoreTesting extends Construct {
  public readonly plan: backup.CfnRestoreTestingPlan;
  public readonly selection: backup.CfnRestoreTestingSelection;

  constructor(scope: Construct, id: string, props: DatabaseRestoreTestingProps) {
    super(scope, id);
    // Names: letters, digits and _ only, at most 50 characters, fixed once created; unique per account and region.
    const planName = Names.uniqueResourceName(this, { maxLength: 50, separator: '_' }).replace(
      /[^A-Za-z0-9_]/g,
      '',
    );

    this.plan = new backup.CfnRestoreTestingPlan(this, 'Plan', {
      restoreTestingPlanName: planName,
      scheduleExpression: RESTORE_TEST_SCHEDULES[props.frequency],
      scheduleExpressionTimezone: 'Etc/UTC',
      recoveryPointSelection: {
        algorithm: 'LATEST_WITHIN_WINDOW',
        includeVaults: [props.vault.backupVaultArn],
        recoveryPointTypes: ['SNAPSHOT'],
        selectionWindowDays: RESTORE_TEST_SELECTION_WINDOW_DAYS,
      },
    });

    this.selection = new backup.CfnRestoreTestingSelection(this, 'Selection', {
      restoreTestingPlanName: planName,
      restoreTestingSelectionName: 'dataengineering_db',
      protectedResourceType: 'RDS',
      protectedResourceArns: [props.databaseInstanceArn],
      iamRoleArn: props.restoreRole.roleArn,
    });
    // The selection names the plan by a literal, so CloudFormation must be told the order.
    this.selection.addResourceDependency(this.plan);
  }
}
