import { Duration, type CfnResource } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PROBE_METRIC, type Destination } from '../../lambda/freshness-probe/contract';
import {
  FRESHNESS_NAMESPACE,
  PROBE_INTERVAL_MINUTES,
  probeSummaryMetric,
  SLO_ALARM_SHARE,
} from './freshness-probe';

/** Grid width of a CloudWatch dashboard. */
const FULL = 24;
const HALF = 12;
const HEIGHT = 6;
const FIVE_MINUTES = Duration.minutes(PROBE_INTERVAL_MINUTES);
/** S3 publishes storage metrics once a day; AWS/Billing a few times a day. */
const ONE_DAY = Duration.days(1);
const SIX_HOURS = Duration.hours(6);

/** AWS/Billing exists only in us-east-1 (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/gs_monitor_estimated_charges_with_cloudwatch.html). */
export const BILLING_REGION = 'us-east-1';

/**
 * The DMS replications' latency, found by SEARCH over the dimensions DMS publishes them with: a
 * serverless replication by ReplicationConfigId, a task by ReplicationInstanceIdentifier and
 * ReplicationTaskIdentifier (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Monitoring.html).
 * A SEARCH rather than each replication's dimensions: those derive from the replication's ARN,
 * which would reach this stack only through a cross-stack split of the ARN, and every replication
 * of the environment's account shows up without listing sources.
 */
export interface DashboardReplication {
  readonly mode: 'serverless' | 'instance';
  /** The CDCLatency alarm threshold (replication budget), drawn as the alarm line. */
  readonly thresholdSeconds: number;
}

/** The SEARCH schema of a replication's metrics in each mode. */
export const DMS_SEARCH_SCHEMA: Readonly<Record<DashboardReplication['mode'], string>> = {
  serverless: '{AWS/DMS,ReplicationConfigId}',
  instance: '{AWS/DMS,ReplicationInstanceIdentifier,ReplicationTaskIdentifier}',
};

export interface PlatformDashboardProps {
  /** Dashboard name; operators open it by name. */
  readonly dashboardName: string;
  readonly environment: string;
  /** config.slo. */
  readonly slo: { readonly lakeFreshnessMinutes: number; readonly replicationFreshnessMinutes: number };
  /** Whether the probe measures dataengineering-db (replication on and some table replicated). */
  readonly replicaMeasured: boolean;
  readonly stateMachine: sfn.IStateMachine;
  /** The rule matching failed, timed out and stopped ingestion job runs. */
  readonly jobStateRule: events.IRule;
  /** The platform's functions, by the name the graph shows. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** The DMS replications. @default - none: replication is off */
  readonly replication?: DashboardReplication;
  /** dataengineering-db when created here. @default - not shown */
  readonly database?: rds.IDatabaseInstance;
  /** The lake bucket's name (a literal: config names it). */
  readonly lakeBucketName: string;
  /** config.monthlyBudgetUsd: the line on the cost graph. */
  readonly monthlyBudgetUsd: number;
  /** Alarms whose state the dashboard shows (this stack's, at most 100). @default - none */
  readonly alarms?: readonly cloudwatch.IAlarm[];
}

/** A horizontal line: the SLO in red, the alarm threshold in orange. */
function sloLines(sloMinutes: number): cloudwatch.HorizontalAnnotation[] {
  return [
    { value: sloMinutes, label: `SLO ${sloMinutes} min`, color: cloudwatch.Color.RED },
    {
      value: sloMinutes * SLO_ALARM_SHARE,
      label: `alarm ${sloMinutes * SLO_ALARM_SHARE} min`,
      color: cloudwatch.Color.ORANGE,
    },
  ];
}

/**
 * The environment's dashboard, in the order an operator asks: is the data fresh (per table, against
 * each SLO), then ingestion, replication, storage and cost.
 *
 * Nothing here lists tables. Per-table freshness comes from CloudWatch SEARCH expressions over the
 * probe's per-table metrics, and the headline graphs use the probe's per-destination summaries (the
 * worst table), so the dashboard has the same 24 widgets (fewer without replication) and the same body at 4 tables or 600. The
 * quotas this stays under: 500 widgets per dashboard and 500 metrics per widget, 2,500 metrics per
 * dashboard (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html);
 * one SEARCH returns at most 500 time series
 * (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_cloudwatch.SearchExpression.html), so
 * past 500 tables the per-table graph shows 500 of them and the summary graph still shows the worst.
 */
export class PlatformDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PlatformDashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(12),
    });
    // cfn-lint 1.51's schema of AWS::CloudWatch::Dashboard has no Tags property, which CloudFormation
    // now accepts (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-dashboard.html)
    // and the stage's cost-allocation tags fill. Its E3002 ("Additional properties are not allowed
    // ('Tags' was unexpected)") is ignored on this resource only.
    (this.dashboard.node.defaultChild as CfnResource).addMetadata('cfn-lint', {
      config: { ignore_checks: ['E3002'] },
    });
    const add = (...widgets: cloudwatch.IWidget[]) => this.dashboard.addWidgets(...widgets);
    const header = (markdown: string) => new cloudwatch.TextWidget({ markdown, width: FULL, height: 2 });

    // ---- 1. Freshness against the SLO, per table ----
    add(
      header(
        `# Trackman data platform (${props.environment})\n## Freshness: how far each table is behind its source, against the SLO ` +
          `(lake ${props.slo.lakeFreshnessMinutes} min${props.replicaMeasured ? `, dataengineering-db ${props.slo.replicationFreshnessMinutes} min` : ''}; alarm at ${SLO_ALARM_SHARE * 100}%)`,
      ),
    );
    const destinations: { destination: Destination; label: string; sloMinutes: number }[] = [
      { destination: 'lake', label: 'Lake', sloMinutes: props.slo.lakeFreshnessMinutes },
      ...(props.replicaMeasured
        ? [
            {
              destination: 'dataengineering-db' as const,
              label: 'dataengineering-db',
              sloMinutes: props.slo.replicationFreshnessMinutes,
            },
          ]
        : []),
    ];
    const summary = (name: string, destination: Destination, statistic: string, period = FIVE_MINUTES) =>
      probeSummaryMetric(name, destination, statistic, period).with({ label: destination });
    for (const { destination, label, sloMinutes } of destinations) {
      add(
        new cloudwatch.GraphWidget({
          title: `${label} lag, worst table (minutes)`,
          left: [
            new cloudwatch.MathExpression({
              expression: 'lag / 60',
              usingMetrics: { lag: summary(PROBE_METRIC.lagSeconds, destination, cloudwatch.Stats.MAXIMUM) },
              label: 'worst table',
              period: FIVE_MINUTES,
            }),
          ],
          leftAnnotations: sloLines(sloMinutes),
          leftYAxis: { min: 0, label: 'minutes', showUnits: false },
          width: HALF,
          height: HEIGHT,
        }),
        new cloudwatch.GraphWidget({
          title: `${label} lag per table (minutes)`,
          left: [
            new cloudwatch.MathExpression({
              // One SEARCH covers every table: the probe publishes LagSeconds per (source, table, destination).
              expression:
                `SEARCH('{${FRESHNESS_NAMESPACE},destination,service,source,table} ` +
                `MetricName="${PROBE_METRIC.lagSeconds}" destination="${destination}"', 'Maximum', ${FIVE_MINUTES.toSeconds()}) / 60`,
              usingMetrics: {},
              label: '',
              period: FIVE_MINUTES,
            }),
          ],
          leftAnnotations: sloLines(sloMinutes),
          leftYAxis: { min: 0, label: 'minutes', showUnits: false },
          // Hundreds of series: the legend would bury the graph; hover names the table.
          legendPosition: cloudwatch.LegendPosition.HIDDEN,
          width: HALF,
          height: HEIGHT,
        }),
      );
    }
    add(
      new cloudwatch.GraphWidget({
        title: 'Probe: failed measurements, tables with unknown lake lag',
        left: [
          ...destinations.map(({ destination }) =>
            summary(PROBE_METRIC.probeFailures, destination, cloudwatch.Stats.MAXIMUM).with({
              label: `failed measurements (${destination})`,
            }),
          ),
          summary(PROBE_METRIC.lakeLagUnknown, 'lake', cloudwatch.Stats.MAXIMUM).with({
            label: 'lake lag unknown or a lower bound',
          }),
        ],
        leftYAxis: { min: 0, showUnits: false },
        width: HALF,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Reconciliation: rows missing from a closed window (hourly)',
        left: destinations.map(({ destination }) =>
          summary(
            PROBE_METRIC.reconciliationGapRows,
            destination,
            cloudwatch.Stats.MAXIMUM,
            Duration.hours(1),
          ),
        ),
        leftYAxis: { min: 0, showUnits: false },
        width: HALF,
        height: HEIGHT,
      }),
    );
    if (props.alarms !== undefined && props.alarms.length > 0) {
      add(
        new cloudwatch.AlarmStatusWidget({
          title: 'Alarms of the operations stack (ingestion and replication keep their own alarms too)',
          alarms: [...props.alarms],
          width: FULL,
          height: 4,
        }),
      );
    }

    // ---- 2. Ingestion ----
    const sm = props.stateMachine;
    const per15 = { period: Duration.minutes(15), statistic: cloudwatch.Stats.SUM };
    add(
      header('## Ingestion: workflow runs, job failures, functions'),
      new cloudwatch.GraphWidget({
        title: 'Workflow executions (per 15 min)',
        left: [
          sm.metricStarted({ ...per15, label: 'started' }),
          sm.metricSucceeded({ ...per15, label: 'succeeded' }),
          sm.metricFailed({ ...per15, label: 'failed', color: cloudwatch.Color.RED }),
          sm.metricTimedOut({ ...per15, label: 'timed out', color: cloudwatch.Color.ORANGE }),
          sm.metricAborted({ ...per15, label: 'aborted', color: cloudwatch.Color.PURPLE }),
        ],
        leftYAxis: { min: 0, showUnits: false },
        width: 8,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Workflow execution time (minutes)',
        left: [
          new cloudwatch.MathExpression({
            expression: 'ms / 60000',
            usingMetrics: {
              ms: sm.metricTime({ period: Duration.minutes(15), statistic: cloudwatch.Stats.MAXIMUM }),
            },
            label: 'longest execution',
            period: Duration.minutes(15),
          }),
        ],
        leftYAxis: { min: 0, label: 'minutes', showUnits: false },
        width: 8,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Glue job runs failed, timed out or stopped (per 15 min)',
        left: [
          new cloudwatch.Metric({
            namespace: 'AWS/Events',
            metricName: 'TriggeredRules',
            dimensionsMap: { RuleName: props.jobStateRule.ruleName },
            ...per15,
            label: 'failed job runs',
            color: cloudwatch.Color.RED,
          }),
        ],
        leftYAxis: { min: 0, showUnits: false },
        width: 8,
        height: HEIGHT,
      }),
    );
    const functions = Object.entries(props.functions);
    const per5 = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
    add(
      new cloudwatch.GraphWidget({
        title: 'Lambda invocations and errors (per 5 min)',
        left: functions.map(([name, fn]) => fn.metricInvocations({ ...per5, label: `${name} invocations` })),
        right: functions.map(([name, fn]) => fn.metricErrors({ ...per5, label: `${name} errors` })),
        leftYAxis: { min: 0, showUnits: false },
        rightYAxis: { min: 0, showUnits: false },
        width: HALF,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda throttles and longest duration',
        left: functions.map(([name, fn]) => fn.metricThrottles({ ...per5, label: `${name} throttles` })),
        right: functions.map(([name, fn]) =>
          fn.metricDuration({
            period: Duration.minutes(5),
            statistic: cloudwatch.Stats.MAXIMUM,
            label: `${name} duration`,
          }),
        ),
        leftYAxis: { min: 0, showUnits: false },
        rightYAxis: { min: 0 },
        width: HALF,
        height: HEIGHT,
      }),
    );

    // ---- 3. Replication ----
    const replication = props.replication;
    if (replication !== undefined || props.database !== undefined) {
      add(header('## Replication: AWS DMS latency against the SLO, dataengineering-db'));
      const replicationWidgets: cloudwatch.IWidget[] = [];
      if (replication !== undefined) {
        const sloMinutes = props.slo.replicationFreshnessMinutes;
        const alarmMinutes = Math.round((replication.thresholdSeconds / 60) * 10) / 10;
        replicationWidgets.push(
          new cloudwatch.GraphWidget({
            title: 'CDC latency (minutes)',
            left: ['CDCLatencySource', 'CDCLatencyTarget'].map(
              (metricName) =>
                new cloudwatch.MathExpression({
                  expression: `SEARCH('${DMS_SEARCH_SCHEMA[replication.mode]} MetricName="${metricName}"', 'Maximum', 60) / 60`,
                  usingMetrics: {},
                  label: metricName === 'CDCLatencySource' ? 'source' : 'target',
                  period: Duration.minutes(1),
                }),
            ),
            leftAnnotations: [
              { value: sloMinutes, label: `SLO ${sloMinutes} min`, color: cloudwatch.Color.RED },
              { value: alarmMinutes, label: `alarm ${alarmMinutes} min`, color: cloudwatch.Color.ORANGE },
            ],
            leftYAxis: { min: 0, label: 'minutes', showUnits: false },
            width: HALF,
            height: HEIGHT,
          }),
        );
      }
      if (props.database !== undefined) {
        const db = props.database;
        const five = { period: Duration.minutes(5) };
        replicationWidgets.push(
          new cloudwatch.GraphWidget({
            title: 'dataengineering-db: CPU (%) and connections',
            left: [db.metricCPUUtilization({ ...five, statistic: cloudwatch.Stats.AVERAGE, label: 'CPU %' })],
            right: [
              db.metricDatabaseConnections({
                ...five,
                statistic: cloudwatch.Stats.MAXIMUM,
                label: 'connections',
              }),
            ],
            leftYAxis: { min: 0, max: 100, showUnits: false },
            rightYAxis: { min: 0, showUnits: false },
            width: 6,
            height: HEIGHT,
          }),
          new cloudwatch.GraphWidget({
            title: 'dataengineering-db: free storage (GiB)',
            left: [
              new cloudwatch.MathExpression({
                expression: 'free / 1073741824',
                usingMetrics: {
                  free: db.metricFreeStorageSpace({ ...five, statistic: cloudwatch.Stats.MINIMUM }),
                },
                label: 'free GiB',
                period: Duration.minutes(5),
              }),
            ],
            leftYAxis: { min: 0, showUnits: false },
            width: 6,
            height: HEIGHT,
          }),
        );
      }
      add(...replicationWidgets);
    }

    // ---- 4. Storage ----
    add(
      header(`## Storage: the lake bucket ${props.lakeBucketName} (S3 daily storage metrics)`),
      new cloudwatch.GraphWidget({
        title: 'Lake size by storage class (GiB)',
        left: [
          new cloudwatch.MathExpression({
            // Every storage class the lifecycle moves data through (Standard, Intelligent-Tiering tiers,
            // Deep Archive), without listing them.
            expression:
              `SEARCH('{AWS/S3,BucketName,StorageType} MetricName="BucketSizeBytes" ` +
              `BucketName="${props.lakeBucketName}"', 'Average', ${ONE_DAY.toSeconds()}) / 1073741824`,
            usingMetrics: {},
            label: '',
            period: ONE_DAY,
          }),
        ],
        leftYAxis: { min: 0, showUnits: false },
        stacked: true,
        period: ONE_DAY,
        width: HALF,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Lake objects',
        left: [
          new cloudwatch.Metric({
            namespace: 'AWS/S3',
            metricName: 'NumberOfObjects',
            dimensionsMap: { BucketName: props.lakeBucketName, StorageType: 'AllStorageTypes' },
            statistic: cloudwatch.Stats.AVERAGE,
            period: ONE_DAY,
            label: 'objects',
          }),
        ],
        leftYAxis: { min: 0, showUnits: false },
        period: ONE_DAY,
        width: HALF,
        height: HEIGHT,
      }),
    );

    // ---- 5. Cost ----
    add(
      header(
        `## Cost: the account's estimated charges this month against the ${props.monthlyBudgetUsd} USD budget ` +
          "(AWS/Billing in us-east-1; needs billing alerts turned on in the account's billing preferences)",
      ),
      new cloudwatch.GraphWidget({
        title: 'Estimated charges, month to date (USD)',
        region: BILLING_REGION,
        left: [
          new cloudwatch.Metric({
            namespace: 'AWS/Billing',
            metricName: 'EstimatedCharges',
            dimensionsMap: { Currency: 'USD' },
            statistic: cloudwatch.Stats.MAXIMUM,
            period: SIX_HOURS,
            region: BILLING_REGION,
            label: 'all services',
          }),
        ],
        leftAnnotations: [
          {
            value: props.monthlyBudgetUsd,
            label: `budget ${props.monthlyBudgetUsd} USD`,
            color: cloudwatch.Color.RED,
          },
        ],
        leftYAxis: { min: 0, showUnits: false },
        period: SIX_HOURS,
        width: HALF,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Estimated charges by service (USD)',
        region: BILLING_REGION,
        left: [
          new cloudwatch.MathExpression({
            expression: `SEARCH('{AWS/Billing,Currency,ServiceName} MetricName="EstimatedCharges"', 'Maximum', ${SIX_HOURS.toSeconds()})`,
            usingMetrics: {},
            label: '',
            period: SIX_HOURS,
            searchRegion: BILLING_REGION,
          }),
        ],
        leftYAxis: { min: 0, showUnits: false },
        period: SIX_HOURS,
        width: HALF,
        height: HEIGHT,
      }),
    );
  }
}
