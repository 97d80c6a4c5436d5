import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import {
  catalogDatabaseName,
  ingestionJobNamePrefix,
  lakeBucketName,
  lakeBudget,
  lakeTables,
  qualifiedName,
  tableGroups,
  type EnvironmentConfig,
} from '../config';
import { GlueJobEnvironment } from '../constructs/glue-job-environment';
import { IngestionSchedule } from '../constructs/ingestion-schedule';
import { IngestionTriggers } from '../constructs/ingestion-triggers';
import { IngestionWorkflow } from '../constructs/ingestion-workflow';
import { LogsKey } from '../constructs/logs-key';
import { SourceConnection } from '../constructs/source-connection';
import { sourceReach, sourceRuleShares } from '../constructs/source-reach';
import type { TableIngestionJob } from '../constructs/table-ingestion-job';
import { logRetention, removalPolicy } from './policies';
import { TableGroupStack } from './table-group-stack';

export interface IngestionStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly dataSubnets: ec2.SubnetSelection;
  readonly dataServicesSecurityGroup: ec2.ISecurityGroup;
  readonly lakeKey: kms.IKey;
  readonly alarmTopic: sns.ITopic;
}

/**
 * Stateless: everything that moves source tables into the lake. Glue
 * connections and one job per table, the workflow that runs them, its
 * schedule, and the on-demand trigger and failure notifier.
 */
export class IngestionStack extends Stack {
  public readonly workflow: IngestionWorkflow;
  /** Every table's job, in config order. */
  public readonly jobs: TableIngestionJob[];
  /** The nested stacks that hold the jobs. */
  public readonly groups: TableGroupStack[];
  /** start-ingestion, the Glue failure notifier and the job-state rule (the operations stack alarms on them). */
  public readonly triggers: IngestionTriggers;

  constructor(scope: Construct, id: string, props: IngestionStackProps) {
    super(scope, id, props);
    const { config } = props;
    const retention = logRetention(config);
    const policy = removalPolicy(config);

    const environment = new GlueJobEnvironment(this, 'GlueJobs', {
      environment: config.name,
      lakeKey: props.lakeKey,
      logRetention: retention,
      removalPolicy: policy,
    });

    const subnets = props.vpc.selectSubnets(props.dataSubnets).subnets;
    const shares = sourceRuleShares(config.sources, sourceReach(config.network), { replicas: true });
    const connections = new Map(
      config.sources.map((source) => [
        source.name,
        new SourceConnection(this, `Source-${source.name}`, {
          source,
          vpc: props.vpc,
          subnets,
          securityGroup: props.dataServicesSecurityGroup,
          reach: sourceReach(config.network),
          share: shares.get(source.name),
        }),
      ]),
    );

    // The jobs sit in nested group stacks, by a hash of the table name (lib/config/table-groups.ts).
    this.groups = tableGroups(config).map(
      (group) =>
        new TableGroupStack(this, `Tables-${group.source.name}-${group.group}`, {
          group,
          jobs: {
            environment: config.name,
            ingestion: config.ingestion,
            connection: connections.get(group.source.name)!,
            scripts: environment.scripts,
            lakeBucketName: lakeBucketName(config),
            lakeKey: props.lakeKey,
            catalogDatabaseName: catalogDatabaseName(config.name),
            securityConfiguration: environment.securityConfiguration,
            securityConfigurationName: environment.securityConfigurationName,
            jobKey: environment.jobKey.key,
            logGroups: { prefix: environment.logGroupPrefix, groups: environment.logGroups },
          },
        }),
    );
    const jobsByTable = new Map(
      this.groups
        .flatMap((group) => group.jobs)
        .map((job) => [`${job.entry.source}/${job.entry.table}`, job]),
    );
    // Config order, as the workflow input, the trigger and the notifier list them.
    this.jobs = lakeTables(config).map(({ source, table }) =>
      jobsByTable.get(`${source.name}/${qualifiedName(table)}`)!,
    );
    const tables = this.jobs.map((job) => job.entry);
    const jobNamePrefix = ingestionJobNamePrefix(config.name);
    const jobArnPattern = this.formatArn({
      service: 'glue',
      resource: 'job',
      resourceName: `${jobNamePrefix}*`,
    });

    const budget = lakeBudget(config);
    const logsKey = new LogsKey(this, 'LogsKey', {
      purpose: 'ingestion workflow and function',
      removalPolicy: policy,
    });
    this.workflow = new IngestionWorkflow(this, 'Workflow', {
      environment: config.name,
      ingestion: config.ingestion,
      budget,
      sources: budget.sources.map(({ source, slots }) => ({ source, slots })),
      jobArnPattern,
      alarmTopic: props.alarmTopic,
      logsKey,
      logRetention: retention,
      removalPolicy: policy,
    });

    new IngestionSchedule(this, 'Schedule', {
      stateMachine: this.workflow.stateMachine,
      intervalMinutes: config.ingestion.scheduleIntervalMinutes,
      enabled: config.ingestion.enabled,
      input: { tables },
      alarmTopic: props.alarmTopic,
      removalPolicy: policy,
    });

    this.triggers = new IngestionTriggers(this, 'Triggers', {
      environment: config.name,
      databaseTrigger: config.sources.some((source) => source.engine === 'postgres'),
      enabled: config.ingestion.enabled,
      stateMachine: this.workflow.stateMachine,
      tables,
      jobArnPattern,
      jobNamePrefix,
      jobLogGroupPrefix: environment.logGroupPrefix,
      dedupWindow: Duration.seconds(60),
      requestMaxAge: Duration.minutes(config.ingestion.scheduleIntervalMinutes),
      alarmTopic: props.alarmTopic,
      logsKey,
      logRetention: retention,
      removalPolicy: policy,
    });
  }
}
