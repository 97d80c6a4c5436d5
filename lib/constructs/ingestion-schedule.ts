import { Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { WorkflowInput } from '../../lambda/start-ingestion/contract';
import { DeadLetterAlarm, deadLetterQueue } from './dead-letter-alarm';

export interface IngestionScheduleProps {
  readonly stateMachine: sfn.IStateMachine;
  /** Minutes between runs. */
  readonly intervalMinutes: number;
  /** false keeps the schedule but disables it (ingestion paused). */
  readonly enabled: boolean;
  /** The input of every scheduled run: all lake tables. */
  readonly input: Omit<WorkflowInput, 'trigger'>;
  readonly alarmTopic: sns.ITopic;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Starts the ingestion workflow on a fixed rate with EventBridge Scheduler.
 * The flexible window is off, so ticks are not spread out (the SLO budget
 * counts on the interval). A start that still fails after the retries lands in
 * an encrypted dead-letter queue, and any message there raises an alarm.
 */
export class IngestionSchedule extends Construct {
  public readonly schedule: scheduler.Schedule;
  public readonly role: iam.Role;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: IngestionScheduleProps) {
    super(scope, id);
    const key = new kms.Key(this, 'DeadLetterKey', {
      description: 'Encrypts the dead-letter queue of the ingestion schedule',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', {
      encryptionKey: key,
      removalPolicy: props.removalPolicy,
      isDeadLetterQueueOf: 'This queue is itself the dead-letter queue of the schedule target.',
    });

    // The schedule's own role: it starts the workflow and, when a start fails for good, writes
    // to the dead-letter queue, which needs the queue's key as well.
    // Confused deputy: Scheduler sends the account and the ARN of the schedule group
    // (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role);
    // the schedule is in the default group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        ArnLike: {
          'aws:SourceArn': Stack.of(this).formatArn({
            service: 'scheduler',
            resource: 'schedule-group',
            resourceName: 'default',
          }),
        },
      }),
      description: 'EventBridge Scheduler: starts the ingestion workflow, dead-letters failed starts',
    });
    key.grant(this.role, 'kms:GenerateDataKey', 'kms:Decrypt');

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Ingests every lake table every ${props.intervalMinutes} minutes`,
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(props.intervalMinutes)),
      timeWindow: scheduler.TimeWindow.off(),
      enabled: props.enabled,
      target: new targets.StepFunctionsStartExecution(props.stateMachine, {
        role: this.role,
        input: scheduler.ScheduleTargetInput.fromObject({ trigger: 'schedule', ...props.input }),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 3,
        // A tick older than one interval is superseded by the next one.
        maxEventAge: Duration.minutes(Math.max(1, props.intervalMinutes)),
      }),
    });

    this.deadLetterAlarm = new DeadLetterAlarm(this, 'DeadLetterAlarm', {
      queue: this.deadLetterQueue,
      description:
        'A scheduled ingestion run could not be started (see the dead-letter queue and docs/runbook.md). ' +
        'Until it clears, the lake SLO is at risk.',
      alarmTopic: props.alarmTopic,
    }).alarm;
  }
}
