import { RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { EnvironmentConfig } from '../config';

/**
 * The config's removal policy as CDK's. 'retain' is RETAIN_ON_UPDATE_OR_DELETE, which renders
 * `DeletionPolicy: RetainExceptOnCreate` and `UpdateReplacePolicy: Retain`: a resource is kept
 * when the stack is deleted or replaces it, but a resource whose creation is rolled back is
 * deleted, so a failed first deploy can be retried without "already exists" for the named
 * resources it had created (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.RemovalPolicy.html,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html).
 * `cdk deploy --import-existing-resources` accepts it as it accepts Retain.
 */
export function removalPolicy(config: Pick<EnvironmentConfig, 'removalPolicy'>): RemovalPolicy {
  return config.removalPolicy === 'destroy'
    ? RemovalPolicy.DESTROY
    : RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
}

/** The config's log retention as CDK's (the schema admits only CloudWatch's values, which equal RetentionDays'). */
export function logRetention(config: Pick<EnvironmentConfig, 'logRetentionDays'>): logs.RetentionDays {
  const days: number = config.logRetentionDays;
  return days;
}
