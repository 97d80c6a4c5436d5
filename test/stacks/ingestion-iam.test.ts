import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../lib/config';
import {
  isAllowed,
  resolveValue,
  statementsOfRole,
  type Request,
  type Template as Cfn,
} from '../helpers/policy-sim';
import { buildStage, withNestedStacks } from '../helpers/synth';

/**
 * Least privilege of the Glue job roles, by an offline policy simulation of the
 * synthesized templates: every S3, Glue, CloudWatch Logs, KMS, EC2 and Secrets
 * Manager call a job makes (glue-scripts/ingest_table.py, its helpers and
 * Glue's own S3 writer with its `_$folder$` directory markers) is allowed, and
 * the same calls on another table's prefix, another log group, the rest of the
 * CDK asset bucket or another VPC are denied.
 */
describe.each(['dev', 'prod'])('Glue job roles (%s)', (environment) => {
  const stage = buildStage(environment);
  const env = { account: stage.account!, region: stage.region! };
  const template = withNestedStacks(stage.ingestion).toJSON() as Cfn;
  const network = Template.fromStack(stage.network).toJSON() as Cfn;
  const resolve = (value: unknown) => resolveValue(value, template, env);

  const vpcLogicalId = Object.entries(network.Resources).find(([, r]) => r.Type === 'AWS::EC2::VPC')?.[0];
  // The data VPC as the ingestion stack names it (a cross-stack reference to the network stack's VPC).
  const vpcOutput = JSON.stringify(template).match(new RegExp(`PublishOutputRef${vpcLogicalId}[A-Za-z0-9]*`));
  const dataVpcArn = `arn:aws:ec2:${env.region}:${env.account}:vpc/output:${vpcOutput?.[0]}`;

  const jobs = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Glue::Job')
    .map(([id, r]) => {
      const p = r.Properties as Record<string, any>;
      const args = p.DefaultArguments as Record<string, unknown>;
      const arg = (name: string) => resolve(args[name]);
      const s3Key = (uri: string) => {
        const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)!;
        return { bucket, key };
      };
      return {
        id,
        name: p.Name as string,
        role: (p.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
        securityConfiguration: resolve(p.SecurityConfiguration),
        script: s3Key(resolve(p.Command.ScriptLocation)),
        extraPyFiles: arg('--extra-py-files').split(',').map(s3Key),
        bucket: arg('--lake_bucket'),
        raw: arg('--raw_prefix'),
        control: arg('--control_prefix'),
        database: arg('--catalog_database'),
        table: arg('--catalog_table'),
        connection: arg('--connection_name'),
        secret: loadConfig(environment).sources.find((source) => source.name === arg('--source_name'))!
          .credentialsSecretArn,
        logGroupPrefix: arg('--custom-logGroup-prefix'),
        lakeKey: arg('--lake_kms_key_arn'),
      };
    });

  test('there is a job per lake table, each with its own role', () => {
    expect(jobs.length).toBeGreaterThan(1);
    expect(new Set(jobs.map((j) => j.role)).size).toBe(jobs.length);
    expect(vpcOutput).not.toBeNull();
  });

  const s3 = (action: string, bucket: string, key: string): Request => ({
    action,
    resource: `arn:aws:s3:::${bucket}/${key}`,
  });
  const list = (bucket: string, prefix: string): Request => ({
    action: 's3:ListBucket',
    resource: `arn:aws:s3:::${bucket}`,
    context: { 's3:prefix': prefix },
  });
  const logs = (action: string, group: string, stream?: string): Request => ({
    action,
    resource: `arn:aws:logs:${env.region}:${env.account}:log-group:${group}${stream === undefined ? '' : `:log-stream:${stream}`}`,
  });

  /** What one run of the job does (the happy path and a failed write's cleanup). */
  function callsOf(job: (typeof jobs)[number]): Request[] {
    const rawRoot = job.raw.replace(/\/$/, '');
    const parents = rawRoot
      .split('/')
      .slice(0, -1)
      .map((_, i, all) => all.slice(0, i + 1).join('/'));
    const partition = `${job.raw}ingest_date=2024-05-01/ingest_hour=07`;
    const glueArn = (resource: string) => `arn:aws:glue:${env.region}:${env.account}:${resource}`;
    const encryptedGroup = `/aws-glue/jobs-ref:${job.role}-${job.securityConfiguration}`;
    const run = 'jr_0123456789abcdef';
    return [
      // Glue fetches the script and the helpers zip with the job role.
      s3('s3:GetObject', job.script.bucket, job.script.key),
      ...job.extraPyFiles.map((f) => s3('s3:GetObject', f.bucket, f.key)),
      // The connection, its credentials and the job's network interfaces in the data VPC.
      { action: 'glue:GetConnection', resource: glueArn(`connection/${job.connection}`) },
      { action: 'glue:GetConnection', resource: glueArn('catalog') },
      // extract_jdbc_conf resolves the connection's secret with the job role.
      { action: 'secretsmanager:GetSecretValue', resource: job.secret },
      { action: 'ec2:DescribeSubnets', resource: '*' },
      ...['ec2:CreateNetworkInterface', 'ec2:CreateTags', 'ec2:DeleteNetworkInterface'].map((action) => ({
        action,
        resource: `arn:aws:ec2:${env.region}:${env.account}:network-interface/eni-0123456789abcdef0`,
        context: { 'ec2:Vpc': dataVpcArn },
      })),
      // The previous watermark: looked up by listing, then read (GlueIngestionPorts.read_object).
      list(job.bucket, `${job.control}watermark.json`),
      s3('s3:GetObject', job.bucket, `${job.control}watermark.json`),
      // EMRFS directory emulation: each ancestor checked as a key, a marker and a listing,
      // missing ones marked; then the table root and the partition directories.
      ...parents.flatMap((dir) => [
        s3('s3:GetObject', job.bucket, dir),
        s3('s3:GetObject', job.bucket, `${dir}_$folder$`),
        list(job.bucket, `${dir}/`),
        s3('s3:PutObject', job.bucket, `${dir}_$folder$`),
      ]),
      s3('s3:GetObject', job.bucket, rawRoot),
      s3('s3:GetObject', job.bucket, `${rawRoot}_$folder$`),
      s3('s3:PutObject', job.bucket, `${rawRoot}_$folder$`),
      list(job.bucket, rawRoot),
      list(job.bucket, job.raw),
      s3('s3:PutObject', job.bucket, `${job.raw}ingest_date=2024-05-01_$folder$`),
      s3('s3:PutObject', job.bucket, `${partition}_$folder$`),
      list(job.bucket, `${partition}/`),
      // Parquet files, through the committer's temporary directory under the table.
      s3('s3:PutObject', job.bucket, `${job.raw}_temporary/0/part-00000.snappy.parquet`),
      s3('s3:DeleteObject', job.bucket, `${job.raw}_temporary/0/part-00000.snappy.parquet`),
      s3('s3:PutObject', job.bucket, `${partition}/part-00000-${run}.snappy.parquet`),
      // The watermark and the run record (boto3 put_object).
      s3('s3:PutObject', job.bucket, `${job.control}watermark.json`),
      s3('s3:PutObject', job.bucket, `${job.control}runs/2024-05-01/070000-${run}.json`),
      // SSE-KMS with the lake key; bookmarks and logs with the job key.
      { action: 'kms:GenerateDataKey', resource: job.lakeKey },
      { action: 'kms:Decrypt', resource: job.lakeKey },
      // The catalog table and its partitions (enableUpdateCatalog).
      ...[
        'glue:GetTable',
        'glue:UpdateTable',
        'glue:CreateTable',
        'glue:BatchCreatePartition',
        'glue:GetPartitions',
      ].flatMap((action) => [
        { action, resource: glueArn('catalog') },
        { action, resource: glueArn(`database/${job.database}`) },
        { action, resource: glueArn(`table/${job.database}/${job.table}`) },
      ]),
      // Logs: the environment's groups by --custom-logGroup-prefix, or the pair Glue names after
      // the role and the security configuration when that encrypts CloudWatch Logs.
      ...['output', 'error'].flatMap((stream) => [
        logs('logs:CreateLogStream', `${job.logGroupPrefix}/${stream}`, `${run}-driver`),
        logs('logs:PutLogEvents', `${job.logGroupPrefix}/${stream}`, `${run}-driver`),
        logs('logs:AssociateKmsKey', `${job.logGroupPrefix}/${stream}`, `${run}-driver`),
        logs('logs:CreateLogGroup', `${encryptedGroup}/${stream}`),
        logs('logs:AssociateKmsKey', `${encryptedGroup}/${stream}`),
        logs('logs:PutLogEvents', `${encryptedGroup}/${stream}`, `${run}-driver`),
      ]),
      { action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': 'Glue' } },
    ];
  }

  /** The same kinds of call, aimed at what is not the job's. */
  function forbiddenCallsOf(job: (typeof jobs)[number], other: (typeof jobs)[number]): Request[] {
    const rawRoot = job.raw.replace(/\/$/, '');
    const parents = rawRoot.split('/').slice(0, -1);
    return [
      s3('s3:PutObject', other.bucket, `${other.raw}ingest_date=2024-05-01/ingest_hour=07/part-0.parquet`),
      s3('s3:GetObject', other.bucket, `${other.raw}ingest_date=2024-05-01/ingest_hour=07/part-0.parquet`),
      s3('s3:DeleteObject', other.bucket, `${other.raw.replace(/\/$/, '')}_$folder$`),
      s3('s3:PutObject', other.bucket, `${other.control}watermark.json`),
      list(other.bucket, other.raw),
      list(other.bucket, other.control),
      list(job.bucket, ''),
      list(job.bucket, `${parents[0]}/other-source/`),
      // Parent markers may be read and created, never deleted; the curated zone is not the job's.
      s3('s3:DeleteObject', job.bucket, `${parents[0]}_$folder$`),
      s3('s3:PutObject', job.bucket, `curated/${job.table}/part-0.parquet`),
      // The CDK asset bucket beyond the job's two objects.
      s3('s3:GetObject', job.script.bucket, 'another-stack-asset.zip'),
      { action: 's3:ListBucket', resource: `arn:aws:s3:::${job.script.bucket}` },
      { action: 's3:GetBucketLocation', resource: `arn:aws:s3:::${job.script.bucket}` },
      // Log groups that are not the job's.
      logs('logs:PutLogEvents', '/aws-glue/jobs/output', 'x-driver'),
      logs('logs:CreateLogGroup', '/aws-glue/jobs/error'),
      logs('logs:CreateLogGroup', `/aws-glue/jobs-ref:${other.role}-${other.securityConfiguration}/output`),
      logs(
        'logs:PutLogEvents',
        `/aws-glue/jobs-ref:${other.role}-${other.securityConfiguration}/output`,
        'x',
      ),
      logs('logs:PutLogEvents', '/aws/lambda/anything', 'x'),
      // Network interfaces in another VPC, metrics in another namespace, another table in the catalog.
      {
        action: 'ec2:CreateNetworkInterface',
        resource: `arn:aws:ec2:${env.region}:${env.account}:network-interface/eni-0123456789abcdef0`,
        context: { 'ec2:Vpc': `arn:aws:ec2:${env.region}:${env.account}:vpc/vpc-0ther` },
      },
      { action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': 'Other' } },
      {
        action: 'glue:UpdateTable',
        resource: `arn:aws:glue:${env.region}:${env.account}:table/${other.database}/${other.table}`,
      },
      {
        action: 'glue:DeleteTable',
        resource: `arn:aws:glue:${env.region}:${env.account}:table/${job.database}/${job.table}`,
      },
    ];
  }

  describe.each(jobs.map((job, i) => [job.name, job, jobs[(i + 1) % jobs.length]] as const))(
    '%s',
    (_name, job, other) => {
      const statements = statementsOfRole(template, job.role, env);

      test('allows every call the job makes', () => {
        const denied = callsOf(job).filter((request) => !isAllowed(statements, request));
        expect(denied).toEqual([]);
      });

      test('denies the same calls on another table, log group, asset or VPC', () => {
        const allowed = forbiddenCallsOf(job, other).filter((request) => isAllowed(statements, request));
        expect(allowed).toEqual([]);
      });

      test('grants no s3 or logs action by wildcard', () => {
        const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
        expect(actions.filter((a) => /^(s3|logs):.*\*/.test(a))).toEqual([]);
      });
    },
  );
});

describe('the evaluator can fail', () => {
  const env = { account: '111111111111', region: 'eu-west-1' };
  const template: Cfn = {
    Resources: {
      Role: { Type: 'AWS::IAM::Role', Properties: {} },
      Policy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'Role' }],
          PolicyDocument: {
            Statement: [
              { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/raw/t/*' },
              { Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::b/raw/t/secret' },
              {
                Effect: 'Allow',
                Action: 's3:ListBucket',
                Resource: 'arn:aws:s3:::b',
                Condition: { StringLike: { 's3:prefix': ['raw/t/*'] } },
              },
            ],
          },
        },
      },
    },
  };
  const statements = statementsOfRole(template, 'Role', env);

  test.each([
    [{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/raw/t/x' }, true],
    [{ action: 'S3:getobject', resource: 'arn:aws:s3:::b/raw/t/x' }, true],
    [{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/raw/u/x' }, false],
    [{ action: 's3:PutObject', resource: 'arn:aws:s3:::b/raw/t/x' }, false],
    [{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/raw/t/secret' }, false],
    [{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b', context: { 's3:prefix': 'raw/t/' } }, true],
    [{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b', context: { 's3:prefix': 'raw/' } }, false],
    [{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b' }, false],
  ] as [Request, boolean][])('%j -> %s', (request, expected) => {
    expect(isAllowed(statements, request)).toBe(expected);
  });

  test('refuses what it cannot evaluate', () => {
    expect(() =>
      isAllowed(
        [
          {
            Effect: 'Allow',
            Action: '*',
            Resource: '*',
            Condition: { IpAddress: { 'aws:SourceIp': '1.2.3.4' } },
          },
        ],
        {
          action: 's3:GetObject',
          resource: 'x',
          context: { 'aws:SourceIp': '1.2.3.4' },
        },
      ),
    ).toThrow('condition operator IpAddress is not supported');
  });
});
