import { Stack, type StackProps } from 'aws-cdk-lib';
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
  public readonly alarmTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: AlertingStackProps) {
    super(scope, id, props);
    this.alarmTopic = new AlarmTopic(this, 'Alarms', {
      emails: props.config.alarmEmails,
      removalPolicy: removalPolicy(props.config),
    }).topic;
  }
}
