/**
 * Every alarm of every template, in both fixture environments (all stacks): each one notifies the
 * alarm topic of the alerting stack, and none treats missing data as fine where missing data means
 * a dead pipeline. An alarm may treat missing data as notBreaching only when it is on the explicit
 * allow-list below, each entry with its reason; everything else must say `breaching`.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { EnvironmentConfigInput } from '../lib/config';
import { devLike, prodLike } from './fixtures/configs';
import { buildStageWith, withNestedStacks } from './helpers/synth';

interface AlarmResource {
  Properties: {
    AlarmActions?: unknown[];
    OKActions?: unknown[];
    ActionsEnabled?: boolean;
    TreatMissingData?: string;
    AlarmDescription?: string;
  };
}

/**
 * Alarms for which no datapoint is the healthy case, matched on the logical id. Each matches at
 * least one alarm in each environment (tested), so the list cannot rot.
 */
const NOT_BREACHING_ALLOWED: readonly { pattern: RegExp; reason: string }[] = [
  {
    pattern: /DeadLetterAlarm(NewMessagesAlarm)?[0-9A-F]{8}$/,
    reason: 'dead-letter queues: SQS publishes nothing for an empty, idle queue',
  },
  {
    pattern: /FailedInvocationsAlarm(NewMessagesAlarm)?[0-9A-F]{8}$/,
    reason: "the functions' on-failure queue: a dead-letter queue by another name",
  },
  {
    pattern: /FunctionAlarms.*(ErrorsAlarm|ThrottlesAlarm)[0-9A-F]{8}$/,
    reason: 'Lambda errors and throttles: error counts, no datapoint without an error',
  },
  {
    pattern: /WorkflowAlarms(FailedAlarm|TimedOutAlarm|AbortedAlarm)[0-9A-F]{8}$/,
    reason: 'failed, timed out and aborted executions: error counts (the heartbeat covers a dead workflow)',
  },
  {
    pattern: /JobFailureAlarm[0-9A-F]{8}$/,
    reason: 'failed Glue job runs (TriggeredRules of the failure rule): an error count',
  },
  {
    pattern: /ValidationFailedAlarm[0-9A-F]{8}$/,
    reason:
      'DMS validation failures: nothing validated in a period is no failure (latency alarms cover a dead replication)',
  },
  {
    pattern: /ReconciliationGapAlarm[0-9A-F]{8}$/,
    reason:
      'reconciliation gaps: an hour with every window skipped is no gap (lag and failure alarms cover a dead probe)',
  },
  {
    pattern: /(BackupJobsFailed|RestoreJobsFailed|CopyJobsFailed)Alarm[0-9A-F]{8}$/,
    reason:
      'AWS Backup job failure counts: published only when jobs ran (the no-completed-backup alarm, breaching, covers a stopped plan)',
  },
];

/** Alarms whose missing data means a dead pipeline: these must be breaching. */
const DEAD_PIPELINE = [
  /LagAlarm[0-9A-F]{8}$/, // lake and replica lag (the probe)
  /LakeLagUnknownAlarm[0-9A-F]{8}$/,
  /ProbeFailureAlarm[0-9A-F]{8}$/,
  /CDCLatency(Source|Target)Alarm[0-9A-F]{8}$/, // DMS latency
  /WorkflowAlarmsHeartbeatAlarm[0-9A-F]{8}$/, // the schedule / workflow heartbeat
];

describe.each([
  ['dev', devLike],
  ['prod', prodLike],
] as [string, EnvironmentConfigInput][])('alarms in every template (%s fixture)', (_name, fixture) => {
  const stage = buildStageWith(fixture);
  const stacks = stage.node.children.filter((child): child is Stack => child instanceof Stack);
  const alarms: { stack: string; id: string; alarm: AlarmResource }[] = [];
  let pointsAtTopic: (action: unknown) => boolean = () => false;

  beforeAll(() => {
    // The topic as each template can name it: Ref in the alerting stack; elsewhere the alerting
    // stack's output whose value is that Ref, read with Fn::GetStackOutput or Fn::ImportValue.
    const alerting = Template.fromStack(stage.alerting).toJSON() as {
      Resources: Record<string, { Type: string }>;
      Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }>;
    };
    const topicIds = Object.entries(alerting.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::SNS::Topic')
      .map(([id]) => id);
    expect(topicIds).toHaveLength(1);
    const topicRef = JSON.stringify({ Ref: topicIds[0] });
    const outputs = Object.entries(alerting.Outputs ?? {}).filter(
      ([, output]) => JSON.stringify(output.Value) === topicRef,
    );
    const outputNames = new Set(outputs.map(([name]) => name));
    const exportNames = new Set(
      outputs.flatMap(([, output]) => (output.Export === undefined ? [] : [output.Export.Name])),
    );
    pointsAtTopic = (action) => {
      if (JSON.stringify(action) === topicRef) return true;
      const ref = action as {
        'Fn::GetStackOutput'?: { StackName?: unknown; OutputName?: unknown };
        'Fn::ImportValue'?: unknown;
      };
      const output = ref['Fn::GetStackOutput'];
      if (output !== undefined) {
        return output.StackName === stage.alerting.stackName && outputNames.has(output.OutputName as string);
      }
      return exportNames.has(ref['Fn::ImportValue'] as string);
    };

    for (const stack of stacks) {
      const found = withNestedStacks(stack).findResources('AWS::CloudWatch::Alarm') as Record<
        string,
        AlarmResource
      >;
      for (const [id, alarm] of Object.entries(found)) alarms.push({ stack: stack.node.id, id, alarm });
    }
  });

  test('the stage has alarms in ingestion, replication and operations', () => {
    expect(new Set(alarms.map((a) => a.stack))).toEqual(new Set(['Ingestion', 'Replication', 'Operations']));
    expect(alarms.length).toBeGreaterThan(20);
  });

  test('every alarm has an enabled alarm action on the alarm topic', () => {
    const without = alarms
      .filter(({ alarm }) => !(alarm.Properties.AlarmActions ?? []).some(pointsAtTopic))
      .map(({ stack, id }) => `${stack}/${id}`);
    expect(without).toEqual([]);
    const disabled = alarms
      .filter(({ alarm }) => alarm.Properties.ActionsEnabled === false)
      .map(({ id }) => id);
    expect(disabled).toEqual([]);
  });

  test('missing data is breaching unless the alarm is allow-listed as notBreaching', () => {
    const offending = alarms
      .filter(({ id, alarm }) => {
        const treat = alarm.Properties.TreatMissingData;
        if (treat === 'breaching') return false;
        return !(treat === 'notBreaching' && NOT_BREACHING_ALLOWED.some(({ pattern }) => pattern.test(id)));
      })
      .map(
        ({ stack, id, alarm }) =>
          `${stack}/${id}: ${alarm.Properties.TreatMissingData ?? '(unset: missing)'}`,
      );
    expect(offending).toEqual([]);
  });

  test('the dead-pipeline alarms exist and are breaching', () => {
    for (const pattern of DEAD_PIPELINE) {
      const matching = alarms.filter(({ id }) => pattern.test(id));
      expect({ pattern: String(pattern), found: matching.length > 0 }).toEqual({
        pattern: String(pattern),
        found: true,
      });
      for (const { id, alarm } of matching) {
        expect({ id, treat: alarm.Properties.TreatMissingData }).toEqual({ id, treat: 'breaching' });
      }
    }
  });

  test('no dead-pipeline alarm is caught by the allow-list, and every allow-list entry is used', () => {
    for (const { id } of alarms.filter(({ id }) => DEAD_PIPELINE.some((p) => p.test(id)))) {
      expect({ id, allowed: NOT_BREACHING_ALLOWED.some(({ pattern }) => pattern.test(id)) }).toEqual({
        id,
        allowed: false,
      });
    }
    for (const { pattern, reason } of NOT_BREACHING_ALLOWED) {
      expect({ reason, used: alarms.some(({ id }) => pattern.test(id)) }).toEqual({ reason, used: true });
    }
  });
});
