import { Duration } from 'aws-cdk-lib';
import type * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface BackupAlarmsProps {
  /** The vault whose jobs are watched. */
  readonly vault: backup.IBackupVault;
  readonly alarmTopic: sns.ITopic;
  /** Whether recovery points are copied to another region (adds the copy-failure alarm). */
  readonly copies: boolean;
}

/**
 * Alarms on the vault's jobs, from the metrics AWS Backup publishes in the `AWS/Backup` namespace
 * per vault (dimension `BackupVaultName`): failed backup jobs, failed restore jobs (what a failed
 * restore test is), failed copy jobs, and no completed backup job in a UTC day.
 *
 * Metric alarms rather than an EventBridge rule on "Backup Job State Change" and "Restore Job
 * State Change" events: an alarm has a state the dashboard and the every-alarm-has-an-action test
 * see, clears itself, and needs no topic policy for events.amazonaws.com on the shared alarm topic;
 * the events would carry the job id, which the runbook finds with one `list-*-jobs` call instead.
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/cloudwatch.html
 */
export class BackupAlarms extends Construct {
  public readonly backupJobsFailed: cloudwatch.Alarm;
  public readonly restoreJobsFailed: cloudwatch.Alarm;
  public readonly noCompletedBackup: cloudwatch.Alarm;
  /** Undefined without a cross-region copy. */
  public readonly copyJobsFailed?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: BackupAlarmsProps) {
    super(scope, id);
    const action = new cloudwatchActions.SnsAction(props.alarmTopic);
    const metric = (metricName: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Backup',
        metricName,
        dimensionsMap: { BackupVaultName: props.vault.backupVaultName },
        statistic: cloudwatch.Stats.SUM,
        period,
      });
    const anyFailed = (alarmId: string, metricName: string, description: string) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: description,
        metric: metric(metricName, Duration.hours(1)),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // AWS Backup publishes a count only when there are jobs: no data is no failure. A plan
        // that stopped running is caught by NoCompletedBackupAlarm instead.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return alarm;
    };

    this.backupJobsFailed = anyFailed(
      'BackupJobsFailedAlarm',
      'NumberOfBackupJobsFailed',
      'A backup job of the lake bucket or dataengineering-db failed in the last hour. ' +
        'Runbook: docs/runbook.md#a-backup-or-restore-test-failed',
    );
    this.restoreJobsFailed = anyFailed(
      'RestoreJobsFailedAlarm',
      'NumberOfRestoreJobsFailed',
      'A restore job from the backup vault failed in the last hour: a scheduled restore test of ' +
        'dataengineering-db, or a restore someone started. Runbook: docs/runbook.md#a-backup-or-restore-test-failed',
    );
    if (props.copies) {
      this.copyJobsFailed = anyFailed(
        'CopyJobsFailedAlarm',
        'NumberOfCopyJobsFailed',
        'Copying a recovery point to the other region failed in the last hour. ' +
          'Runbook: docs/runbook.md#a-backup-or-restore-test-failed',
      );
    }

    this.noCompletedBackup = new cloudwatch.Alarm(this, 'NoCompletedBackupAlarm', {
      alarmDescription:
        'No backup job completed in the vault in a whole UTC day, although the daily rules run at 05:00 UTC: ' +
        'the plans stopped, or every job failed. Runbook: docs/runbook.md#a-backup-or-restore-test-failed',
      metric: metric('NumberOfBackupJobsCompleted', Duration.days(1)),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No data is exactly the failure this alarm is for.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.noCompletedBackup.addAlarmAction(action);
    this.noCompletedBackup.addOkAction(action);
  }
}
