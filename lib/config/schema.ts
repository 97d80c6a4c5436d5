/**
 * The typed, validated configuration model of one environment.
 *
 * Every field carries a description: `scripts/config-reference.ts` renders them
 * into docs/configuration.md, and a test keeps that file in step with this one.
 * Messages are written as "what was expected"; `validateConfig` adds the field
 * path and the value received.
 */
import { z } from 'zod';
import { STEP_FUNCTIONS } from '../limits';
import { AuditSchema } from './audit-schema';
import { BackupSchema } from './backup-schema';
import { CostSchema } from './cost-schema';
import { deploySafetyIssues } from './deploy-safety';
import { tableSlug } from './naming';
import { replicationBudgetIssues } from './replication-budget';
import { ReplicationSchema, SourceReplicationSchema } from './replication-schema';
import { AWS_REGIONS, checkIpv4Cidr, isAwsRegion, ruleIssues } from './rules';
import { lakeBudgetIssues } from './slo-budget';
import { tableGroupIssues } from './table-groups';

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const sqlIdentifier = (what: string) =>
  z.string().regex(SQL_IDENTIFIER, {
    error: `a ${what}: letters, digits, _ or $, starting with a letter or _, at most 63 characters`,
  });

const positiveInt = (what: string) =>
  z.int({ error: `${what} as a whole number` }).positive({ error: `${what} greater than 0` });

/** How a table's read is split and streamed; the same for both read modes. */
const tableReadSettings = {
  partitionColumn: sqlIdentifier('column name')
    .optional()
    .describe(
      'Column (integer, decimal, date or timestamp) whose range splits snapshots, first loads and wide ranges ' +
        'into readPartitions parallel JDBC queries. @default - the increasing key, else a single-column primary key ' +
        'of such a type, else one query',
    ),
  readPartitions: z
    .int({ error: 'a whole number of partitions' })
    .min(1, { error: 'at least 1 partition' })
    .max(64, { error: 'at most 64 partitions' })
    .default(4)
    .describe(
      'Parallel JDBC queries (and source connections) of a snapshot, a first load or a range wider than ' +
        '100000 keys; an ordinary 15-minute batch uses one. @default 4',
    ),
  fetchSize: z
    .int({ error: 'a whole number of rows' })
    .min(1, { error: 'at least 1 row' })
    .max(1_000_000, { error: 'at most 1000000 rows' })
    .default(10_000)
    .describe(
      'Rows the JDBC driver fetches per round trip, so it streams instead of buffering. @default 10000',
    ),
};

const TableLakeSchema = z
  .discriminatedUnion(
    'mode',
    [
      z.strictObject({
        mode: z
          .literal('incremental')
          .describe('Read a bounded range past the position of the last run (its watermark).'),
        bookmarkKeys: z
          .array(sqlIdentifier('column name'), { error: 'a list of bookmark key columns' })
          .min(1, { error: 'at least one bookmark key column for an incremental table' })
          .describe(
            'The column the range is taken on, first: the increasing key (exactly one column), or the update ' +
              'timestamp followed by columns that order rows sharing a timestamp (used to deduplicate).',
          ),
        bookmarkKind: z
          .enum(['increasing-key', 'update-timestamp'], {
            error:
              "'increasing-key' (an insert-only sequence) or 'update-timestamp' (a last-modified column)",
          })
          .describe(
            "'increasing-key': a strictly increasing integer key such as a serial id; sees inserts only. " +
              "'update-timestamp': a timestamp set on every insert and update; sees inserts and updates.",
          ),
        ...tableReadSettings,
      }),
      z.strictObject({
        mode: z.literal('snapshot').describe('Read the whole table on every run; for small tables.'),
        ...tableReadSettings,
      }),
    ],
    {
      error: "a lake read mode: { mode: 'incremental', bookmarkKeys, bookmarkKind } or { mode: 'snapshot' }",
    },
  )
  .describe('How the lake ingestion job reads this table.');

export const TableSchema = z
  .strictObject({
    schema: sqlIdentifier('schema name').describe(
      'Schema (PostgreSQL) or database (MySQL) that holds the table.',
    ),
    name: sqlIdentifier('table name').describe('Table name in the source database.'),
    primaryKey: z
      .array(sqlIdentifier('column name'), { error: 'a list of primary key columns' })
      .min(1, { error: 'at least one primary key column' })
      .describe('Primary key columns; used to deduplicate lake rows and by DMS.'),
    lake: TableLakeSchema,
    replicate: z.boolean().describe('Whether AWS DMS replicates this table into dataengineering-db.'),
    insertTimeColumn: sqlIdentifier('column name')
      .optional()
      .describe(
        "A column set to the time a row is inserted (e.g. created_at), for a replicated table read by an increasing key: the freshness probe then measures its replica lag in time. @default - such a table's replica lag is a lower bound taken against the lake's watermark",
      ),
  })
  .describe('One table of a source.');

export const SourceSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/, {
        error: 'a source name of 3-40 characters: lowercase letters, digits and -, starting with a letter',
      })
      .describe('Source id, used in S3 prefixes, job names and metrics (e.g. trackman-backend).'),
    engine: z.enum(['postgres', 'mysql'], { error: "'postgres' or 'mysql'" }).describe('Database engine.'),
    host: z
      .string()
      .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/, { error: 'a DNS host name' })
      .describe('Writer endpoint host name.'),
    readReplicaHost: z
      .string()
      .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/, { error: 'a DNS host name' })
      .optional()
      .describe(
        'Endpoint of one PostgreSQL read replica (an instance endpoint, not an Aurora cluster reader endpoint). ' +
          'When set, the lake jobs read their data from it and take the read horizon on the writer; AWS DMS ' +
          'always reads the writer (logical replication slots exist only there). @default - the writer host',
      ),
    port: z
      .int({ error: 'a TCP port as a whole number' })
      .min(1, { error: 'a TCP port from 1 to 65535' })
      .max(65535, { error: 'a TCP port from 1 to 65535' })
      .describe('Database port.'),
    database: sqlIdentifier('database name').describe('Database to connect to.'),
    credentialsSecretArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/, {
        error:
          'the full ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>)',
      })
      .describe('Secrets Manager secret with the username and password the jobs use (read-only user).'),
    credentialsKmsKeyArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/, { error: 'the ARN of a KMS key' })
      .optional()
      .describe(
        'Customer-managed KMS key that encrypts the credentials secret. @default - the secret uses the AWS managed key',
      ),
    credentialsCrossAccount: z
      .boolean()
      .default(false)
      .describe(
        "Set true when the credentials secret and its key live in another account (they still need this environment's region, " +
          'and a resource policy there that admits the jobs). @default false - they must be in the environment account',
      ),
    securityGroupId: z
      .string()
      .regex(/^sg-[0-9a-f]{8,17}$/, { error: 'a security group id (sg-...)' })
      .describe('Security group of the source database; it gets an ingress rule that admits our jobs.'),
    readReplicaSecurityGroupId: z
      .string()
      .regex(/^sg-[0-9a-f]{8,17}$/, { error: 'a security group id (sg-...)' })
      .optional()
      .describe(
        'Security group of the read replica when it is not securityGroupId: the jobs read the replica and take ' +
          'their read horizon on the writer, so both must admit them. @default - the replica is in securityGroupId',
      ),
    commitLagSeconds: z
      .int({ error: 'a whole number of seconds' })
      .min(1, {
        error: 'at least 1 second (a timestamp column of lower precision rounds below its transaction start)',
      })
      .max(3600, { error: 'at most 3600 seconds' })
      .default(60)
      .describe(
        'How far behind the server clock and the oldest open transaction an update-timestamp read stops. It ' +
          'covers timestamps the application takes before its transaction starts, and clock skew between ' +
          'application servers and the database. Counts in the lake SLO budget. @default 60',
      ),
    horizonWaitSeconds: z
      .int({ error: 'a whole number of seconds' })
      .min(0, { error: '0 or more seconds' })
      .max(600, { error: 'at most 600 seconds' })
      .default(120)
      .describe(
        'Longest a run waits for transactions open at its start to end (increasing keys) and for a read ' +
          'replica to catch up; past it the run lands nothing new and the next run tries again. Part of the ' +
          'job timeout. @default 120',
      ),
    horizonIgnoreUsers: z
      .array(z.string().regex(/^[A-Za-z0-9_.@$-]{1,63}$/, { error: 'a database user name' }), {
        error: 'a list of database user names',
      })
      .max(10, { error: 'at most 10 users' })
      .default([])
      .describe(
        'Database users whose open transactions never hold the read horizon back, because they never write ' +
          'the ingested tables (the DMS source user, whose full load holds a transaction for hours). The lake ' +
          "reader's own user is always ignored. @default []",
      ),
    maxConnections: z
      .int({ error: 'a whole number of connections' })
      .min(2, { error: 'at least 2 connections (one table read and its horizon query)' })
      .max(1000, { error: 'at most 1000 connections' })
      .default(50)
      .describe(
        "Connections the lake jobs may hold on this source at once: it caps how many of the source's tables a " +
          "run reads at the same time (each may hold readPartitions + 1). Set the lake reader's connection " +
          'limit on the database to match. Counts in the lake SLO budget. @default 50',
      ),
    tableGroups: z
      .int({ error: 'a whole number of groups' })
      .min(1, { error: 'at least 1 group' })
      .max(64, { error: 'at most 64 groups' })
      .default(8)
      .describe(
        "Nested stacks the source's table jobs are spread over, by a hash of the table name, so that hundreds of " +
          "tables stay within CloudFormation's per-stack limits and a new table never moves another. Changing it " +
          'renames and recreates the jobs that move (watermarks stay). @default 8',
      ),
    replication: SourceReplicationSchema.optional(),
    tables: z
      .array(TableSchema, { error: 'a list of tables' })
      .min(1, { error: 'at least one table' })
      .describe('Tables read from this source.'),
  })
  .describe('A source database.');

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const IPV4_CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
/** A VPC's range: AWS allows /16 to /28; the data subnets need at least a /24. */
const VPC_CIDR = /^(\d{1,3}\.){3}\d{1,3}\/(1[6-9]|2[0-4])$/;

const SourceVpcPeeringSchema = z
  .strictObject({
    vpcId: z
      .string()
      .regex(VPC_ID, { error: 'a VPC id (vpc-...)' })
      .describe('The VPC the source databases live in.'),
    cidr: z
      .string()
      .regex(IPV4_CIDR, { error: 'an IPv4 CIDR block' })
      .superRefine(checkIpv4Cidr(IPV4_CIDR))
      .describe('Its CIDR block; the data subnets get a route to it through the peering connection.'),
    routeTableIds: z
      .array(z.string().regex(/^rtb-[0-9a-f]{8,17}$/, { error: 'a route table id (rtb-...)' }))
      .default([])
      .describe(
        "Route tables of the source VPC that get a route back to this VPC (the databases' subnets). " +
          '@default [] - the owner of that VPC adds the return routes',
      ),
  })
  .describe(
    'Peers the new VPC with the VPC of the source databases (same account and region), so the jobs reach them ' +
      'and their security groups can admit the jobs by security group.',
  );

const SourceTransitGatewaySchema = z
  .strictObject({
    sourceCidr: z
      .string()
      .regex(IPV4_CIDR, { error: 'an IPv4 CIDR block' })
      .superRefine(checkIpv4Cidr(IPV4_CIDR))
      .optional()
      .describe(
        "The source databases' range; the jobs' egress rule names it. Give this or sourcePrefixListId. @default - sourcePrefixListId",
      ),
    sourcePrefixListId: z
      .string()
      .regex(/^pl-[0-9a-f]{8,17}$/, { error: 'a managed prefix list id (pl-...)' })
      .optional()
      .describe(
        "A managed prefix list of the source databases' ranges, instead of sourceCidr. @default - sourceCidr",
      ),
  })
  .describe(
    'The source databases are reached without peering (a Transit Gateway, or NAT for a source outside AWS): ' +
      "rules name address ranges, since security groups cannot be referenced there. The source's security group " +
      "admits network.cidr; the jobs' egress rule names sourceCidr or sourcePrefixListId.",
  );

const CreateVpcSchema = z.strictObject({
  mode: z.literal('create').describe('Create a VPC for the data services.'),
  cidr: z
    .string()
    .regex(VPC_CIDR, { error: 'an IPv4 CIDR block from /16 to /24' })
    .superRefine(checkIpv4Cidr(VPC_CIDR))
    .describe('IPv4 range of the VPC.'),
  maxAzs: z
    .int({ error: 'a whole number of Availability Zones' })
    .min(2, { error: 'at least 2 Availability Zones' })
    .max(6, { error: 'at most 6 Availability Zones' })
    .describe('Availability Zones the VPC spans.'),
  natGateways: z
    .int({ error: 'a whole number of NAT gateways' })
    .min(0, { error: '0 or more NAT gateways' })
    .default(0)
    .describe(
      'NAT gateways for internet egress. 0 keeps the data subnets isolated; AWS APIs are reached through VPC endpoints. @default 0',
    ),
  sourceVpcPeering: SourceVpcPeeringSchema.optional().describe(
    'Peering with the VPC of the source databases. @default - no peering: the sources must be reachable another way (Transit Gateway)',
  ),
  sourceTransitGateway: SourceTransitGatewaySchema.optional().describe(
    'How rules name the sources when there is no peering; required then. @default - none: sourceVpcPeering must be set',
  ),
});

const ImportVpcSchema = z.strictObject({
  mode: z.literal('import').describe('Use an existing VPC, such as the one trackman-backend lives in.'),
  vpcId: z
    .string()
    .regex(/^vpc-[0-9a-f]{8,17}$/, { error: 'a VPC id (vpc-...)' })
    .describe('The VPC id.'),
  vpcCidr: z
    .string()
    .regex(IPV4_CIDR, { error: 'an IPv4 CIDR block' })
    .superRefine(checkIpv4Cidr(IPV4_CIDR))
    .describe('The VPC primary CIDR block (interface endpoints admit HTTPS from it).'),
  availabilityZones: z
    .array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, { error: 'an Availability Zone name' }))
    .min(2, { error: 'at least 2 Availability Zones' })
    .describe('Availability Zones of the private subnets, in the same order.'),
  privateSubnetIds: z
    .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { error: 'a subnet id (subnet-...)' }))
    .min(2, { error: 'at least 2 private subnets' })
    .describe('Private subnets the data services run in, one per Availability Zone.'),
  privateSubnetRouteTableIds: z
    .array(z.string().regex(/^rtb-[0-9a-f]{8,17}$/, { error: 'a route table id (rtb-...)' }))
    .min(1, { error: 'at least 1 route table' })
    .describe('Route tables of those subnets, one per subnet.'),
  createEndpoints: z
    .boolean()
    .default(true)
    .describe(
      'Create the S3 gateway and interface endpoints. Set false when the VPC already has them. @default true',
    ),
});

export const NetworkSchema = z
  .discriminatedUnion('mode', [CreateVpcSchema, ImportVpcSchema], {
    error: "a network: { mode: 'create', ... } or { mode: 'import', ... }",
  })
  .describe('Where the data services run.');

export const LakeSchema = z
  .strictObject({
    bucketName: z
      .string()
      .regex(/^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
        error: 'an S3 bucket name: 3-63 lowercase letters, digits, . or -',
      })
      .optional()
      .describe(
        'Name of the lake bucket. Set it to adopt a named bucket (trackman-lake in prod). @default - a generated name',
      ),
    intelligentTieringAfterDays: z
      .int({ error: 'a whole number of days' })
      .min(0, { error: '0 or more days' })
      .default(30)
      .describe('Days after which raw/ objects move to S3 Intelligent-Tiering. @default 30'),
    deepArchiveAfterDays: z
      .int({ error: 'a whole number of days' })
      .positive({ error: 'more than 0 days' })
      .default(365)
      .describe(
        'Days after which raw/ objects move to Glacier Deep Archive; after intelligentTieringAfterDays. @default 365',
      ),
    noncurrentVersionExpirationDays: positiveInt('days')
      .default(90)
      .describe('Days a replaced or deleted object version is kept before it expires. @default 90'),
    abortIncompleteMultipartUploadDays: positiveInt('days')
      .default(7)
      .describe('Days after which incomplete multipart uploads are aborted. @default 7'),
    accessLogExpirationDays: positiveInt('days')
      .default(365)
      .describe('Days the server access logs of the lake bucket are kept. @default 365'),
    manageCatalogEncryption: z
      .boolean()
      .default(true)
      .describe(
        'Set the Data Catalog encryption settings of the account and region (metadata and connection passwords ' +
          'with the lake key). They are one per account and region: when two environments share an account, set ' +
          'this false in all but one. @default true',
      ),
    athena: z
      .strictObject({
        bytesScannedCutoffPerQuery: z
          .int({ error: 'a whole number of bytes' })
          .min(10_000_000, { error: 'at least 10000000 bytes (the Athena minimum)' })
          .default(100 * 1024 ** 3)
          .describe(
            'Athena cancels a workgroup query that scans more than this. @default 107374182400 (100 GiB)',
          ),
        resultsExpirationDays: positiveInt('days')
          .default(30)
          .describe('Days Athena query results are kept. @default 30'),
      })
      .prefault({})
      .describe('The lake Athena workgroup.'),
  })
  .prefault({})
  .describe('The lake bucket and its catalog.');

export const IngestionSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'false pauses ingestion: the schedule and the run-request rule are disabled and start-ingestion takes ' +
          'no invocations. Jobs, watermarks and data stay. @default true',
      ),
    scheduleIntervalMinutes: positiveInt('minutes')
      .default(15)
      .describe('Minutes between scheduled workflow runs. @default 15'),
    jobTimeoutMinutes: positiveInt('minutes')
      .default(5)
      .describe(
        'Timeout of one Glue job run: the horizon wait, the read and the write of one interval of rows. ' +
          'Backfills override it per run. @default 5',
      ),
    expectedTableMinutes: z
      .number({ error: 'a number of minutes' })
      .min(0.5, { error: 'at least 0.5 minutes' })
      .max(60, { error: 'at most 60 minutes' })
      .default(2)
      .describe(
        "How long one table's run usually takes, Glue start-up included (the p95 of the jobs' run time on the " +
          "dashboard). The SLO budget spreads each source's tables over its connections at this pace; a run " +
          'that takes longer delays only its own table, and the freshness alarms watch it. @default 2',
      ),
    startupAllowanceMinutes: z
      .int({ error: 'a whole number of minutes' })
      .min(0, { error: '0 or more minutes' })
      .default(2)
      .describe(
        'Minutes allowed per attempt for Glue queueing and start-up, outside the job timeout. @default 2',
      ),
    maxAttempts: z
      .int({ error: 'a whole number of attempts' })
      .min(1, { error: 'at least 1 attempt' })
      .max(5, { error: 'at most 5 attempts' })
      .default(2)
      .describe('Attempts per table and run, the first included. @default 2'),
    retryIntervalSeconds: positiveInt('seconds')
      .default(60)
      .describe('Wait before the first retry of a table. @default 60'),
    retryBackoffRate: z
      .number({ error: 'a number' })
      .min(1, { error: 'a backoff rate of at least 1' })
      .default(2)
      .describe('Multiplier of the wait between consecutive retries. @default 2'),
    retryMaxDelaySeconds: positiveInt('seconds')
      .default(300)
      .describe('Longest wait between two retries. @default 300'),
    maxConcurrency: z
      .int({ error: 'a whole number of tables' })
      .min(1, { error: 'at least 1 table at a time' })
      .max(STEP_FUNCTIONS.inlineMapConcurrency, {
        error: `at most ${STEP_FUNCTIONS.inlineMapConcurrency} tables at a time (a Step Functions inline Map runs at most ${STEP_FUNCTIONS.inlineMapConcurrency} iterations at once)`,
      })
      .default(STEP_FUNCTIONS.inlineMapConcurrency)
      .describe(
        "Tables of one source a workflow run ingests at the same time, at most; the source's maxConnections " +
          'may allow fewer. @default 40',
      ),
    maxWorkers: z
      .int({ error: 'a whole number of workers' })
      .min(2, { error: 'at least 2 workers' })
      .max(100, { error: 'at most 100 workers' })
      .default(10)
      .describe(
        'Upper bound of Glue auto scaling per job (G.1X workers; each run starts with 2). @default 10',
      ),
  })
  .prefault({})
  .describe('The lake ingestion workflow and its Glue jobs.');

export const SloSchema = z
  .strictObject({
    lakeFreshnessMinutes: positiveInt('minutes')
      .default(60)
      .describe('Longest a row may take from insert in a source to the lake. @default 60'),
    replicationFreshnessMinutes: positiveInt('minutes')
      .default(30)
      .describe('Longest a row may take from insert in a source to dataengineering-db. @default 30'),
  })
  .prefault({})
  .describe('Service level objectives; synth fails when the ingestion settings cannot meet them.');

export const EnvironmentConfigSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9]{1,11}$/, { error: 'an environment name of 2-12 lowercase letters and digits' })
      .describe('Environment name; part of stack names and the Environment tag.'),
    account: z
      .string({ error: 'a 12-digit AWS account id as a string' })
      .regex(/^\d{12}$/, { error: 'a 12-digit AWS account id' })
      .describe('AWS account id the environment deploys to.'),
    region: z
      .string()
      .refine(isAwsRegion, {
        error: `an AWS region name such as eu-west-1 (one of the ${AWS_REGIONS.length} in AWS_REGIONS, lib/config/rules/regions.ts)`,
      })
      .describe('AWS region the environment deploys to; one of AWS_REGIONS in lib/config/rules/regions.ts.'),
    production: z
      .boolean({ error: 'true or false: whether this environment is production' })
      .describe(
        'Whether this environment is production. Production requires removalPolicy retain, log and version ' +
          'retention at or above the floors in lib/config/rules/production.ts, and SLOs of at most 60 (lake) and 30 (replication) minutes.',
      ),
    removalPolicy: z
      .enum(['retain', 'destroy'], { error: "'retain' or 'destroy'" })
      .describe(
        "What happens to stateful resources (buckets, keys, logs, catalog) when removed from the app. 'destroy' empties and deletes them: dev only.",
      ),
    logRetentionDays: z
      .union(
        LOG_RETENTION_DAYS.map((d) => z.literal(d)),
        { error: `a CloudWatch Logs retention period: one of ${LOG_RETENTION_DAYS.join(', ')}` },
      )
      .describe('Retention of every log group the app creates (flow logs, jobs, workflow, functions).'),
    network: NetworkSchema,
    sources: z
      .array(SourceSchema, { error: 'a list of sources' })
      .min(1, { error: 'at least one source' })
      .describe('Source databases, first trackman-backend.'),
    lake: LakeSchema,
    ingestion: IngestionSchema,
    slo: SloSchema,
    replication: ReplicationSchema,
    audit: AuditSchema,
    backup: BackupSchema,
    alarmEmails: z
      .array(z.email({ error: 'an e-mail address' }))
      .min(1, { error: 'at least one e-mail address' })
      .describe('Addresses subscribed to the alarm topic.'),
    monthlyBudgetUsd: z
      .number({ error: 'a number of US dollars' })
      .positive({ error: 'a budget greater than 0 USD' })
      .describe(
        'Monthly cost budget in USD; alerts at 80% actual and 100% forecast. Synth warns when it is below the ' +
          'estimate of npm run cost (docs/cost.md).',
      ),
    cost: CostSchema,
    features: z
      .strictObject({
        warehouse: z
          .boolean()
          .default(false)
          .describe('Deploy the Redshift Serverless warehouse. @default false'),
        streaming: z
          .boolean()
          .default(false)
          .describe('Deploy Kinesis streaming into the lake. @default false'),
      })
      .prefault({})
      .describe('Feature flags for optional stacks.'),
  })
  .superRefine((config, ctx) => {
    const sourceNames = new Set<string>();
    config.sources.forEach((source, s) => {
      if (sourceNames.has(source.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', s, 'name'],
          input: source.name,
          message: 'a source name not used by another source',
        });
      }
      sourceNames.add(source.name);
      const tableNames = new Set<string>();
      source.tables.forEach((table, t) => {
        // The slug names the table's lake prefix, Glue job and catalog table, so it must be unique too.
        const key = tableSlug(table);
        if (tableNames.has(key)) {
          ctx.addIssue({
            code: 'custom',
            path: ['sources', s, 'tables', t, 'name'],
            input: `${table.schema}.${table.name}`,
            message: `a table not listed twice in source ${source.name} (compared as ${key}, the name of its lake prefix and Glue job)`,
          });
        }
        tableNames.add(key);
      });
    });
    if (config.lake.deepArchiveAfterDays <= config.lake.intelligentTieringAfterDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['lake', 'deepArchiveAfterDays'],
        input: config.lake.deepArchiveAfterDays,
        message: `more days than lake.intelligentTieringAfterDays (${config.lake.intelligentTieringAfterDays}): objects reach Intelligent-Tiering before Deep Archive`,
      });
    }
    if (config.lake.bucketName !== undefined && config.removalPolicy === 'destroy') {
      ctx.addIssue({
        code: 'custom',
        path: ['removalPolicy'],
        input: config.removalPolicy,
        message: `'retain' while lake.bucketName (${config.lake.bucketName}) adopts a named bucket: 'destroy' would delete it`,
      });
    }
    if (config.ingestion.retryMaxDelaySeconds < config.ingestion.retryIntervalSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['ingestion', 'retryMaxDelaySeconds'],
        input: config.ingestion.retryMaxDelaySeconds,
        message: `at least ingestion.retryIntervalSeconds (${config.ingestion.retryIntervalSeconds})`,
      });
    }
    const network = config.network;
    if (network.mode === 'import') {
      if (network.privateSubnetIds.length !== network.availabilityZones.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['network', 'privateSubnetIds'],
          input: network.privateSubnetIds,
          message: `one subnet per Availability Zone (${network.availabilityZones.length})`,
        });
      }
      if (network.privateSubnetRouteTableIds.length !== network.privateSubnetIds.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['network', 'privateSubnetRouteTableIds'],
          input: network.privateSubnetRouteTableIds,
          message: `one route table per private subnet (${network.privateSubnetIds.length})`,
        });
      }
      const wrongRegion = network.availabilityZones.find((az) => !az.startsWith(config.region));
      if (wrongRegion !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['network', 'availabilityZones'],
          input: wrongRegion,
          message: `Availability Zones of region ${config.region}`,
        });
      }
    } else {
      if (network.natGateways > network.maxAzs) {
        ctx.addIssue({
          code: 'custom',
          path: ['network', 'natGateways'],
          input: network.natGateways,
          message: `at most one NAT gateway per Availability Zone (network.maxAzs = ${network.maxAzs})`,
        });
      }
      const peering = network.sourceVpcPeering;
      if (peering !== undefined && cidrsOverlap(peering.cidr, network.cidr)) {
        ctx.addIssue({
          code: 'custom',
          path: ['network', 'sourceVpcPeering', 'cidr'],
          input: peering.cidr,
          message: `a range that does not overlap network.cidr (${network.cidr}): peered VPCs cannot overlap`,
        });
      }
    }
    for (const issue of tableGroupIssues(config)) {
      ctx.addIssue({ code: 'custom', ...issue });
    }
    for (const issue of lakeBudgetIssues(config)) {
      ctx.addIssue({ code: 'custom', ...issue });
    }
    for (const issue of replicationBudgetIssues(config)) {
      ctx.addIssue({ code: 'custom', ...issue });
    }
    for (const issue of deploySafetyIssues(config)) {
      ctx.addIssue({ code: 'custom', ...issue });
    }
    for (const issue of ruleIssues(config)) {
      ctx.addIssue({ code: 'custom', ...issue });
    }
  })
  .describe('One environment.');

/** Whether two IPv4 CIDR blocks share an address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const range = (cidr: string): [number, number] => {
    const [address, bits] = cidr.split('/');
    const base = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
    const size = 2 ** (32 - Number(bits));
    const start = Math.floor(base / size) * size;
    return [start, start + size - 1];
  };
  const [aStart, aEnd] = range(a);
  const [bStart, bEnd] = range(b);
  return aStart <= bEnd && bStart <= aEnd;
}

/** Config as written in lib/config/environments/*.ts: fields with defaults may be left out. */
export type EnvironmentConfigInput = z.input<typeof EnvironmentConfigSchema>;
/** Config after validation, defaults filled in. */
export type EnvironmentConfig = z.output<typeof EnvironmentConfigSchema>;
export type SourceConfig = EnvironmentConfig['sources'][number];
export type TableConfig = SourceConfig['tables'][number];
export type NetworkConfig = EnvironmentConfig['network'];
export type LakeConfig = EnvironmentConfig['lake'];
export type IngestionConfig = EnvironmentConfig['ingestion'];
export type { CostConfig } from './cost-schema';
export type {
  DmsConfig,
  ReplicaDatabaseConfig,
  ReplicationConfig,
  SourceReplicationConfig,
} from './replication-schema';
