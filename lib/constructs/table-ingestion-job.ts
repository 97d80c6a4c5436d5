import { ArnFormat, Aws, DefaultStackSynthesizer, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { IngestionTable } from '../../lambda/start-ingestion/contract';
import {
  catalogTableName,
  controlPrefix,
  ingestionJobName,
  qualifiedName,
  rawPrefix,
  type IngestionConfig,
  type SourceConfig,
  type TableConfig,
} from '../config';
import type { SourceConnection } from './source-connection';

/** The job script and its helper module, shared by every table's job. */
export interface IngestionScripts {
  readonly script: glue.Code;
  readonly helpers: glue.Code;
}

export interface TableIngestionJobProps {
  readonly environment: string;
  readonly source: SourceConfig;
  readonly table: TableConfig;
  readonly ingestion: IngestionConfig;
  readonly connection: SourceConnection;
  readonly scripts: IngestionScripts;
  /** The lake bucket's name, a literal known at synth, so the policy and its acknowledgements name prefixes exactly. */
  readonly lakeBucketName: string;
  readonly lakeKey: kms.IKey;
  /** The lake's catalog database name (a literal, see catalogDatabaseName). */
  readonly catalogDatabaseName: string;
  readonly securityConfiguration: glue.ISecurityConfiguration;
  /** Key of the security configuration: job bookmarks and job logs. */
  readonly jobKey: kms.IKey;
  /** The log groups the jobs write to (`<prefix>/output`, `<prefix>/error`). */
  readonly logGroups: { readonly prefix: string; readonly groups: readonly logs.ILogGroup[] };
}

/**
 * One source table into the lake: a Glue 5.0 PySpark job with its own
 * least-privilege role. The role reads only its source's secret, writes only
 * its table's raw/ and _control/ prefixes, and changes only its own catalog
 * table. One run at a time (bookmarks break under concurrent runs); a second
 * start fails with ConcurrentRunsExceededException, which the workflow records
 * as skipped.
 */
export class TableIngestionJob extends Construct {
  public readonly job: glue.PySparkEtlJob;
  public readonly role: iam.Role;
  public readonly jobName: string;
  /** The table as the workflow input, the trigger and the notifier name it. */
  public readonly entry: IngestionTable;

  constructor(scope: Construct, id: string, props: TableIngestionJobProps) {
    super(scope, id);
    const { source, table, ingestion } = props;
    const stack = Stack.of(this);
    const incremental = table.lake.mode === 'incremental';
    this.jobName = ingestionJobName(props.environment, source, table);
    this.entry = { source: source.name, table: qualifiedName(table), jobName: this.jobName };
    const raw = rawPrefix(source, table);
    const control = controlPrefix(source, table);
    const catalogTable = catalogTableName(source, table);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: `Glue job ${this.jobName}: reads ${source.name} ${qualifiedName(table)} into the lake`,
    });
    const policy = new iam.Policy(this, 'Policy', { roles: [this.role] });
    const allow = (
      sid: string,
      actions: string[],
      resources: string[],
      conditions?: Record<string, unknown>,
    ) => policy.addStatements(new iam.PolicyStatement({ sid, actions, resources, conditions }));

    // Source: the connection and its credentials.
    props.connection.secret.grantRead(this.role);
    allow(
      'ReadSourceConnection',
      ['glue:GetConnection'],
      [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        ...props.connection.connections.map((c) => c.connectionArn),
      ],
    );
    // Glue places the job's network interfaces in the connection's subnet; EC2
    // Describe calls have no resource-level permissions.
    allow(
      'DescribeNetworkForConnection',
      [
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSubnets',
        'ec2:DescribeVpcAttribute',
        'ec2:DescribeVpcEndpoints',
        'ec2:DescribeRouteTables',
        'ec2:DescribeVpcs',
      ],
      ['*'],
    );
    // Interfaces in the connections' subnets with the data services security group only.
    allow(
      'ManageJobNetworkInterfaces',
      ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:CreateTags', 'ec2:DeleteTags'],
      [
        stack.formatArn({ service: 'ec2', resource: 'network-interface', resourceName: '*' }),
        ...props.connection.subnets.map((subnet) =>
          stack.formatArn({ service: 'ec2', resource: 'subnet', resourceName: subnet.subnetId }),
        ),
        stack.formatArn({
          service: 'ec2',
          resource: 'security-group',
          resourceName: props.connection.securityGroup.securityGroupId,
        }),
      ],
    );

    // Lake: this table's prefixes only.
    const bucketArn = `arn:${Aws.PARTITION}:s3:::${props.lakeBucketName}`;
    // The prefix itself without its slash too: Spark's file system checks the table root
    // (`raw/<source>/<table>`) as a key and lists it as a prefix.
    const rawRoot = raw.replace(/\/$/, '');
    const controlRoot = control.replace(/\/$/, '');
    allow(
      'WriteTableData',
      ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      [`${bucketArn}/${rawRoot}`, `${bucketArn}/${raw}*`],
    );
    allow('WriteTableWatermark', ['s3:GetObject', 's3:PutObject'], [`${bucketArn}/${control}*`]);
    allow('ListTablePrefixes', ['s3:ListBucket'], [bucketArn], {
      StringLike: { 's3:prefix': [rawRoot, `${raw}*`, controlRoot, `${control}*`] },
    });
    // Lake key: Spark's SSE-KMS writes and the watermark; job key: bookmarks (client-side) and logs.
    allow(
      'UseLakeAndJobKeys',
      ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      [props.lakeKey.keyArn, props.jobKey.keyArn],
    );

    // Catalog: this table and its partitions in the lake database.
    const database = props.catalogDatabaseName;
    allow(
      'UpdateOwnCatalogTable',
      [
        'glue:GetDatabase',
        'glue:GetTable',
        'glue:CreateTable',
        'glue:UpdateTable',
        'glue:GetPartition',
        'glue:GetPartitions',
        'glue:BatchGetPartition',
        'glue:CreatePartition',
        'glue:BatchCreatePartition',
        'glue:UpdatePartition',
        'glue:BatchUpdatePartition',
      ],
      [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: database }),
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${database}/${catalogTable}` }),
      ],
    );

    // Logs and metrics.
    allow(
      'WriteJobLogs',
      ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
      props.logGroups.groups.map((group) => `${group.logGroupArn}`),
    );
    // With a security configuration that encrypts CloudWatch Logs, Glue has named a job's log
    // groups after the role and the configuration (/aws-glue/jobs-<role>-<configuration>/...).
    // Whether --custom-logGroup-prefix overrides that is not documented; until a run shows it,
    // the job may create and write its groups under /aws-glue/ as Glue's own service role allows.
    const glueLogGroups = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '/aws-glue/*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    allow(
      'WriteGlueNamedLogGroups',
      ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
      [glueLogGroups],
    );
    allow('PublishGlueMetrics', ['cloudwatch:PutMetricData'], ['*'], {
      StringEquals: { 'cloudwatch:namespace': 'Glue' },
    });

    const defaultArguments: Record<string, string> = {
      '--source_name': source.name,
      '--source_engine': source.engine,
      '--connection_name': props.connection.primary.connectionName,
      '--table_schema': table.schema,
      '--table_name': table.name,
      '--primary_key': table.primaryKey.join(','),
      '--read_mode': table.lake.mode,
      '--lake_bucket': props.lakeBucketName,
      '--raw_prefix': raw,
      '--control_prefix': control,
      '--catalog_database': database,
      '--catalog_table': catalogTable,
      '--lake_kms_key_arn': props.lakeKey.keyArn,
      '--job-bookmark-option': incremental ? 'job-bookmark-enable' : 'job-bookmark-disable',
      '--enable-auto-scaling': 'true',
      // Streams keep Glue's names (<run id>-driver, ...): the failure notifier links a run's logs by its id.
      '--custom-logGroup-prefix': props.logGroups.prefix,
    };
    if (table.lake.mode === 'incremental') {
      defaultArguments['--bookmark_keys'] = table.lake.bookmarkKeys.join(',');
      defaultArguments['--bookmark_kind'] = table.lake.bookmarkKind;
    }

    this.job = new glue.PySparkEtlJob(this, 'Job', {
      jobName: this.jobName,
      description: `${source.name} ${qualifiedName(table)} into s3://<lake>/${raw} (${table.lake.mode})`,
      role: this.role,
      script: props.scripts.script,
      extraPythonFiles: [props.scripts.helpers],
      glueVersion: glue.GlueVersion.V5_0,
      // With auto scaling on, this is the ceiling: Glue starts small and adds workers as the data needs.
      workerConfiguration: { workerType: glue.WorkerType.G_1X, numberOfWorkers: ingestion.maxWorkers },
      maxConcurrentRuns: 1,
      // A start over the limit must fail (and be skipped by the workflow), not wait in a queue.
      jobRunQueuingEnabled: false,
      maxRetries: 0,
      timeout: Duration.minutes(ingestion.jobTimeoutMinutes),
      connections: props.connection.connections,
      securityConfiguration: props.securityConfiguration,
      enableMetrics: true,
      enableObservabilityMetrics: true,
      continuousLogging: { enabled: false },
      defaultArguments,
    });
    this.job.node.addDependency(policy);

    const networkInterfaces = stack.formatArn({
      service: 'ec2',
      resource: 'network-interface',
      resourceName: '*',
    });
    const acknowledge = (scopeOf: Construct, findings: Record<string, string>) => {
      for (const [finding, reason] of Object.entries(findings)) {
        Validations.of(scopeOf).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
      }
    };
    acknowledge(policy, {
      'Resource::*':
        'EC2 Describe* calls and cloudwatch:PutMetricData (limited to the Glue namespace by condition) have no resource-level permissions.',
      [`Resource::${networkInterfaces}`]:
        'Glue creates the job network interfaces; their ids are not known in advance.',
      [`Resource::arn:<AWS::Partition>:s3:::${props.lakeBucketName}/${raw}*`]: `Objects under this table's own data prefix (${raw}).`,
      [`Resource::${glueLogGroups}`]:
        "Log groups Glue may name after the role and security configuration; Glue's own service role allows the same.",
      [`Resource::arn:<AWS::Partition>:s3:::${props.lakeBucketName}/${control}*`]: `Objects under this table's own control prefix (${control}).`,
    });
    // The Glue L2 job grants its role read access to the script assets in the CDK asset bucket.
    const assets = 'The Glue L2 job grants read of its script assets in the CDK asset bucket.';
    const assetBucket = DefaultStackSynthesizer.DEFAULT_FILE_ASSETS_BUCKET_NAME.replace(
      '${Qualifier}',
      DefaultStackSynthesizer.DEFAULT_QUALIFIER,
    )
      .replace('${AWS::AccountId}', stack.account)
      .replace('${AWS::Region}', stack.region);
    acknowledge(this.role, {
      'Action::s3:GetObject*': assets,
      'Action::s3:GetBucket*': assets,
      'Action::s3:List*': assets,
      [`Resource::arn:${stack.partition}:s3:::${assetBucket}/*`]: assets,
    });
  }
}
