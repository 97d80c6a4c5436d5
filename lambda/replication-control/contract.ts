/**
 * What the replication-control function agrees on with the CDK side
 * (lib/constructs/replication-control.ts). Dependency-free on purpose: the
 * construct imports it to name the custom resource properties and to size the
 * Provider's waiter, without pulling runtime code into a stack.
 */

/** Which DMS API controls the replication: DMS Serverless or a task on a replication instance. */
export type ReplicationKind = 'serverless' | 'instance';

/** The two custom resources around a replication resource. */
export type ControlRole = 'BeforeChange' | 'AfterChange';

/** Names of the custom resource properties (CloudFormation passes every value as a string). */
export const CONTROL_PROPERTIES = {
  /** `BeforeChange` or `AfterChange`. */
  role: 'Role',
  /** `serverless` or `instance`. */
  kind: 'Kind',
  /** ReplicationConfigIdentifier (serverless) or ReplicationTaskIdentifier (instance). */
  identifier: 'ReplicationIdentifier',
  /** ARN of the replication config or the task; AfterChange only (BeforeChange cannot take it without a cycle). */
  arn: 'ReplicationArn',
  /** Hash of everything that modifying the replication changes; a new value means "stop, modify, resume". */
  settingsHash: 'SettingsHash',
  /**
   * The source tables a task replicates, `[{ SchemaName, TableName }]`; AfterChange of a task only. On a
   * modification, the tables that were not there before are reloaded once the task runs again.
   */
  tables: 'Tables',
  /** The schema the task's mappings rename its source schemas to, if any; AfterChange of a task only. */
  targetSchema: 'TargetSchema',
} as const;

/** Most tables one ReloadTables call names (DMS User Guide, "Reloading tables during a task"). */
export const RELOAD_BATCH = 10;

/** Most tables a task's custom resource lists: DMS's 1,000 per task is far above the config's limits. */
export const MAX_TABLES = 1000;

/**
 * How long the Provider's waiter polls isComplete. CloudFormation gives a
 * custom resource at most 3600 s (its ServiceTimeout), so the whole operation,
 * onEvent included, has to fit in that: 55 minutes of polling every 30 s.
 */
export const WAITER = {
  totalTimeoutSeconds: 55 * 60,
  queryIntervalSeconds: 30,
} as const;

/**
 * isComplete gives up by itself this long before the waiter would, so the
 * stack event says what the replication was doing, not the framework's bare
 * "Operation timed out".
 */
export const OWN_DEADLINE_SECONDS = WAITER.totalTimeoutSeconds - 2 * WAITER.queryIntervalSeconds;

/**
 * After a start request DMS may still report the status from before it for a
 * moment; within this window a 'stopped' or 'failed' status is read as "not
 * moved yet", after it as the outcome.
 */
export const SETTLE_SECONDS = 90;

/** Longest failure message the function hands to CloudFormation (its whole response is limited to 4 KB). */
export const MAX_REASON_LENGTH = 1000;
