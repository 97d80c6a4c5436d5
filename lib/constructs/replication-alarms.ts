import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { REPLICATION_ALARM, type ReplicationBudget } from '../config/replication-budget';
import { DeadLetterAlarm, deadLetterQueue } from './dead-letter-alarm';
import type { DmsReplication } from './dms-replication';

export interface ReplicationAlarmsProps {
  readonly replication: DmsReplication;
  /** What is replicated, for the person paged: "trackman-backend to dataengineering-db (prod)". */
  readonly description: string;
  /** The thresholds (lib/config/replication-budget.ts). */
  readonly budget: ReplicationBudget;
  readonly alarmTopic: sns.ITopic;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Watches one replication against the freshness SLO and pages on the alarm topic:
 * - CDCLatencySource and CDCLatencyTarget over the budget's threshold for five minutes in a
 *   row. Missing datapoints count as breaching: DMS publishes them while the replication
 *   runs, so none means a stopped, failed or never started replication.
 * - ValidationFailedOverallCount above zero: a row differs between source and target.
 * - A state change of the replication (started, stopped, failed) as DMS sends it to
 *   EventBridge, turned into a readable message.
 */
export class ReplicationAlarms extends Construct {
  public readonly latencyAlarms: cloudwatch.Alarm[];
  public readonly validationAlarm: cloudwatch.Alarm;
  public readonly stateChangeRule: events.Rule;

  constructor(scope: Construct, id: string, props: ReplicationAlarmsProps) {
    super(scope, id);
    const { replication, budget } = props;
    const action = new cloudwatchActions.SnsAction(props.alarmTopic);
    const metric = (metricName: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: 'AWS/DMS',
        metricName,
        dimensionsMap: replication.metricDimensions,
        statistic: cloudwatch.Stats.MAXIMUM,
        period,
      });
    const minutes = (seconds: number) => Math.round((seconds / 60) * 100) / 100;

    const latency = {
      CDCLatencySource: 'reading changes from the source is behind',
      CDCLatencyTarget: 'applying changes to dataengineering-db is behind',
    };
    this.latencyAlarms = Object.entries(latency).map(([metricName, meaning]) => {
      const alarm = new cloudwatch.Alarm(this, `${metricName}Alarm`, {
        alarmDescription:
          `Replication ${props.description}: ${meaning}. ${metricName} has been at least ${budget.thresholdSeconds} s ` +
          `for ${REPLICATION_ALARM.evaluationPeriods} minutes, or missing (the replication is not running). ` +
          `About ${minutes(budget.timeToActMinutes * 60)} min remain of the ${budget.sloMinutes}-minute SLO ` +
          '(docs/runbook.md, "The replication is behind or stopped").',
        metric: metric(metricName, Duration.seconds(REPLICATION_ALARM.periodSeconds)),
        threshold: budget.thresholdSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: REPLICATION_ALARM.evaluationPeriods,
        datapointsToAlarm: REPLICATION_ALARM.evaluationPeriods,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return alarm;
    });

    this.validationAlarm = new cloudwatch.Alarm(this, 'ValidationFailedAlarm', {
      alarmDescription:
        `Replication ${props.description}: rows failed data validation (they differ between the source and ` +
        'dataengineering-db). The rows are listed in awsdms_control.awsdms_validation_failures_v1 on the target ' +
        '(docs/runbook.md, "Rows failed validation").',
      metric: metric('ValidationFailedOverallCount', Duration.minutes(5)),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No datapoint: nothing was validated in the period, which is no failure.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.validationAlarm.addAlarmAction(action);
    this.validationAlarm.addOkAction(action);

    // DMS sends state changes to EventBridge: "DMS Replication State Change" for serverless
    // replications, "DMS Replication Task State Change" for tasks
    // (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-dms.html).
    this.stateChangeRule = new events.Rule(this, 'StateChangeRule', {
      description: `State changes of the replication ${props.description}, to the alarm topic`,
      eventPattern: {
        source: ['aws.dms'],
        detailType: [
          replication.kind === 'serverless'
            ? 'DMS Replication State Change'
            : 'DMS Replication Task State Change',
        ],
        resources: [replication.replicationArn],
      },
    });
    const queue = deadLetterQueue(this, 'StateChangeDeadLetterQueue', {
      removalPolicy: props.removalPolicy,
      isDeadLetterQueueOf: 'This queue is itself the dead-letter queue of the state change rule target.',
    });
    new DeadLetterAlarm(this, 'StateChangeDeadLetterAlarm', {
      queue,
      description:
        `A state change of the replication ${props.description} could not be published to the alarm topic ` +
        '(for example, the topic or its key does not admit events.amazonaws.com). The message in the queue is the ' +
        'DMS event; check the replication at once (docs/runbook.md).',
      alarmTopic: props.alarmTopic,
    });
    // The topic belongs to the alerting stack; its policy and key are granted there, not from here,
    // so this stack does not rewrite another stack's topic policy. Undeliverable events land in the
    // dead-letter queue above, whose alarm reaches the topic through CloudWatch.
    this.stateChangeRule.addTarget({
      bind: () => ({
        arn: props.alarmTopic.topicArn,
        deadLetterConfig: { arn: queue.queueArn },
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 3600 },
        input: events.RuleTargetInput.fromText(
          `DMS replication ${props.description}: ${events.EventField.fromPath('$.detail.eventType')} at ` +
            `${events.EventField.time}. ${events.EventField.fromPath('$.detail.detailMessage')} ` +
            `(${events.EventField.fromPath('$.resources[0]')}; docs/runbook.md, "The replication is behind or stopped")`,
        ),
      }),
    });
    // EventBridge may send to the dead-letter queue, for this rule only.
    queue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': this.stateChangeRule.ruleArn } },
      }),
    );
  }
}
