import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface DeadLetterAlarmProps {
  readonly queue: sqs.IQueue;
  /** What a message in the queue means and what to do, for the person paged. */
  readonly description: string;
  readonly alarmTopic: sns.ITopic;
}

/**
 * Two alarms on a dead-letter queue, both to the alarm topic: one raised while
 * any message waits in it (and cleared when it is empty), and one for every
 * 5 minutes in which new messages arrived. The first stays in ALARM until
 * someone empties the queue, so on its own it would stay silent about every
 * later failure; the second pages again for each.
 */
export class DeadLetterAlarm extends Construct {
  public readonly alarm: cloudwatch.Alarm;
  public readonly newMessagesAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DeadLetterAlarmProps) {
    super(scope, id);
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmDescription: props.description,
      metric: props.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const action = new cloudwatchActions.SnsAction(props.alarmTopic);
    this.alarm.addAlarmAction(action);
    this.alarm.addOkAction(action);

    this.newMessagesAlarm = new cloudwatch.Alarm(this, 'NewMessagesAlarm', {
      alarmDescription: `New messages arrived in the last 5 minutes. ${props.description}`,
      metric: props.queue.metricNumberOfMessagesSent({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No message sent in a period is the healthy case.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.newMessagesAlarm.addAlarmAction(action);
  }
}
