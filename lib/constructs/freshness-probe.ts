import { Duration, Stack, Token, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  FRESHNESS_PROBE_ENV,
  PROBE_METRIC,
  PROBE_SERVICE,
  type Destination,
  type ProbeInput,
  type ProbeMode,
  type ProbeSource,
  type ProbeTable,
  FUNCTION_TIMEOUT_SECONDS,
} from '../../lambda/freshness-probe/contract';
import type { SourceConfig, TableConfig } from '../config';
import { FRESHNESS_PROBE_SUBSTITUTIONS } from './bundle-settings';
import type { LogsKey } from './logs-key';
import { NodeFunction } from './node-function';
import type { ReplicaDatabaseTarget } from './replica-database';
import { sourceDestination, sourceRuleShares, type SourceReach } from './source-reach';

/** The metrics namespace of the probe. */
export const FRESHNESS_NAMESPACE = 'TrackmanFreshness';
/** Alarms fire when a lag reaches this share of its SLO, leaving the rest to act. */
export const SLO_ALARM_SHARE = 0.75;
/** Minutes between freshness runs. */
export const PROBE_INTERVAL_MINUTES = 5;
/** Minutes between reconciliation runs unless the props say otherwise. */
export const RECONCILIATION_INTERVAL_MINUTES = 60;

export interface FreshnessProbeProps {
  /** Environment name, for descriptions. */
  readonly environment: string;
  /** Every source with its tables (config.sources). */
  readonly sources: readonly SourceConfig[];
  /** config.slo. */
  readonly slo: { readonly lakeFreshnessMinutes: number; readonly replicationFreshnessMinutes: number };
  readonly lakeBucket: s3.IBucket;
  /** The lake key: watermarks are encrypted with it. */
  readonly lakeKey: kms.IKey;
  /**
   * dataengineering-db. Its secret must hold a user that may read the replicated tables.
   * @default - replication is off: only lake lag and lake reconciliation are measured
   */
  readonly replica?: ReplicaDatabaseTarget;
  /**
   * A read-only user of dataengineering-db for the probe (replication.database.probeCredentialsSecretArn).
   * @default - the replica's own secret: the user DMS writes with
   */
  readonly replicaReader?: { readonly secretArn: string; readonly keyArn?: string };
  readonly vpc: ec2.IVpc;
  /** The data subnets; the function runs in them, next to the databases. */
  readonly subnets: ec2.SubnetSelection;
  /** How the sources reach the data subnets. @default { kind: 'peering' } - rules by security group */
  readonly reach?: SourceReach;
  readonly alarmTopic: sns.ITopic;
  readonly logsKey: LogsKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** false keeps the schedules but disables them. @default true */
  readonly enabled?: boolean;
  /** How often the row counts are reconciled. @default Duration.minutes(RECONCILIATION_INTERVAL_MINUTES), an hour */
  readonly reconciliationInterval?: Duration;
}

function probeTable(source: SourceConfig, table: TableConfig, withReplica: boolean): ProbeTable {
  const lake = table.lake;
  // An increasing-key table's insert-time column (config rules allow it on no other kind).
  const timeColumn = table.insertTimeColumn;
  return {
    schema: table.schema,
    name: table.name,
    kind: lake.mode === 'snapshot' ? 'snapshot' : lake.bookmarkKind,
    ...(lake.mode === 'incremental' ? { column: lake.bookmarkKeys[0] } : {}),
    ...(timeColumn !== undefined && lake.mode === 'incremental' && lake.bookmarkKind === 'increasing-key'
      ? { timeColumn }
      : {}),
    ...(table.replicate && withReplica
      ? { replicaSchema: source.replication?.targetSchema ?? table.schema }
      : {}),
  };
}

/**
 * One of the probe's per-destination summary metrics (lambda/freshness-probe/metrics.ts), as the
 * alarms and the dashboard read it.
 */
export function probeSummaryMetric(
  name: string,
  destination: Destination,
  statistic: string,
  period: Duration,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: FRESHNESS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: PROBE_SERVICE, destination },
    statistic,
    period,
  });
}

/**
 * The freshness and reconciliation probe: a function in the data subnets with a security
 * group of its own, run every 5 minutes (freshness) and every `reconciliationInterval`
 * (reconciliation) by EventBridge Scheduler, with the table list in the schedule's input
 * (lambda/freshness-probe/contract.ts says why), and the alarms on its metrics.
 */
export class FreshnessProbe extends Construct {
  public readonly function: lambda.IFunction;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly schedules: Readonly<Record<ProbeMode, scheduler.Schedule>>;
  public readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: FreshnessProbeProps) {
    super(scope, id);
    const reach = props.reach ?? { kind: 'peering' };
    const reconciliationInterval =
      props.reconciliationInterval ?? Duration.minutes(RECONCILIATION_INTERVAL_MINUTES);
    const sources: ProbeSource[] = props.sources.map((source) => ({
      name: source.name,
      engine: source.engine,
      host: source.host,
      port: source.port,
      database: source.database,
      secretArn: source.credentialsSecretArn,
      tables: source.tables.map((table) => probeTable(source, table, props.replica !== undefined)),
    }));
    const replicated = sources.some((source) => source.tables.some((t) => t.replicaSchema !== undefined));
    // Only when some table is replicated: otherwise nothing reads dataengineering-db.
    const replica = replicated ? props.replica : undefined;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Freshness probe: the sources, dataengineering-db and HTTPS to the VPC endpoints',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'S3 and Secrets Manager through the VPC endpoints; the data subnets have no other way out',
    );
    const shares = sourceRuleShares(props.sources, reach, { replicas: false });
    props.sources.forEach((source, i) => {
      const share = shares.get(source.name)!;
      const port = { ipProtocol: 'tcp', fromPort: source.port, toPort: source.port };
      if (reach.kind === 'peering' && share.ingress) {
        new ec2.CfnSecurityGroupIngress(this, `SourceIngress${i + 1}`, {
          groupId: source.securityGroupId,
          sourceSecurityGroupId: this.securityGroup.securityGroupId,
          ...port,
          description: `The Trackman freshness probe reads ${source.name}`,
        });
      }
      // Across a Transit Gateway the source admits the data VPC's range already (the network
      // stack's rule, admitDataVpcToSources); a second rule with the same range would be refused.
      if (!share.egress) return;
      new ec2.CfnSecurityGroupEgress(this, `ToSource${i + 1}`, {
        groupId: this.securityGroup.securityGroupId,
        ...sourceDestination(reach, source.securityGroupId),
        ...port,
        description: `The freshness probe reads ${source.name}`,
      });
    });
    if (replica !== undefined) {
      const port = {
        ipProtocol: 'tcp',
        fromPort: replica.endpoint.port,
        toPort: replica.endpoint.port,
      };
      new ec2.CfnSecurityGroupIngress(this, 'ReplicaIngress', {
        groupId: replica.securityGroup.securityGroupId,
        sourceSecurityGroupId: this.securityGroup.securityGroupId,
        ...port,
        description: 'The Trackman freshness probe reads dataengineering-db',
      });
      new ec2.CfnSecurityGroupEgress(this, 'ToReplica', {
        groupId: this.securityGroup.securityGroupId,
        destinationSecurityGroupId: replica.securityGroup.securityGroupId,
        ...port,
        description: 'The freshness probe reads dataengineering-db',
      });
    }

    const probe = new NodeFunction(this, 'Function', {
      handlerDir: 'freshness-probe',
      description: `Trackman ${props.environment}: lake and replica lag, row count reconciliation`,
      environment: {
        [FRESHNESS_PROBE_ENV.lakeBucket]: props.lakeBucket.bucketName,
        // Node 20 and later runtimes no longer trust the RDS CAs by default; this file holds them
        // (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html#nodejs-certificate-loading).
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      },
      serviceName: PROBE_SERVICE,
      metricsNamespace: FRESHNESS_NAMESPACE,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      // Under the 5-minute interval, so two runs never overlap.
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS),
      moduleSubstitutions: FRESHNESS_PROBE_SUBSTITUTIONS,
    });
    this.function = probe.function;
    // NodeFunction has no VPC props yet: the function is placed in the data subnets here.
    const cfnFunction = probe.function.node.defaultChild as lambda.CfnFunction;
    cfnFunction.vpcConfig = {
      subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
      securityGroupIds: [this.securityGroup.securityGroupId],
    };
    probe.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'NetworkInterfacesInTheDataSubnets',
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    );
    Validations.of(probe.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Lambda manages the network interfaces of a function in a VPC; EC2 Describe calls and ' +
        'CreateNetworkInterface as Lambda calls it have no resource-level scope. X-Ray upload likewise.',
    });

    // Read only the watermarks, nothing else of the lake.
    probe.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadWatermarks',
        actions: ['s3:GetObject'],
        resources: [props.lakeBucket.arnForObjects('_control/*/watermark.json')],
      }),
    );
    props.lakeKey.grantDecrypt(probe.role);
    const secretArns = [...new Set(props.sources.map((source) => source.credentialsSecretArn))];
    const replicaSecretArn = props.replicaReader?.secretArn ?? replica?.secret.secretArn;
    if (replica !== undefined && replicaSecretArn !== undefined) secretArns.push(replicaSecretArn);
    probe.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadDatabaseCredentials',
        actions: ['secretsmanager:GetSecretValue'],
        resources: secretArns,
      }),
    );
    const secretKeyArns = [
      ...new Set(
        props.sources.flatMap((source) =>
          source.credentialsKmsKeyArn === undefined ? [] : [source.credentialsKmsKeyArn],
        ),
      ),
    ];
    secretKeyArns.forEach((arn, i) =>
      kms.Key.fromKeyArn(this, `SourceSecretKey${i + 1}`, arn).grantDecrypt(probe.role),
    );
    if (props.replicaReader === undefined) {
      replica?.secretKey?.grantDecrypt(probe.role);
    } else if (replica !== undefined && props.replicaReader.keyArn !== undefined) {
      kms.Key.fromKeyArn(this, 'ReplicaReaderSecretKey', props.replicaReader.keyArn).grantDecrypt(probe.role);
    }
    // cdk-nag names the resource as written: the bucket's literal name (pass the bucket by name,
    // lakeBucketName(config), as the other stacks do).
    if (!Token.isUnresolved(props.lakeBucket.bucketName)) {
      Validations.of(probe.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${props.lakeBucket.bucketName}/_control/*/watermark.json]`,
        reason: 'The watermark of every table, one per table prefix, and no other object of the lake.',
      });
    }

    // The schedules' own role: it may invoke this function only. Confused deputy: Scheduler
    // sends the account and the ARN of the schedule group (the default one)
    // (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role).
    const stack = Stack.of(this);
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'scheduler',
            resource: 'schedule-group',
            resourceName: 'default',
          }),
        },
      }),
      description: 'EventBridge Scheduler: invokes the freshness probe',
    });
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(cfnFunction)}.Arn>:*]`,
      reason: 'The scheduler target grants invoke on the function and its versions; it is this one function.',
    });

    const input = (mode: ProbeMode): ProbeInput => ({
      mode,
      slo: {
        lakeMinutes: props.slo.lakeFreshnessMinutes,
        replicaMinutes: props.slo.replicationFreshnessMinutes,
      },
      sources,
      ...(replica === undefined
        ? {}
        : {
            replica: {
              host: replica.endpoint.host,
              port: replica.endpoint.port,
              database: replica.databaseName,
              secretArn: props.replicaReader?.secretArn ?? replica.secret.secretArn,
            },
          }),
    });
    const schedule = (mode: ProbeMode, every: Duration, what: string) =>
      new scheduler.Schedule(this, mode === 'freshness' ? 'FreshnessSchedule' : 'ReconciliationSchedule', {
        description: `Trackman ${props.environment}: ${what}`,
        schedule: scheduler.ScheduleExpression.rate(every),
        timeWindow: scheduler.TimeWindow.off(),
        enabled: props.enabled ?? true,
        // No dead-letter queue: a run that does not happen publishes no metrics, and every alarm
        // below treats missing data as breaching where it means the probe is not running.
        target: new targets.LambdaInvoke(probe.function, {
          role: schedulerRole,
          input: scheduler.ScheduleTargetInput.fromObject(input(mode)),
          retryAttempts: 0,
          maxEventAge: Duration.minutes(PROBE_INTERVAL_MINUTES),
        }),
      });
    this.schedules = {
      freshness: schedule('freshness', Duration.minutes(PROBE_INTERVAL_MINUTES), 'freshness probe'),
      reconciliation: schedule('reconciliation', reconciliationInterval, 'row count reconciliation'),
    };

    // Alarms, on the per-destination summaries (lambda/freshness-probe/metrics.ts).
    const action = new cloudwatchActions.SnsAction(props.alarmTopic);
    const metric = probeSummaryMetric;
    const fiveMinutes = Duration.minutes(PROBE_INTERVAL_MINUTES);
    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (alarmId: string, props_: cloudwatch.AlarmProps) => {
      const made = new cloudwatch.Alarm(this, alarmId, props_);
      made.addAlarmAction(action);
      made.addOkAction(action);
      alarms.push(made);
    };
    const destinations: { destination: Destination; label: string; sloMinutes: number }[] = [
      { destination: 'lake', label: 'the lake', sloMinutes: props.slo.lakeFreshnessMinutes },
      ...(replica === undefined
        ? []
        : [
            {
              destination: 'dataengineering-db' as const,
              label: 'dataengineering-db',
              sloMinutes: props.slo.replicationFreshnessMinutes,
            },
          ]),
    ];
    for (const { destination, label, sloMinutes } of destinations) {
      const suffix = destination === 'lake' ? 'Lake' : 'Replica';
      const thresholdSeconds = Math.round(sloMinutes * 60 * SLO_ALARM_SHARE);
      alarm(`${suffix}LagAlarm`, {
        alarmDescription:
          `Trackman ${props.environment}: a table of ${label} is ${thresholdSeconds / 60} min or more behind its source ` +
          `(${SLO_ALARM_SHARE * 100}% of the ${sloMinutes}-minute SLO), or the freshness probe published no lag ` +
          "(it is not running, or could measure no table). The table is in the probe's dashboard metrics and log " +
          '(README, "Freshness and reconciliation probe").',
        metric: metric(PROBE_METRIC.lagSeconds, destination, cloudwatch.Stats.MAXIMUM, fiveMinutes),
        threshold: thresholdSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      alarm(`${suffix}ProbeFailureAlarm`, {
        alarmDescription:
          `Trackman ${props.environment}: the freshness probe could not measure a table of ${label} in two runs in a ` +
          'row (database unreachable, credentials refused, table or watermark missing or unreadable), or published ' +
          "nothing (not running). The probe's log lists each failure.",
        metric: metric(PROBE_METRIC.probeFailures, destination, cloudwatch.Stats.MAXIMUM, fiveMinutes),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      alarm(`${suffix}ReconciliationGapAlarm`, {
        alarmDescription:
          `Trackman ${props.environment}: rows of a closed window are on the source and missing from ${label} ` +
          "(lost without an error). The probe's log names the table, the window and both counts.",
        metric: metric(
          PROBE_METRIC.reconciliationGapRows,
          destination,
          cloudwatch.Stats.MAXIMUM,
          reconciliationInterval,
        ),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No datapoint: no window was closed this hour (every table skipped); a reconciliation that
        // never finishes pages through the heartbeat alarm below.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm(`${suffix}ReconciliationHeartbeatAlarm`, {
        alarmDescription:
          `Trackman ${props.environment}: no reconciliation of ${label} finished in two reconciliation intervals ` +
          '(the run fails or outlasts its timeout, or its schedule stopped): rows lost without an error would go ' +
          "unnoticed. The probe's log and its Errors alarm say why.",
        metric: metric(
          PROBE_METRIC.reconciliationRuns,
          destination,
          cloudwatch.Stats.SUM,
          reconciliationInterval,
        ),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    }
    const lakeThresholdMinutes = props.slo.lakeFreshnessMinutes * SLO_ALARM_SHARE;
    const unknownPeriods = Math.max(1, Math.ceil(lakeThresholdMinutes / PROBE_INTERVAL_MINUTES));
    alarm('LakeLagUnknownAlarm', {
      alarmDescription:
        `Trackman ${props.environment}: for ${unknownPeriods * PROBE_INTERVAL_MINUTES} min a table's lake watermark has been ` +
        'missing or its read horizon held (a transaction held open on the source), so its lake lag is unknown or only a ' +
        "lower bound. The probe's log names the table and the held reason.",
      metric: metric(PROBE_METRIC.lakeLagUnknown, 'lake', cloudwatch.Stats.MAXIMUM, fiveMinutes),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: unknownPeriods,
      datapointsToAlarm: unknownPeriods,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.alarms = alarms;
  }
}
