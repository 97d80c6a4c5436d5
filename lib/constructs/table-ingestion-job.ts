import { ArnFormat, Aws, CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
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
import { jobJdbcUrl, type SourceConnection } from './source-connection';

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
  /** Its name as a literal (GlueJobEnvironment.securityConfigurationName). */
  readonly securityConfigurationName: string;
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
    this.jobName = ingestionJobName(props.environment, source, table);
    this.entry = { source: source.name, table: qualifiedName(table), jobName: this.jobName };
    const raw = rawPrefix(source, table);
    const control = controlPrefix(source, table);
    const catalogTable = catalogTableName(source, table);

    // No aws:SourceAccount/aws:SourceArn condition: unlike Step Functions, Scheduler, Lambda and VPC
    // flow logs, the Glue documentation names no confused-deputy condition keys for the roles Glue
    // assumes, and a condition the service does not send would stop every job run.
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
    // Interfaces in the connections' subnets with the data services security group only, and only
    // in their VPC: ec2:Vpc is a condition key of the network-interface, subnet and security-group
    // resource types of these actions (Service Authorization Reference, Amazon EC2:
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
    const vpcArn = stack.formatArn({
      service: 'ec2',
      resource: 'vpc',
      resourceName: props.connection.vpc.vpcId,
    });
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
      { ArnEquals: { 'ec2:Vpc': vpcArn } },
    );

    // Lake: this table's prefixes only, plus the directory emulation of Glue's S3 writer.
    const bucketArn = `arn:${Aws.PARTITION}:s3:::${props.lakeBucketName}`;
    const lakeKeys = lakeKeysOfTable(raw, control);
    allow(
      'WriteTableData',
      ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      lakeKeys.tableData.map((key) => `${bucketArn}/${key}`),
    );
    allow(
      'MarkParentDirectories',
      ['s3:GetObject', 's3:PutObject'],
      lakeKeys.parentMarkers.map((key) => `${bucketArn}/${key}`),
    );
    allow(
      'CheckParentDirectories',
      ['s3:GetObject'],
      lakeKeys.parentKeys.map((key) => `${bucketArn}/${key}`),
    );
    allow('WriteTableWatermark', ['s3:GetObject', 's3:PutObject'], [`${bucketArn}/${control}*`]);
    allow('ListTablePrefixes', ['s3:ListBucket'], [bucketArn], {
      StringLike: { 's3:prefix': lakeKeys.listPrefixes },
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

    // Logs: exactly the job's own log groups. Glue 5.0 writes to `<--custom-logGroup-prefix>/output`
    // and `/error` (https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html),
    // which the environment creates with retention and the job key. The Glue API documents a
    // second name for a run whose security configuration encrypts CloudWatch Logs,
    // `/aws-glue/jobs-<role name>-<security configuration name>/` (JobRun.LogGroupName in the Glue
    // API reference, e.g. https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/glue/aws.sdk.kotlin.services.glue.model/-job-run/log-group-name.html); which of the two wins when
    // both apply is not documented, so the role may also create and write that pair, and no other.
    allow(
      'WriteJobLogs',
      ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
      props.logGroups.groups.map((group) => `${group.logGroupArn}`),
    );
    const encryptedLogGroupName = `/aws-glue/jobs-${this.role.roleName}-${props.securityConfigurationName}`;
    const encryptedLogGroups = ['output', 'error'].flatMap((stream) => {
      const group = stack.formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: `${encryptedLogGroupName}/${stream}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      return [group, `${group}:*`];
    });
    allow(
      'WriteEncryptedJobLogGroups',
      ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
      encryptedLogGroups,
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
      // Glue bookmarks read every key past the greatest seen and so skip late commits; the job
      // bounds each read itself and commits its position in the watermark (docs/ingestion-job.md).
      '--job-bookmark-option': 'job-bookmark-disable',
      '--jdbc_url': jobJdbcUrl(source, source.readReplicaHost ?? source.host),
      '--commit_lag_seconds': String(source.commitLagSeconds),
      '--horizon_wait_seconds': String(source.horizonWaitSeconds),
      '--read_partitions': String(table.lake.readPartitions),
      '--fetch_size': String(table.lake.fetchSize),
      '--enable-auto-scaling': 'true',
      // Streams keep Glue's names (<run id>-driver, ...): the failure notifier links a run's logs by its id.
      '--custom-logGroup-prefix': props.logGroups.prefix,
    };
    if (source.readReplicaHost !== undefined) {
      // The horizon is taken on the writer, which alone knows its open transactions.
      defaultArguments['--horizon_jdbc_url'] = jobJdbcUrl(source, source.host);
    }
    if (source.horizonIgnoreUsers.length > 0) {
      defaultArguments['--horizon_ignore_users'] = source.horizonIgnoreUsers.join(',');
    }
    if (table.lake.partitionColumn !== undefined) {
      defaultArguments['--partition_column'] = table.lake.partitionColumn;
    }
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

    // The security configuration lives in the ingestion stack and reaches this nested group stack as a
    // parameter, which cdk-nag cannot follow; the ingestion stack tests check that every job names it
    // and that it encrypts CloudWatch logs and job bookmarks with the job key.
    for (const [rule, what] of [
      ['AwsSolutions-GL1', 'CloudWatch Logs encryption'],
      ['AwsSolutions-GL3', 'job bookmark encryption'],
    ] as const) {
      Validations.of(this.job).acknowledge({
        id: rule,
        reason: `The job's security configuration (ingestion stack, passed to this group stack as a parameter) sets ${what} with the job key.`,
      });
    }

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
      [`Resource::arn:<AWS::Partition>:s3:::${props.lakeBucketName}/${control}*`]: `Objects under this table's own control prefix (${control}).`,
      // cdk-nag shows a Ref as <logical id>.
      ...Object.fromEntries(
        ['output', 'error'].map((stream) => [
          `Resource::${stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `/aws-glue/jobs-<${logicalIdOf(this.role)}>-${props.securityConfigurationName}/${stream}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          })}:*`,
          "The log streams of the job's own encrypted log group; Glue names them by run id.",
        ]),
      ),
    });
  }
}

/** The logical id of a construct's CloudFormation resource, as a string at construction time. */
function logicalIdOf(construct: Construct): string {
  const resource = construct.node.defaultChild;
  if (!(resource instanceof CfnElement)) {
    throw new Error(`${construct.node.path}: expected a construct with a CloudFormation resource`);
  }
  return Stack.of(resource).resolve(resource.logicalId) as string;
}

/** The lake keys and list prefixes a table's job touches (see `lakeKeysOfTable`). */
export interface TableLakeKeys {
  /** The table root as a key, its `_$folder$` marker, and everything under the table prefix. */
  readonly tableData: string[];
  /** Each parent directory of the table root as a key (read only: EMRFS checks whether it exists). */
  readonly parentKeys: string[];
  /** The `_$folder$` markers of the parent directories (read and create). */
  readonly parentMarkers: string[];
  /** `s3:prefix` values the job may list: its table and control prefixes and the parents' exact prefixes. */
  readonly listPrefixes: string[];
}

/**
 * What a table's job may touch in the lake, from its raw and control prefixes
 * (both ending in `/`).
 *
 * Glue writes `s3://` paths through EMRFS, which emulates directories the
 * Hadoop way: before it writes under a directory it looks at each ancestor
 * (the key itself, the key with `_$folder$` appended, and a listing of
 * `<key>/`) and creates an empty `<key>_$folder$` object for an ancestor that
 * does not exist yet (https://aws.amazon.com/premiumsupport/knowledge-center/emr-s3-empty-files/).
 * No documented Glue job parameter turns the markers off, so the role is
 * granted exactly those keys: read and create the parents' markers, read the
 * parents' keys, list the parents' exact prefixes (which shows key names one
 * level down, not contents), and read, write and delete only inside its table.
 */
export function lakeKeysOfTable(raw: string, control: string): TableLakeKeys {
  const rawRoot = raw.replace(/\/$/, '');
  const controlRoot = control.replace(/\/$/, '');
  const parts = rawRoot.split('/');
  const parents = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
  return {
    tableData: [rawRoot, `${rawRoot}_$folder$`, `${raw}*`],
    parentKeys: parents,
    parentMarkers: parents.map((parent) => `${parent}_$folder$`),
    listPrefixes: [...parents.map((parent) => `${parent}/`), rawRoot, `${raw}*`, controlRoot, `${control}*`],
  };
}
