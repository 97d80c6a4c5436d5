import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { AlarmTopic } from '../constructs/alarm-topic';
import { removalPolicy } from './policies';

export interface AlertingStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/**
 * Where alerts go. Its own stack, deployed first, so that ingestion,
 * replication and operations can all publish to it without depending on each other.
 */
export class AlertingStack extends Stack {
  public readonly alarmTopic: sns.Topic;
  /** The topic's key: services that publish as themselves (Budgets, Cost Anomaly Detection) need its use. */
  public readonly alarmTopicKey: kms.Key;

  constructor(scope: Construct, id: string, props: AlertingStackProps) {
    super(scope, id, props);
    const alarms = new AlarmTopic(this, 'Alarms', {
      emails: props.config.alarmEmails,
      removalPolicy: removalPolicy(props.config),
    });
    this.alarmTopic = alarms.topic;
    this.alarmTopicKey = alarms.key;
  }
}
