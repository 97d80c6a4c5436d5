/**
 * Alarms on the platform's components, each with an alarm and an OK action on the alarm topic.
 *
 * Built on aws-cdk-lib/aws-cloudwatch directly rather than cdk-monitoring-constructs: every alarm
 * here is a deliberate choice of metric, statistic, threshold and missing-data treatment that the
 * README and test/alarms.test.ts spell out, and the project's existing alarms (dead-letter-alarm.ts,
 * replication-alarms.ts, freshness-probe.ts) are written the same way. The library's facade would add
 * its own naming, default thresholds and one dashboard section per resource (which does not scale to
 * hundreds of tables), for a handful of alarms whose metrics are one line each.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

const FIVE_MINUTES = Duration.minutes(5);

/** An alarm that notifies the topic when it fires and when it clears. */
function notifyingAlarm(
  scope: Construct,
  id: string,
  topic: sns.ITopic,
  props: cloudwatch.AlarmProps,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, props);
  const action = new cloudwatchActions.SnsAction(topic);
  alarm.addAlarmAction(action);
  alarm.addOkAction(action);
  return alarm;
}

/** "At least one in a 5-minute period": for counts whose healthy value is no datapoint at all. */
function anyInFiveMinutes(description: string, metric: cloudwatch.IMetric): cloudwatch.AlarmProps {
  return {
    alarmDescription: description,
    metric,
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    // Error counts: the service publishes nothing (or 0) in a period without errors, so missing
    // data is the healthy case (allow-listed in test/alarms.test.ts).
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  };
}

export interface FunctionAlarmsProps {
  readonly function: lambda.IFunction;
  /** What the function does, for the person paged: "start-ingestion (prod)". */
  readonly description: string;
  readonly alarmTopic: sns.ITopic;
}

/**
 * Errors and Throttles of one Lambda function (AWS/Lambda, dimension FunctionName,
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html), Sum over 5 minutes.
 */
export class FunctionAlarms extends Construct {
  public readonly errors: cloudwatch.Alarm;
  public readonly throttles: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FunctionAlarmsProps) {
    super(scope, id);
    const fn = props.function;
    this.errors = notifyingAlarm(
      this,
      'ErrorsAlarm',
      props.alarmTopic,
      anyInFiveMinutes(
        `Lambda ${props.description}: an invocation ended in an error (exception, timeout or out of memory). ` +
          'Its log group has the error; README, "Operations: alarms and dashboard".',
        fn.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
      ),
    );
    this.throttles = notifyingAlarm(
      this,
      'ThrottlesAlarm',
      props.alarmTopic,
      anyInFiveMinutes(
        `Lambda ${props.description}: an invocation was throttled (account concurrency exhausted, or reserved ` +
          'concurrency 0 while ingestion is paused). README, "Operations: alarms and dashboard".',
        fn.metricThrottles({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
      ),
    );
  }
}

export interface WorkflowAlarmsProps {
  readonly stateMachine: sfn.IStateMachine;
  /** Environment name, for descriptions. */
  readonly environment: string;
  /** Minutes between scheduled runs: the heartbeat expects a start in every two intervals. */
  readonly scheduleIntervalMinutes: number;
  readonly alarmTopic: sns.ITopic;
}

/**
 * The ingestion workflow (AWS/States, dimension StateMachineArn,
 * https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html):
 * - ExecutionsFailed, ExecutionsTimedOut and ExecutionsAborted, each at least once in 5 minutes;
 * - the heartbeat: no ExecutionsStarted in two schedule intervals, missing data breaching,
 *   because Step Functions publishes nothing for a state machine nobody starts.
 */
export class WorkflowAlarms extends Construct {
  public readonly failed: cloudwatch.Alarm;
  public readonly timedOut: cloudwatch.Alarm;
  public readonly aborted: cloudwatch.Alarm;
  public readonly heartbeat: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: WorkflowAlarmsProps) {
    super(scope, id);
    const sm = props.stateMachine;
    const sum = { period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM };
    const what = `Lake ingestion workflow (${props.environment})`;
    this.failed = notifyingAlarm(
      this,
      'FailedAlarm',
      props.alarmTopic,
      anyInFiveMinutes(
        `${what}: an execution failed. Usually a table failed (its alert lists the tables); otherwise the ` +
          'execution history names the state (docs/runbook.md, "A table failed to ingest").',
        sm.metricFailed(sum),
      ),
    );
    this.timedOut = notifyingAlarm(
      this,
      'TimedOutAlarm',
      props.alarmTopic,
      anyInFiveMinutes(
        `${what}: an execution outlived its timeout (the SLO budget's run time), so it sent no summary. ` +
          'Look for a job run that hangs (docs/runbook.md, "A table failed to ingest").',
        sm.metricTimedOut(sum),
      ),
    );
    this.aborted = notifyingAlarm(
      this,
      'AbortedAlarm',
      props.alarmTopic,
      anyInFiveMinutes(
        `${what}: an execution was stopped (StopExecution by a person or a deployment). Its tables run again ` +
          'at the next tick; check who stopped it in CloudTrail.',
        sm.metricAborted(sum),
      ),
    );
    const window = Duration.minutes(2 * props.scheduleIntervalMinutes);
    this.heartbeat = notifyingAlarm(this, 'HeartbeatAlarm', props.alarmTopic, {
      alarmDescription:
        `${what}: no execution started in ${window.toMinutes()} minutes (two schedule intervals). The schedule ` +
        'is disabled (ingestion paused), deleted or failing to start runs (see the schedule dead-letter alarm). ' +
        'The lake falls behind its SLO.',
      metric: sm.metricStarted({ period: window, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No datapoint means no start: a dead pipeline.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
  }
}

export interface JobFailureAlarmProps {
  /**
   * The rule that matches "Glue Job State Change" events of the ingestion jobs in FAILED, TIMEOUT or
   * STOPPED (the Glue failure notifier's rule, lib/constructs/ingestion-triggers.ts).
   */
  readonly jobStateRule: events.IRule;
  readonly environment: string;
  readonly alarmTopic: sns.ITopic;
}

/**
 * Glue job failures, from the EventBridge rule that already matches them: AWS/Events TriggeredRules
 * of that rule (dimension RuleName, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html)
 * counts every ingestion job run that ended FAILED, TIMEOUT or STOPPED, of every table, in one alarm.
 *
 * Why not a Glue metric: the job metrics in the Glue namespace (`glue.driver.aggregate.numFailedTasks`
 * and the observability metrics `glue.error.ALL`) need extra job arguments, are per job (hundreds of
 * alarms), and count Spark tasks or errors inside a run rather than runs; a run that fails before
 * Spark starts (connection, script) may publish none. Glue sends the state change event for every
 * run that ends FAILED, TIMEOUT or STOPPED
 * (https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html), and
 * aws-cdk-lib's own Glue `metricFailure()` is this same TriggeredRules metric of such a rule. The alarm
 * also holds if the notifier function itself fails.
 */
export class JobFailureAlarm extends Construct {
  public readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: JobFailureAlarmProps) {
    super(scope, id);
    const metric = new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'TriggeredRules',
      dimensionsMap: { RuleName: props.jobStateRule.ruleName },
      statistic: cloudwatch.Stats.SUM,
      period: FIVE_MINUTES,
    });
    this.alarm = notifyingAlarm(
      this,
      'Alarm',
      props.alarmTopic,
      anyInFiveMinutes(
        `Lake ingestion (${props.environment}): a Glue job run ended FAILED, TIMEOUT or STOPPED (retried attempts ` +
          'included). The Glue failure notifier sent the table, run id and error to this topic ' +
          '(docs/runbook.md, "A table failed to ingest").',
        metric,
      ),
    );
  }
}

/**
 * Memory of an RDS instance class in GiB, for the families dataengineering-db is sized from:
 * burstable t3/t4g by size; general purpose m* at 4 GiB and memory optimised r* at 8 GiB per vCPU
 * (large = 2 vCPUs, xlarge = 4, Nxlarge = 4N). Undefined for any other class.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Summary.html
 */
export function instanceClassMemoryGiB(instanceClass: string): number | undefined {
  const match = /^db\.([a-z]+)(\d+)[a-z]*\.(\w+)$/.exec(instanceClass);
  if (match === null) return undefined;
  const [, family, , size] = match;
  if (family === 't') {
    const burstable: Record<string, number> = {
      micro: 1,
      small: 2,
      medium: 4,
      large: 8,
      xlarge: 16,
      '2xlarge': 32,
    };
    return burstable[size];
  }
  const gibPerVcpu = ({ m: 4, r: 8 } as Record<string, number | undefined>)[family];
  const multiple = /^(\d*)xlarge$/.exec(size)?.[1];
  const vcpus =
    size === 'large' ? 2 : multiple === undefined ? undefined : 4 * (multiple === '' ? 1 : Number(multiple));
  return gibPerVcpu === undefined || vcpus === undefined ? undefined : gibPerVcpu * vcpus;
}

/**
 * RDS for PostgreSQL's default max_connections: LEAST(DBInstanceClassMemory / 9531392, 5000)
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections).
 * DBInstanceClassMemory is a little below the class's nominal memory, so this is a slight overestimate.
 */
export function defaultMaxConnections(memoryGiB: number): number {
  return Math.min(Math.floor((memoryGiB * 1024 ** 3) / 9531392), 5000);
}

/** Share of the estimated max_connections at which the connections alarm fires. */
export const CONNECTIONS_ALARM_SHARE = 0.8;
/** CPU utilisation (percent, 15-minute average) at which the CPU alarm fires. */
export const CPU_ALARM_PERCENT = 80;
/** Share of the initial allocated storage below which free storage alarms (autoscaling acts at 10%). */
export const FREE_STORAGE_ALARM_SHARE = 0.05;

/**
 * Three 5-minute periods in a row, and missing data breaching: for a resource that publishes its
 * metrics all the time it runs (an RDS or DMS instance), so that silence means it is down.
 */
const SUSTAINED_OR_SILENT = {
  evaluationPeriods: 3,
  datapointsToAlarm: 3,
  treatMissingData: cloudwatch.TreatMissingData.BREACHING,
} as const;

export interface DatabaseAlarmsProps {
  readonly instance: rds.IDatabaseInstance;
  /** The instance class, for the connections threshold: db.r7g.large. */
  readonly instanceClass: string;
  /** Initial allocated storage in GiB, for the free storage threshold. */
  readonly allocatedStorageGiB: number;
  /** What the database is, for the person paged: "dataengineering-db (prod)". */
  readonly description: string;
  readonly alarmTopic: sns.ITopic;
}

/**
 * CPUUtilization, FreeStorageSpace and DatabaseConnections of an RDS instance (AWS/RDS, dimension
 * DBInstanceIdentifier, https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html),
 * three 5-minute periods in a row. RDS publishes them every minute while the instance is available,
 * so missing data means a stopped or failed instance: breaching.
 */
export class DatabaseAlarms extends Construct {
  public readonly cpu: cloudwatch.Alarm;
  public readonly freeStorage: cloudwatch.Alarm;
  public readonly connections: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DatabaseAlarmsProps) {
    super(scope, id);
    const memory = instanceClassMemoryGiB(props.instanceClass);
    if (memory === undefined) {
      throw new Error(
        `DatabaseAlarms for ${props.description}: expected an instance class of the t, m or r families ` +
          `(db.t4g.medium, db.m7g.xlarge, db.r7g.2xlarge, ...) to derive max_connections; received "${props.instanceClass}"`,
      );
    }
    const average = { period: FIVE_MINUTES, statistic: cloudwatch.Stats.AVERAGE };
    const stopped = 'or the instance publishes no metrics (stopped or failed)';

    this.cpu = notifyingAlarm(this, 'CpuAlarm', props.alarmTopic, {
      ...SUSTAINED_OR_SILENT,
      alarmDescription:
        `${props.description}: CPU at or above ${CPU_ALARM_PERCENT}% for 15 minutes, ${stopped}. DMS applies ` +
        'changes more slowly and replica lag grows; look for long queries of the application (Performance Insights).',
      metric: props.instance.metricCPUUtilization(average),
      threshold: CPU_ALARM_PERCENT,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });

    const freeBytes = Math.round(props.allocatedStorageGiB * FREE_STORAGE_ALARM_SHARE * 1024 ** 3);
    this.freeStorage = notifyingAlarm(this, 'FreeStorageAlarm', props.alarmTopic, {
      ...SUSTAINED_OR_SILENT,
      alarmDescription:
        `${props.description}: less than ${FREE_STORAGE_ALARM_SHARE * 100}% of the initial ${props.allocatedStorageGiB} GiB ` +
        `free for 15 minutes, ${stopped}. Storage autoscaling acts at 10% free, so it is at its ceiling ` +
        '(maxAllocatedStorageGiB) or in its 6-hour cooldown: raise the ceiling before the database stops accepting writes.',
      metric: props.instance.metricFreeStorageSpace({
        period: FIVE_MINUTES,
        statistic: cloudwatch.Stats.MINIMUM,
      }),
      threshold: freeBytes,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    });

    const maxConnections = defaultMaxConnections(memory);
    const connectionsThreshold = Math.floor(maxConnections * CONNECTIONS_ALARM_SHARE);
    this.connections = notifyingAlarm(this, 'ConnectionsAlarm', props.alarmTopic, {
      ...SUSTAINED_OR_SILENT,
      alarmDescription:
        `${props.description}: ${connectionsThreshold} or more connections for 15 minutes ` +
        `(${CONNECTIONS_ALARM_SHARE * 100}% of about ${maxConnections}, the default max_connections of ` +
        `${props.instanceClass}), ${stopped}. New connections, DMS's included, will be refused; find the client ` +
        'that holds them (pg_stat_activity).',
      metric: props.instance.metricDatabaseConnections({
        period: FIVE_MINUTES,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: connectionsThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
  }
}

/** Share of a replication instance's storage below which its free storage alarms. */
export const REPLICATION_INSTANCE_FREE_STORAGE_SHARE = 0.2;

export interface ReplicationInstanceAlarmsProps {
  /** ReplicationInstanceIdentifier, the dimension of the instance's AWS/DMS metrics. */
  readonly identifier: string;
  /** Its allocated storage in GiB, for the free storage threshold. */
  readonly allocatedStorageGiB: number;
  /** What the instance serves, for the person paged: "the DMS replication instance of prod". */
  readonly description: string;
  readonly alarmTopic: sns.ITopic;
}

/**
 * CPUUtilization and FreeStorageSpace of a provisioned DMS replication instance (AWS/DMS, dimension
 * ReplicationInstanceIdentifier, https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Monitoring.html),
 * three 5-minute periods in a row. A task spills changes it cannot apply yet, and its logs, to the
 * instance's storage: a full disk fails every task on it. DMS publishes both while the instance runs, so
 * missing data means an instance that is gone or broken: breaching.
 */
export class ReplicationInstanceAlarms extends Construct {
  public readonly cpu: cloudwatch.Alarm;
  public readonly freeStorage: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ReplicationInstanceAlarmsProps) {
    super(scope, id);
    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/DMS',
        metricName,
        dimensionsMap: { ReplicationInstanceIdentifier: props.identifier },
        period: FIVE_MINUTES,
        statistic,
      });
    const silent = 'or the instance publishes no metrics (gone or failed)';
    this.cpu = notifyingAlarm(this, 'CpuAlarm', props.alarmTopic, {
      ...SUSTAINED_OR_SILENT,
      alarmDescription:
        `${props.description}: CPU at or above ${CPU_ALARM_PERCENT}% for 15 minutes, ${silent}. Its tasks apply ` +
        'changes more slowly and replica lag grows: raise replication.dms.instanceClass (docs/runbook.md, ' +
        '"The replication is behind or stopped").',
      metric: metric('CPUUtilization', cloudwatch.Stats.AVERAGE),
      threshold: CPU_ALARM_PERCENT,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    const freeBytes = Math.round(
      props.allocatedStorageGiB * REPLICATION_INSTANCE_FREE_STORAGE_SHARE * 1024 ** 3,
    );
    this.freeStorage = notifyingAlarm(this, 'FreeStorageAlarm', props.alarmTopic, {
      ...SUSTAINED_OR_SILENT,
      alarmDescription:
        `${props.description}: less than ${REPLICATION_INSTANCE_FREE_STORAGE_SHARE * 100}% of its ` +
        `${props.allocatedStorageGiB} GiB free for 15 minutes, ${silent}. Changes waiting to be applied and task ` +
        'logs fill it; a full disk fails its tasks: find the task that is behind, then raise ' +
        'replication.dms.allocatedStorageGiB (docs/runbook.md, "The replication is behind or stopped").',
      metric: metric('FreeStorageSpace', cloudwatch.Stats.MINIMUM),
      threshold: freeBytes,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    });
  }
}
