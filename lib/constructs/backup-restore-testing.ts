import { Names, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
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

/**
 * Where a restore test puts its instance. AWS Backup infers only an identifier, no deletion
 * protection, Single-AZ and no public access for an RDS instance; without a subnet group and
 * security groups RDS falls back to the default VPC, which may not exist (then every test fails)
 * and is not where the data may live. Override keys and their formats (a list as a JSON-array
 * string): https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing-inferred-metadata.html
 */
export interface DatabaseRestoreTarget {
  /** The VPC of the subnet group; the restored instance gets a security group of its own there. */
  readonly vpc: ec2.IVpc;
  /** The database's own DB subnet group (the data subnets). */
  readonly subnetGroupName: string;
  /** The database's own parameter group, so the restored copy runs with the same settings (TLS only). */
  readonly parameterGroupName: string;
}

export interface DatabaseRestoreTestingProps {
  /** The vault whose recovery points are restored. */
  readonly vault: backup.IBackupVault;
  /** ARN of the RDS DB instance whose snapshots are tested (dataengineering-db). */
  readonly databaseInstanceArn: string;
  /** How often. */
  readonly frequency: BackupConfig['restoreTesting']['frequency'];
  /** The role AWS Backup restores with. */
  readonly restoreRole: iam.IRole;
  /** Where the restored instance goes. */
  readonly restoreInto: DatabaseRestoreTarget;
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
  /** The restored instance's security group: no rule admits anyone, as nobody connects to a test copy. */
  public readonly securityGroup: ec2.SecurityGroup;

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

    this.securityGroup = new ec2.SecurityGroup(this, 'RestoredInstanceSecurityGroup', {
      vpc: props.restoreInto.vpc,
      description: 'dataengineering-db restore tests: admits nothing; nobody connects to a test copy',
      allowAllOutbound: false,
    });

    this.selection = new backup.CfnRestoreTestingSelection(this, 'Selection', {
      restoreTestingPlanName: planName,
      restoreTestingSelectionName: 'dataengineering_db',
      protectedResourceType: 'RDS',
      protectedResourceArns: [props.databaseInstanceArn],
      iamRoleArn: props.restoreRole.roleArn,
      restoreMetadataOverrides: {
        dbSubnetGroupName: props.restoreInto.subnetGroupName,
        vpcSecurityGroupIds: Stack.of(this).toJsonString([this.securityGroup.securityGroupId]),
        dbParameterGroupName: props.restoreInto.parameterGroupName,
      },
    });
    // The selection names the plan by a literal, so CloudFormation must be told the order.
    this.selection.addResourceDependency(this.plan);
  }
}
