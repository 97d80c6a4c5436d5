/**
 * Issue 8: for every alarm, the README or the runbook says what it means and what to do. Every
 * alarm of every stack of the fixture environments must match one entry below, and each entry's
 * name must appear, in backticks, in README.md or docs/runbook.md: an alarm added without a line
 * in the docs fails here, and so does a doc entry whose alarm is gone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { devLike, prodLike } from './fixtures/configs';
import { buildStageWith, withNestedStacks } from './helpers/synth';

/** How the docs name each kind of alarm, and the logical ids it covers (the 8-hex hash stripped). */
const DOCUMENTED: readonly { readonly name: string; readonly ids: RegExp; readonly onlyWith?: string }[] = [
  { name: 'WorkflowAlarmsHeartbeatAlarm', ids: /^WorkflowAlarmsHeartbeatAlarm$/ },
  { name: 'WorkflowAlarmsFailedAlarm', ids: /^WorkflowAlarmsFailedAlarm$/ },
  { name: 'WorkflowAlarmsTimedOutAlarm', ids: /^WorkflowAlarmsTimedOutAlarm$/ },
  { name: 'WorkflowAlarmsAbortedAlarm', ids: /^WorkflowAlarmsAbortedAlarm$/ },
  { name: 'JobFailureAlarm', ids: /^JobFailureAlarm$/ },
  { name: 'FunctionAlarms-<name>ErrorsAlarm', ids: /^FunctionAlarms[a-z]+ErrorsAlarm$/ },
  { name: 'FunctionAlarms-<name>ThrottlesAlarm', ids: /^FunctionAlarms[a-z]+ThrottlesAlarm$/ },
  { name: 'DatabaseAlarmsCpuAlarm', ids: /^DatabaseAlarmsCpuAlarm$/ },
  { name: 'DatabaseAlarmsFreeStorageAlarm', ids: /^DatabaseAlarmsFreeStorageAlarm$/ },
  { name: 'DatabaseAlarmsConnectionsAlarm', ids: /^DatabaseAlarmsConnectionsAlarm$/ },
  { name: 'LakeLagAlarm', ids: /^FreshnessProbeLakeLagAlarm$/ },
  { name: 'ReplicaLagAlarm', ids: /^FreshnessProbeReplicaLagAlarm$/ },
  { name: 'LakeProbeFailureAlarm', ids: /^FreshnessProbeLakeProbeFailureAlarm$/ },
  { name: 'ReplicaProbeFailureAlarm', ids: /^FreshnessProbeReplicaProbeFailureAlarm$/ },
  { name: 'LakeReconciliationGapAlarm', ids: /^FreshnessProbeLakeReconciliationGapAlarm$/ },
  { name: 'ReplicaReconciliationGapAlarm', ids: /^FreshnessProbeReplicaReconciliationGapAlarm$/ },
  { name: 'LakeReconciliationHeartbeatAlarm', ids: /^FreshnessProbeLakeReconciliationHeartbeatAlarm$/ },
  { name: 'ReplicaReconciliationHeartbeatAlarm', ids: /^FreshnessProbeReplicaReconciliationHeartbeatAlarm$/ },
  { name: 'LakeLagUnknownAlarm', ids: /^FreshnessProbeLakeLagUnknownAlarm$/ },
  { name: 'CDCLatencySource', ids: /^Alarms[a-z-]+CDCLatencySourceAlarm$/ },
  { name: 'CDCLatencyTarget', ids: /^Alarms[a-z-]+CDCLatencyTargetAlarm$/ },
  { name: 'ValidationFailedOverallCount', ids: /^Alarms[a-z-]+ValidationFailedAlarm$/ },
  { name: 'StateChangeDeadLetterAlarm', ids: /^Alarms[a-z-]+StateChangeDeadLetterAlarm(NewMessagesAlarm)?$/ },
  { name: 'ScheduleDeadLetterAlarm', ids: /^ScheduleDeadLetterAlarm(NewMessagesAlarm)?$/ },
  { name: 'TriggersEventDeadLetterAlarm', ids: /^TriggersEventDeadLetterAlarm(NewMessagesAlarm)?$/ },
  { name: 'TriggersFailedInvocationsAlarm', ids: /^TriggersFailedInvocationsAlarm(NewMessagesAlarm)?$/ },
  { name: 'BackupJobsFailedAlarm', ids: /^BackupAlarmsBackupJobsFailedAlarm$/ },
  { name: 'RestoreJobsFailedAlarm', ids: /^BackupAlarmsRestoreJobsFailedAlarm$/ },
  // No fixture copies backups to another region; test/constructs/backup-plan.test.ts covers that alarm.
  {
    name: 'CopyJobsFailedAlarm',
    ids: /^BackupAlarmsCopyJobsFailedAlarm$/,
    onlyWith: 'backup.crossRegionCopy',
  },
  { name: 'NoCompletedBackupAlarm', ids: /^BackupAlarmsNoCompletedBackupAlarm$/ },
  // The fixtures replicate with DMS Serverless; test/stacks/replication-stack.test.ts covers these.
  {
    name: 'InstanceAlarmsCpuAlarm',
    ids: /^InstanceAlarmsCpuAlarm$/,
    onlyWith: 'replication.dms.mode: instance',
  },
  {
    name: 'InstanceAlarmsFreeStorageAlarm',
    ids: /^InstanceAlarmsFreeStorageAlarm$/,
    onlyWith: 'replication.dms.mode: instance',
  },
];

const ROOT = join(__dirname, '..');
const DOCS = ['README.md', 'docs/runbook.md']
  .map((file) => readFileSync(join(ROOT, file), 'utf8'))
  .join('\n');

const alarmIds = [devLike, prodLike].flatMap((config) => {
  const stage = buildStageWith(config);
  return stage.node.children
    .filter((child): child is Stack => child instanceof Stack)
    .flatMap((stack) =>
      Object.entries(withNestedStacks(stack).findResources('AWS::CloudWatch::Alarm')).map(([id]) =>
        id.replace(/[0-9A-F]{8}$/, ''),
      ),
    );
});

describe('every alarm has its entry in the docs', () => {
  test.each([...new Set(alarmIds)].sort())('%s', (id) => {
    const entries = DOCUMENTED.filter((entry) => entry.ids.test(id));
    expect(entries.map((entry) => entry.name)).toHaveLength(1);
  });

  test.each(DOCUMENTED.map((entry) => [entry.name, entry] as const))(
    '%s is named in README.md or docs/runbook.md, and still matches an alarm',
    (name, entry) => {
      expect(DOCS).toContain(`\`${name}\``);
      if (entry.onlyWith === undefined) expect(alarmIds.some((id) => entry.ids.test(id))).toBe(true);
    },
  );
});
