/**
 * AWS limits this app must stay within at hundreds of tables, each with where
 * it is documented. test/scale/ checks every one on a synthesized 300-table
 * prod (scripts/scale/config.ts); the app's own checks use some of them.
 * Where sources disagree, the stricter value is kept and the other is noted.
 */

/** CloudFormation quotas (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html). */
export const CLOUDFORMATION = {
  /** Resources declared in one template (nested stacks each have their own). */
  resourcesPerStack: 500,
  /**
   * Template body passed as an S3 object, which is how CDK deploys: "1 MB". Kept as 1,000,000 bytes,
   * the figure aws-cdk-lib's own template-size check uses.
   */
  templateBytes: 1_000_000,
  outputsPerStack: 200,
  parametersPerStack: 200,
  mappingsPerStack: 200,
} as const;

/** Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). */
export const LAMBDA = {
  /** "Function environment variables: 4 KB", all of them together; cannot be raised. */
  environmentBytes: 4096,
  /**
   * Asynchronous invocation payload. The Invoke API reference now gives 1 MB; older copies of the
   * quota page give 256 KB, which is kept here (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
   */
  asyncPayloadBytes: 262_144,
} as const;

/** Step Functions quotas (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). */
export const STEP_FUNCTIONS = {
  /** "Maximum size of state machine definition: 1 MB" (a hard quota). */
  definitionBytes: 1_048_576,
  /** Input or output of a task, state or execution: 256 KiB of UTF-8. */
  payloadBytes: 262_144,
  /** "Maximum execution history size: 25,000 events" for a standard workflow. */
  historyEvents: 25_000,
  /** An inline Map runs at most 40 iterations at once (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html). */
  inlineMapConcurrency: 40,
} as const;

/**
 * EventBridge Scheduler documents no maximum for a target's input (the API reference gives a minimum
 * of 1 only: https://docs.aws.amazon.com/scheduler/latest/APIReference/API_Target.html), so the
 * target's own limit applies: a state machine's execution input (STEP_FUNCTIONS.payloadBytes), a
 * function's asynchronous payload (LAMBDA.asyncPayloadBytes).
 */
export const SCHEDULER = {
  stateMachineTargetInputBytes: STEP_FUNCTIONS.payloadBytes,
  lambdaTargetInputBytes: LAMBDA.asyncPayloadBytes,
} as const;

/**
 * EventBridge quotas (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html): "Event
 * pattern size: 2,048" characters (adjustable; the PutRule API accepts up to 4,096).
 */
export const EVENTBRIDGE = { eventPatternCharacters: 2048, targetsPerRule: 5 } as const;

/**
 * IAM quotas (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html), in
 * characters, white space not counted.
 */
export const IAM = {
  /** All inline policies of one role together. */
  roleInlinePolicyCharacters: 10_240,
  managedPolicyCharacters: 6_144,
  /** Managed policies attached to one role: 10 by default (20 on request). */
  managedPoliciesPerRole: 10,
} as const;

/**
 * AWS Glue default account quotas (Service Quotas, AWS Glue; https://docs.aws.amazon.com/general/latest/gr/glue.html).
 * The concurrent-runs default has been 50 in older accounts and is 200 now: check yours in Service Quotas.
 */
export const GLUE = {
  jobsPerAccount: 1000,
  connectionsPerAccount: 1000,
  concurrentJobRunsPerAccount: 200,
  taskDpusPerAccount: 1000,
  /** "Job arguments have a maximum size limit of 260KB" (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html). */
  jobArgumentsBytes: 260 * 1024,
} as const;

/**
 * AWS DMS: "AWS DMS can only process table mapping JSON files up to 2 MB in size"
 * (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.html).
 */
export const DMS = { tableMappingsBytes: 2 * 1024 * 1024 } as const;

/** Amazon SNS: a message of at most 256 KB (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). */
export const SNS = { messageBytes: 262_144 } as const;

/** CloudWatch quotas (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html). */
export const CLOUDWATCH = {
  widgetsPerDashboard: 500,
  metricsPerWidget: 500,
  metricsPerDashboard: 2500,
} as const;
