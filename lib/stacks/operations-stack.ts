import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { lakeBucketName, PROJECT_TAG, type EnvironmentConfig } from '../config';
import { replicationBudget } from '../config/replication-budget';
import { AuditTrail } from '../constructs/audit-trail';
import { DataBackup } from '../constructs/backup-plan';
import {
  DatabaseAlarms,
  FunctionAlarms,
  JobFailureAlarm,
  WorkflowAlarms,
} from '../constructs/component-alarms';
import { CostGuards } from '../constructs/cost-guards';
import type { DmsReplication } from '../constructs/dms-replication';
import { FreshnessProbe } from '../constructs/freshness-probe';
import { LogsKey } from '../constructs/logs-key';
import { PlatformDashboard } from '../constructs/platform-dashboard';
import type { ReplicaDatabaseTarget } from '../constructs/replica-database';
import { sourceReach } from '../constructs/source-reach';
import { logRetention, removalPolicy } from './policies';
import type { CreatedReplicaDatabase } from './replica-database-stack';

export interface OperationsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  /** The data subnets; the freshness probe runs in them. */
  readonly dataSubnets: ec2.SubnetSelection;
  /** The lake key (lake storage stack): watermarks are encrypted with it. */
  readonly lakeKey: kms.IKey;
  /** The alarm topic (alerting stack); every alarm here notifies it. */
  readonly alarmTopic: sns.ITopic;
  /**
   * The alarm topic as a topic of this app and its key, for the services that publish as themselves
   * (Budgets, Cost Anomaly Detection): their statements are added to the alerting stack's policies.
   * @default - no budget or anomaly alerts
   */
  readonly alarmTopicForServices?: { readonly topic: sns.Topic; readonly key: kms.Key };
  /** The ingestion workflow (ingestion stack). */
  readonly stateMachine: sfn.IStateMachine;
  /** The rule matching failed, timed out and stopped ingestion job runs (ingestion stack). */
  readonly jobStateRule: events.IRule;
  /** The ingestion stack's functions, by the name alarms and the dashboard show. */
  readonly ingestionFunctions: Readonly<Record<string, lambda.IFunction>>;
  /**
   * dataengineering-db (replica database stack). @default - replication is off: the probe
   * measures the lake only and there are no database alarms
   */
  readonly replica?: ReplicaDatabaseTarget;
  /** A dataengineering-db this app created. @default - none: an existing database's owner monitors and backs it up */
  readonly createdReplica?: CreatedReplicaDatabase;
  /** The DMS replications (replication stack); the dashboard graphs their latency when there are any. @default - none */
  readonly replications?: readonly DmsReplication[];
}

/**
 * Operations: deployed last, it watches the other stacks. The freshness and reconciliation probe
 * with its alarms, an alarm with an action on every component the other stacks do not already
 * alarm on (the workflow, the functions, Glue job failures, dataengineering-db), and the
 * environment's dashboard. Stateless apart from the probe's log group.
 */
export class OperationsStack extends Stack {
  public readonly probe: FreshnessProbe;
  /** Every alarm of this stack. */
  public readonly alarms: cloudwatch.IAlarm[];
  public readonly dashboard: PlatformDashboard;

  constructor(scope: Construct, id: string, props: OperationsStackProps) {
    super(scope, id, props);
    const { config } = props;
    const retention = logRetention(config);
    const policy = removalPolicy(config);
    const topic = props.alarmTopic;

    // ---- Freshness and reconciliation probe ----
    // The bucket by its configured name, not the lake storage stack's token: the probe's IAM
    // acknowledgement names the literal bucket, and no export is needed for a name config already holds.
    // The ARN with the partition as a token (as the other stacks write it), which the acknowledgement expects.
    const lakeBucket = s3.Bucket.fromBucketAttributes(this, 'LakeBucket', {
      bucketName: lakeBucketName(config),
      bucketArn: `arn:${Aws.PARTITION}:s3:::${lakeBucketName(config)}`,
    });
    this.probe = new FreshnessProbe(this, 'FreshnessProbe', {
      environment: config.name,
      sources: config.sources,
      slo: config.slo,
      lakeBucket,
      lakeKey: props.lakeKey,
      replica: props.replica,
      replicaReader:
        config.replication.database.probeCredentialsSecretArn === undefined
          ? undefined
          : {
              secretArn: config.replication.database.probeCredentialsSecretArn,
              keyArn: config.replication.database.probeCredentialsKmsKeyArn,
            },
      vpc: props.vpc,
      subnets: props.dataSubnets,
      reach: sourceReach(config.network),
      alarmTopic: topic,
      logsKey: new LogsKey(this, 'ProbeLogsKey', { purpose: 'the freshness probe', removalPolicy: policy }),
      logRetention: retention,
      removalPolicy: policy,
    });
    const alarms: cloudwatch.IAlarm[] = [...this.probe.alarms];

    // ---- Alarms on the components ----
    const functions: Record<string, lambda.IFunction> = {
      ...props.ingestionFunctions,
      'freshness-probe': this.probe.function,
    };
    for (const [name, fn] of Object.entries(functions)) {
      const made = new FunctionAlarms(this, `FunctionAlarms-${name}`, {
        function: fn,
        description: `${name} (${config.name})`,
        alarmTopic: topic,
      });
      alarms.push(made.errors, made.throttles);
    }
    const workflow = new WorkflowAlarms(this, 'WorkflowAlarms', {
      stateMachine: props.stateMachine,
      environment: config.name,
      scheduleIntervalMinutes: config.ingestion.scheduleIntervalMinutes,
      alarmTopic: topic,
    });
    alarms.push(workflow.failed, workflow.timedOut, workflow.aborted, workflow.heartbeat);
    alarms.push(
      new JobFailureAlarm(this, 'JobFailureAlarm', {
        jobStateRule: props.jobStateRule,
        environment: config.name,
        alarmTopic: topic,
      }).alarm,
    );
    const database = config.replication.database;
    if (props.createdReplica !== undefined && database.mode === 'create') {
      const made = new DatabaseAlarms(this, 'DatabaseAlarms', {
        instance: props.createdReplica.instance,
        instanceClass: database.instanceClass,
        allocatedStorageGiB: database.allocatedStorageGiB,
        description: `dataengineering-db (${config.name})`,
        alarmTopic: topic,
      });
      alarms.push(made.cpu, made.freeStorage, made.connections);
    }
    // DMS latency, validation and state-change alarms live with the replications (replication stack).

    // ---- Backup, audit and cost ----
    // AWS Backup of the lake bucket and of a dataengineering-db this app created. The construct id
    // `Backup` holds the vault: renaming it replaces the vault (a test pins its logical id).
    const backup = new DataBackup(this, 'Backup', {
      vaultName: `trackman-${config.name}-backup`,
      lakeBucket,
      database:
        props.createdReplica !== undefined && database.mode === 'create'
          ? {
              instanceArn: props.createdReplica.instance.instanceArn,
              restoreInto: props.createdReplica.restoreTarget,
            }
          : undefined,
      alarmTopic: topic,
      config,
    });
    alarms.push(
      ...[
        backup.alarms.backupJobsFailed,
        backup.alarms.restoreJobsFailed,
        backup.alarms.noCompletedBackup,
        backup.alarms.copyJobsFailed,
      ].filter((alarm): alarm is cloudwatch.Alarm => alarm !== undefined),
    );
    const trail = config.audit.trail;
    if (trail.mode === 'create') {
      new AuditTrail(this, 'AuditTrail', {
        trailName: `trackman-${config.name}-audit`,
        bucketRetentionDays: trail.bucketRetentionDays,
        cloudWatchLogsRetention: trail.cloudWatchLogs ? retention : undefined,
        lakeDataEvents: trail.lakeDataEvents,
        lakeBucket,
        removalPolicy: policy,
      });
    }
    if (props.alarmTopicForServices !== undefined) {
      new CostGuards(this, 'CostGuards', {
        namePrefix: `trackman-${config.name}`,
        monthlyBudgetUsd: config.monthlyBudgetUsd,
        budget: config.audit.budget,
        anomalyThresholdUsd: config.audit.costAnomalies.thresholdUsd,
        costAllocationTags: { project: PROJECT_TAG, environment: config.name },
        alarmTopic: props.alarmTopicForServices.topic,
        alarmTopicKey: props.alarmTopicForServices.key,
      });
    }
    // ---- end of backup, audit and cost ----

    this.alarms = alarms;
    const replications = props.replications ?? [];
    this.dashboard = new PlatformDashboard(this, 'Dashboard', {
      dashboardName: `trackman-${config.name}-platform`,
      environment: config.name,
      slo: config.slo,
      replicaMeasured:
        props.replica !== undefined &&
        config.sources.some((source) => source.tables.some((t) => t.replicate)),
      stateMachine: props.stateMachine,
      jobStateRule: props.jobStateRule,
      functions,
      replication:
        replications.length > 0
          ? {
              mode: config.replication.dms.mode,
              thresholdSeconds: replicationBudget(config).thresholdSeconds,
            }
          : undefined,
      database: props.createdReplica?.instance,
      lakeBucketName: lakeBucketName(config),
      monthlyBudgetUsd: config.monthlyBudgetUsd,
      alarms,
    });
    new CfnOutput(this, 'DashboardUrl', {
      description: 'The CloudWatch dashboard of this environment',
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=trackman-${config.name}-platform`,
    });
  }
}
