import { Duration, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface DeadLetterQueueProps {
  readonly removalPolicy: RemovalPolicy;
  /** A customer managed key to encrypt with. @default - SQS-managed encryption (SSE-SQS) */
  readonly encryptionKey?: kms.IKey;
  /** Why the queue has no dead-letter queue of its own (cdk-nag AwsSolutions-SQS3). */
  readonly isDeadLetterQueueOf: string;
}

/**
 * A queue for what a service could not deliver: TLS only, and kept 14 days, the longest SQS
 * keeps a message, because a message is evidence until someone has read it. Nothing consumes it
 * but a person, paged by a DeadLetterAlarm.
 */
export function deadLetterQueue(scope: Construct, id: string, props: DeadLetterQueueProps): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    ...(props.encryptionKey === undefined
      ? { encryption: sqs.QueueEncryption.SQS_MANAGED }
      : { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey }),
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: props.removalPolicy,
  });
  Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: props.isDeadLetterQueueOf });
  return queue;
}

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
