import { RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { EnvironmentConfig } from '../config';

/** The config's removal policy as CDK's. */
export function removalPolicy(config: Pick<EnvironmentConfig, 'removalPolicy'>): RemovalPolicy {
  return config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
}

/** The config's log retention as CDK's (the schema admits only CloudWatch's values, which equal RetentionDays'). */
export function logRetention(config: Pick<EnvironmentConfig, 'logRetentionDays'>): logs.RetentionDays {
  const days: number = config.logRetentionDays;
  return days;
}
