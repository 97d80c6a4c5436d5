import { Match, type Template } from 'aws-cdk-lib/assertions';
import { lakeBudget, validateConfig } from '../../lib/config';
import { WORKFLOW_WRAP_UP_MINUTES } from '../../lib/constructs/ingestion-workflow';
import { powertoolsLayerParameter, powertoolsVersion } from '../../lib/constructs/node-function';
import { devLike, prodLike, twoSources } from '../fixtures/configs';
import { buildStageWith, snapshotOf, withNestedStacks } from '../helpers/synth';

// Behaviour on the fixtures (test/fixtures/configs.ts), not the shipped environments:
// their tables and settings change; these expectations should not.
const fixtures = { dev: devLike, prod: prodLike };
const stages = { dev: buildStageWith(devLike), prod: buildStageWith(prodLike) };
const templates = {
  dev: withNestedStacks(stages.dev.ingestion),
  prod: withNestedStacks(stages.prod.ingestion),
};

/** The fixtures' tables. */
const TABLES = ['public.sessions', 'public.shots', 'public.players', 'public.facilities'];
/** The table-group stack of each (FNV-1a of the name, modulo the default 8 groups; lib/config/table-groups.ts). */
const GROUP: Record<string, number> = {
  'public.sessions': 7,
  'public.shots': 3,
  'public.players': 0,
  'public.facilities': 7,
};
const jobName = (env: string, table: string) =>
  `trackman-${env}-ingest-g${GROUP[table]}-trackman-backend-${table.replace('.', '-')}`;

/** The one resource of a type whose properties match. */
function only(template: Template, type: string, props: Record<string, unknown> = {}) {
  const found = Object.entries(template.findResources(type, { Properties: props }));
  expect(found).toHaveLength(1);
  const [id, resource] = found[0];
  return { id, properties: resource.Properties as Record<string, any> };
}

function jobOf(template: Template, env: string, table: string) {
  return only(template, 'AWS::Glue::Job', { Name: jobName(env, table) });
}

/** The statements of the job's own policy (the one with the sids this project writes). */
function jobPolicyStatements(template: Template, env: string, table: string): any[] {
  const job = jobOf(template, env, table);
  const roleId = job.properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(
    template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: roleId }], PolicyName: Match.stringLikeRegexp('Policy') },
    }),
  );
  return policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

describe.each([
  [
    'dev',
    2,
    'trackman-backend-dev.cluster-example.eu-west-1.rds.amazonaws.com',
    'trackman-dev-lake-111111111111-eu-west-1',
    14,
    4,
  ],
  ['prod', 3, 'trackman-backend-replica.c0example.eu-west-1.rds.amazonaws.com', 'trackman-lake', 365, 10],
] as const)('ingestion stack (%s)', (env, azs, readHost, bucket, retentionDays, maxWorkers) => {
  const template = templates[env];
  const config = validateConfig(fixtures[env], env);
  const budget = lakeBudget(config);

  describe('Glue connections', () => {
    test(`one JDBC connection per Availability Zone (${azs}), reading ${env === 'prod' ? 'the read replica' : 'the writer'} with SSL enforced and credentials from Secrets Manager`, () => {
      const connections = Object.values(template.findResources('AWS::Glue::Connection'));
      expect(connections).toHaveLength(azs);
      const zones = connections.map(
        (c) => c.Properties.ConnectionInput.PhysicalConnectionRequirements.AvailabilityZone,
      );
      expect(new Set(zones).size).toBe(azs);
      for (const connection of connections) {
        expect(connection.Properties.ConnectionInput.ConnectionType).toBe('JDBC');
        expect(connection.Properties.ConnectionInput.ConnectionProperties).toEqual({
          JDBC_CONNECTION_URL: `jdbc:postgresql://${readHost}:5432/trackman`,
          JDBC_ENFORCE_SSL: 'true',
          SECRET_ID: config.sources[0].credentialsSecretArn,
        });
        expect(
          JSON.stringify(
            connection.Properties.ConnectionInput.PhysicalConnectionRequirements.SecurityGroupIdList,
          ),
        ).toContain('DataServicesSecurityGroup');
      }
    });

    test("the source's security group admits the jobs on its port, and the jobs may reach it there only", () => {
      const sourceGroup = config.sources[0].securityGroupId;
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: sourceGroup,
        IpProtocol: 'tcp',
        FromPort: 5432,
        ToPort: 5432,
        SourceSecurityGroupId: Match.anyValue(),
      });
      template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
        DestinationSecurityGroupId: sourceGroup,
        IpProtocol: 'tcp',
        FromPort: 5432,
        ToPort: 5432,
      });
    });
  });

  test('a security configuration encrypts S3 output with the lake key, and logs and bookmarks with a job key', () => {
    const { properties } = only(template, 'AWS::Glue::SecurityConfiguration');
    const encryption = properties.EncryptionConfiguration;
    expect(encryption.S3Encryptions).toEqual([{ S3EncryptionMode: 'SSE-KMS', KmsKeyArn: expect.anything() }]);
    expect(JSON.stringify(encryption.S3Encryptions)).toContain('LakeKey');
    expect(encryption.CloudWatchEncryption).toEqual({
      CloudWatchEncryptionMode: 'SSE-KMS',
      KmsKeyArn: { 'Fn::GetAtt': ['GlueJobsJobKey48BFBDB9', 'Arn'] },
    });
    expect(encryption.JobBookmarksEncryption).toEqual({
      JobBookmarksEncryptionMode: 'CSE-KMS',
      KmsKeyArn: { 'Fn::GetAtt': ['GlueJobsJobKey48BFBDB9', 'Arn'] },
    });
  });

  test(`job log groups are encrypted and kept ${retentionDays} days`, () => {
    for (const stream of ['output', 'error']) {
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: `/aws-glue/trackman-${env}-ingestion/${stream}`,
        KmsKeyId: { 'Fn::GetAtt': ['GlueJobsJobKey48BFBDB9', 'Arn'] },
        RetentionInDays: retentionDays,
      });
    }
  });

  describe('Glue jobs', () => {
    test('one job per lake table', () => {
      expect(Object.keys(template.findResources('AWS::Glue::Job'))).toHaveLength(TABLES.length);
    });

    test.each(TABLES)(
      '%s: Glue 5.0, one run at a time, no queueing, timeout from the SLO budget, G.1X auto scaling',
      (table) => {
        const { properties } = jobOf(template, env, table);
        expect(properties).toMatchObject({
          GlueVersion: '5.0',
          WorkerType: 'G.1X',
          NumberOfWorkers: maxWorkers,
          ExecutionProperty: { MaxConcurrentRuns: 1 },
          JobRunQueuingEnabled: false,
          MaxRetries: 0,
          Timeout: config.ingestion.jobTimeoutMinutes,
          SecurityConfiguration: { Ref: expect.stringMatching(/^GlueJobsSecurityConfiguration/) },
          Command: { Name: 'glueetl', PythonVersion: '3' },
        });
        expect(properties.Connections.Connections).toHaveLength(azs);
        expect(properties.DefaultArguments).toMatchObject({
          '--enable-auto-scaling': 'true',
          '--enable-metrics': '',
          '--enable-observability-metrics': 'true',
          '--custom-logGroup-prefix': `/aws-glue/trackman-${env}-ingestion`,
          '--lake_bucket': bucket,
          '--source_name': 'trackman-backend',
          '--source_engine': 'postgres',
          '--table_schema': 'public',
          '--table_name': table.split('.')[1],
          '--primary_key': 'id',
          '--raw_prefix': `raw/trackman-backend/public_${table.split('.')[1]}/`,
          '--control_prefix': `_control/trackman-backend/public_${table.split('.')[1]}/`,
          '--catalog_table': `trackman_backend__public_${table.split('.')[1]}`,
        });
        expect(properties.DefaultArguments['--extra-py-files']).toMatch(/\.zip$/);
        // Log streams keep Glue's names, which start with the run id: the failure notifier's log links rely on it.
        expect(properties.DefaultArguments).not.toHaveProperty('--custom-logStream-prefix');
      },
    );

    test('every job reads a bounded range from its own watermark: Glue bookmarks stay off', () => {
      const readHost = config.sources[0].readReplicaHost ?? config.sources[0].host;
      const url = (host: string) => `jdbc:postgresql://${host}:5432/trackman?sslmode=require`;
      expect(jobOf(template, env, 'public.shots').properties.DefaultArguments).toMatchObject({
        '--read_mode': 'incremental',
        '--job-bookmark-option': 'job-bookmark-disable',
        '--bookmark_keys': 'id',
        '--bookmark_kind': 'increasing-key',
        '--jdbc_url': url(readHost),
        '--commit_lag_seconds': '60',
        '--horizon_wait_seconds': '120',
        '--read_partitions': '4',
        '--fetch_size': '10000',
      });
      expect(jobOf(template, env, 'public.sessions').properties.DefaultArguments).toMatchObject({
        '--bookmark_keys': 'updated_at,id',
        '--bookmark_kind': 'update-timestamp',
      });
      const snapshot = jobOf(template, env, 'public.facilities').properties.DefaultArguments;
      expect(snapshot).toMatchObject({
        '--read_mode': 'snapshot',
        '--job-bookmark-option': 'job-bookmark-disable',
      });
      expect(snapshot).not.toHaveProperty('--bookmark_keys');
      for (const table of TABLES) {
        const args = jobOf(template, env, table).properties.DefaultArguments;
        if (config.sources[0].readReplicaHost === undefined) {
          expect(args).not.toHaveProperty('--horizon_jdbc_url');
        } else {
          // The horizon is taken on the writer, which alone knows its open transactions.
          expect(args['--horizon_jdbc_url']).toBe(url(config.sources[0].host));
        }
      }
    });

    test('no job argument carries a credential', () => {
      for (const job of Object.values(template.findResources('AWS::Glue::Job'))) {
        const keys = Object.keys(job.Properties.DefaultArguments as object);
        expect(keys.filter((key) => /pass|secret|token|credential|^--user|username/i.test(key))).toEqual([]);
      }
    });
  });

  describe('job roles: least privilege per table', () => {
    test('each job has its own role', () => {
      const roles = TABLES.map((table) => JSON.stringify(jobOf(template, env, table).properties.Role));
      expect(new Set(roles).size).toBe(TABLES.length);
    });

    test("a job writes only its own table's raw/ and _control/ prefixes and lists only those", () => {
      const statements = jobPolicyStatements(template, env, 'public.shots');
      const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
      const arn = (suffix: string) => ({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${bucket}${suffix}`]],
      });
      expect(bySid.WriteTableData).toMatchObject({
        Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
        Resource: [
          arn('/raw/trackman-backend/public_shots'),
          arn('/raw/trackman-backend/public_shots/*'),
          arn('/raw/trackman-backend/public_shots_$folder$'),
        ],
      });
      expect(bySid.WriteTableWatermark).toMatchObject({
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: arn('/_control/trackman-backend/public_shots/*'),
      });
      expect(bySid.ListTablePrefixes).toMatchObject({
        Action: 's3:ListBucket',
        Resource: arn(''),
        Condition: {
          StringLike: {
            's3:prefix': [
              'raw/',
              'raw/trackman-backend/',
              'raw/trackman-backend/public_shots',
              'raw/trackman-backend/public_shots/*',
              '_control/trackman-backend/public_shots',
              '_control/trackman-backend/public_shots/*',
            ],
          },
        },
      });
      const s3Resources = JSON.stringify(statements.filter((s) => JSON.stringify(s.Action).includes('s3:')));
      expect(s3Resources).not.toContain('public_sessions');
    });

    test('a job updates only its own catalog table', () => {
      const statement = jobPolicyStatements(template, env, 'public.shots').find(
        (s) => s.Sid === 'UpdateOwnCatalogTable',
      );
      expect(JSON.stringify(statement.Resource)).toContain(
        `table/trackman_${env}_lake/trackman_backend__public_shots`,
      );
      expect(JSON.stringify(statement.Resource)).not.toContain('public_sessions');
      expect(statement.Action).not.toContain('glue:DeleteTable');
    });

    test("a job reads only its source's secret", () => {
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (p) => p.Properties.PolicyDocument.Statement,
      );
      const secretReads = statements.filter((s) =>
        JSON.stringify(s.Action).includes('secretsmanager:GetSecretValue'),
      );
      expect(secretReads).toHaveLength(TABLES.length);
      for (const statement of secretReads)
        expect(statement.Resource).toBe(config.sources[0].credentialsSecretArn);
    });

    test('no statement allows every action of a service', () => {
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (p) => p.Properties.PolicyDocument.Statement,
      );
      const actions = statements.flatMap((s) =>
        Array.isArray(s.Action) ? s.Action : [s.Action],
      ) as string[];
      expect(actions.filter((action) => action === '*' || action.endsWith(':*'))).toEqual([]);
    });
  });

  describe('workflow', () => {
    test(`times out after the SLO budget's run time (${budget.runMinutes} min) plus the wrap-up, logs ALL to an encrypted group, traces with X-Ray`, () => {
      const { properties } = only(template, 'AWS::StepFunctions::StateMachine');
      expect(properties.StateMachineType).toBe('STANDARD');
      expect(properties.TracingConfiguration).toEqual({ Enabled: true });
      expect(properties.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
      const definition = JSON.stringify(properties.DefinitionString);
      expect(definition).toContain(
        `\\"TimeoutSeconds\\":${(budget.runMinutes + WORKFLOW_WRAP_UP_MINUTES) * 60}`,
      );
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        KmsKeyId: { 'Fn::GetAtt': ['LogsKeyFE4C4A83', 'Arn'] },
        RetentionInDays: retentionDays,
      });
    });

    test("may start and watch this environment's ingestion jobs and no others", () => {
      const statements = Object.values(template.findResources('AWS::IAM::Policy'))
        .flatMap((p) => p.Properties.PolicyDocument.Statement)
        .filter((s) => s.Sid === 'RunIngestionJobs');
      expect(statements).toHaveLength(1);
      expect([...statements[0].Action].sort()).toEqual([
        'glue:BatchStopJobRun',
        'glue:GetJobRun',
        'glue:GetJobRuns',
        'glue:StartJobRun',
      ]);
      // By the environment's job name prefix, which every job name starts with and no other job's does.
      expect(statements[0].Resource).toBe(
        `arn:aws:glue:eu-west-1:${config.account}:job/trackman-${env}-ingest-*`,
      );
      for (const table of TABLES)
        expect(jobName(env, table).startsWith(`trackman-${env}-ingest-`)).toBe(true);
      const otherEnvironment = env === 'dev' ? 'prod' : 'dev';
      expect(jobName(otherEnvironment, TABLES[0]).startsWith(`trackman-${env}-ingest-`)).toBe(false);
    });
    test('may publish its failure summary to the KMS-encrypted alarm topic, key included', () => {
      const { properties } = only(template, 'AWS::StepFunctions::StateMachine');
      const roleId = properties.RoleArn['Fn::GetAtt'][0];
      const statements = Object.values(
        template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
      ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
      const publish = statements.find((s) => s.Action === 'sns:Publish');
      expect(JSON.stringify(publish.Resource)).toContain('AlarmsTopic');
      const key = statements.find((s) => JSON.stringify(s.Action).includes('kms:GenerateDataKey'));
      expect(key.Action).toEqual(expect.arrayContaining(['kms:Decrypt']));
      expect(JSON.stringify(key.Resource)).toContain('AlarmsKey');
    });
  });

  describe('schedule', () => {
    test(`runs every ${config.ingestion.scheduleIntervalMinutes} minutes with the flexible window off, retries and a dead-letter queue`, () => {
      const { properties } = only(template, 'AWS::Scheduler::Schedule');
      expect(properties.ScheduleExpression).toBe(`rate(${config.ingestion.scheduleIntervalMinutes} minutes)`);
      expect(properties.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
      expect(properties.State).toBe('ENABLED');
      expect(properties.Target.Arn).toEqual({ Ref: expect.stringMatching(/^WorkflowStateMachine/) });
      expect(properties.Target.RetryPolicy).toEqual({
        MaximumRetryAttempts: 3,
        MaximumEventAgeInSeconds: 900,
      });
      expect(properties.Target.DeadLetterConfig.Arn).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^ScheduleDeadLetterQueue/), 'Arn'],
      });
    });

    test('runs as a role of its own that may start the workflow and write to the dead-letter queue with its key', () => {
      const { properties } = only(template, 'AWS::Scheduler::Schedule');
      const roleId = properties.Target.RoleArn['Fn::GetAtt'][0];
      const role = template.toJSON().Resources[roleId];
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': config.account },
            ArnLike: {
              'aws:SourceArn': `arn:aws:scheduler:eu-west-1:${config.account}:schedule-group/default`,
            },
          },
        }),
      ]);
      const statements = Object.values(
        template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
      ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
      expect(statements.map((s) => s.Action)).toEqual(
        expect.arrayContaining([
          'states:StartExecution',
          'sqs:SendMessage',
          ['kms:Decrypt', 'kms:GenerateDataKey'],
        ]),
      );
      const key = statements.find((s) => Array.isArray(s.Action) && s.Action.includes('kms:GenerateDataKey'));
      expect(key.Resource).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^ScheduleDeadLetterKey/), 'Arn'],
      });
    });

    test('each tick asks for every lake table in one execution', () => {
      const { properties } = only(template, 'AWS::Scheduler::Schedule');
      const input = JSON.parse(properties.Target.Input as string);
      expect(input.trigger).toBe('schedule');
      expect(input.tables).toEqual(
        TABLES.map((table) => ({ source: 'trackman-backend', table, jobName: jobName(env, table) })),
      );
    });

    test('the dead-letter queue is KMS-encrypted, TLS only, and any message in it raises an alarm to the alarm topic', () => {
      // The schedule's own queue: the functions' failed-invocation queue is KMS-encrypted too
      // (test/stacks/lambda-failures.test.ts).
      const queue = only(template, 'AWS::SQS::Queue', {
        KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ScheduleDeadLetterKey'), 'Arn'] },
      });
      expect(queue.id).toMatch(/^ScheduleDeadLetterQueue/);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queue.id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      const alarm = only(template, 'AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue.id, 'QueueName'] } }],
      });
      expect(alarm.properties).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue.id, 'QueueName'] } }],
      });
      expect(JSON.stringify(alarm.properties.AlarmActions)).toContain('AlarmsTopic');
    });
  });

  describe('functions', () => {
    const functions = () =>
      Object.values(template.findResources('AWS::Lambda::Function')).map((f) => f.Properties);

    test('Node.js 24 on arm64, X-Ray active, Powertools from its layer at the tested version', () => {
      expect(functions()).toHaveLength(2);
      const parameter = Object.entries(
        template.toJSON().Parameters as Record<string, { Default: string }>,
      ).find(([, p]) => p.Default === powertoolsLayerParameter(powertoolsVersion()));
      expect(parameter).toBeDefined();
      for (const fn of functions()) {
        expect(fn).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          Layers: [{ Ref: parameter![0] }],
          LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.stringMatching(/LogGroup/) } },
        });
        expect(fn.Environment.Variables.POWERTOOLS_SERVICE_NAME).toMatch(
          /^(start-ingestion|glue-failure-notifier)$/,
        );
      }
    });

    test('start-ingestion knows every lake table and its job, and may start only the ingestion workflow', () => {
      const fn = functions().find(
        (f) => f.Environment.Variables.POWERTOOLS_SERVICE_NAME === 'start-ingestion',
      );
      // Bundled with the code, not in the 4 KB environment.
      expect(fn.Environment.Variables.INGESTION_TABLES).toBeUndefined();
      const bundled = stages[env].ingestion.triggers.startIngestion.bundledFiles;
      expect(JSON.parse(bundled.INGESTION_TABLES)).toEqual(
        TABLES.map((table) => ({ source: 'trackman-backend', table, jobName: jobName(env, table) })),
      );
      expect(fn.Environment.Variables.DEDUP_WINDOW_SECONDS).toBe('60');
      expect(fn.Environment.Variables.STATE_MACHINE_ARN).toEqual({
        Ref: expect.stringMatching(/^WorkflowStateMachine/),
      });
      const roleId = fn.Role['Fn::GetAtt'][0];
      const statements = Object.values(
        template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
      ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
      const starts = statements.filter((s) => JSON.stringify(s.Action).includes('states:'));
      expect(starts).toEqual([
        expect.objectContaining({
          Action: 'states:StartExecution',
          Resource: { Ref: expect.stringMatching(/^WorkflowStateMachine/) },
        }),
      ]);
    });

    test('run requests on the default event bus reach start-ingestion', () => {
      const { properties } = only(template, 'AWS::Events::Rule', {
        EventPattern: { source: ['trackman.data-platform'] },
      });
      expect(properties.EventPattern).toEqual({
        source: ['trackman.data-platform'],
        'detail-type': ['Lake Ingestion Requested'],
      });
      expect(properties.Targets[0]).toMatchObject({
        Arn: { 'Fn::GetAtt': [expect.stringMatching(/^TriggersStartIngestionFunction/), 'Arn'] },
        RetryPolicy: {
          MaximumRetryAttempts: 2,
          MaximumEventAgeInSeconds: config.ingestion.scheduleIntervalMinutes * 60,
        },
      });
    });

    test('the source database may invoke start-ingestion through a role of its own, and do nothing else', () => {
      const role = only(template, 'AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'rds.amazonaws.com' } })],
        },
      });
      expect(role.properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({
        StringEquals: { 'aws:SourceAccount': config.account },
      });
      const statements = Object.values(
        template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role.id }] } }),
      ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
      expect(statements).toEqual([
        {
          Sid: 'InvokeStartIngestion',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^TriggersStartIngestionFunction/), 'Arn'] },
        },
      ]);
      const outputs = Object.keys(template.toJSON().Outputs as object);
      expect(outputs).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^TriggersDatabaseInvokeRoleArn/),
          expect.stringMatching(/^TriggersStartIngestionFunctionArn/),
        ]),
      );
    });

    test('the failure notifier gets failed, timed-out and stopped runs of these jobs only', () => {
      const { properties } = only(template, 'AWS::Events::Rule', { EventPattern: { source: ['aws.glue'] } });
      expect(properties.EventPattern).toEqual({
        source: ['aws.glue'],
        'detail-type': ['Glue Job State Change'],
        detail: {
          jobName: [{ prefix: `trackman-${env}-ingest-` }],
          state: ['FAILED', 'TIMEOUT', 'STOPPED'],
        },
      });
      expect(properties.Targets[0]).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [expect.stringMatching(/^TriggersEventDeadLetterQueue/), 'Arn'] },
        },
      });
      const fn = functions().find(
        (f) => f.Environment.Variables.POWERTOOLS_SERVICE_NAME === 'glue-failure-notifier',
      );
      expect(fn.Environment.Variables.JOB_TABLES).toBeUndefined();
      const bundled = stages[env].ingestion.triggers.failureNotifier.bundledFiles;
      expect(Object.keys(JSON.parse(bundled.JOB_TABLES))).toEqual(TABLES.map((table) => jobName(env, table)));
      expect(fn.Environment.Variables.GLUE_LOG_GROUP_PREFIX).toBe(`/aws-glue/trackman-${env}-ingestion`);
    });
  });

  test('an event that fails after its retries raises an alarm on the alarm topic', () => {
    const queue = only(template, 'AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    const alarm = only(template, 'AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue.id, 'QueueName'] } }],
    });
    expect(alarm.properties).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
    });
    expect(JSON.stringify(alarm.properties.AlarmActions)).toContain('AlarmsTopic');
  });

  test('matches the snapshot (asset hashes normalised)', () => {
    expect(snapshotOf(template)).toMatchSnapshot();
  });
});

describe('ingestion paused (ingestion.enabled: false)', () => {
  const template = withNestedStacks(buildStageWith({ ...devLike, ingestion: { enabled: false } }).ingestion);

  test('the schedule and the run-request rule are disabled, start-ingestion takes no invocations', () => {
    expect(only(template, 'AWS::Scheduler::Schedule').properties.State).toBe('DISABLED');
    expect(
      only(template, 'AWS::Events::Rule', { EventPattern: { source: ['trackman.data-platform'] } }).properties
        .State,
    ).toBe('DISABLED');
    const start = only(template, 'AWS::Lambda::Function', {
      Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'start-ingestion' } },
    });
    expect(start.properties.ReservedConcurrentExecutions).toBe(0);
  });

  test('jobs, failure alerts and the workflow stay', () => {
    expect(Object.keys(template.findResources('AWS::Glue::Job'))).toHaveLength(TABLES.length);
    expect(
      only(template, 'AWS::Events::Rule', { EventPattern: { source: ['aws.glue'] } }).properties.State,
    ).toBe('ENABLED');
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  });
});

describe('two sources, one of them MySQL', () => {
  const template = withNestedStacks(buildStageWith(twoSources).ingestion);
  const mysql = twoSources.sources[1];

  test('one job per table of every source', () => {
    const names = Object.values(template.findResources('AWS::Glue::Job')).map((job) => job.Properties.Name);
    expect(names).toHaveLength(6);
    expect(names).toEqual(
      expect.arrayContaining([
        'trackman-dev-ingest-g5-booking-service-booking-reservations',
        'trackman-dev-ingest-g7-booking-service-booking-bays',
      ]),
    );
  });

  test('the MySQL source gets JDBC connections of its own, to its writer on its port', () => {
    const urls = Object.values(template.findResources('AWS::Glue::Connection')).map(
      (c) => c.Properties.ConnectionInput.ConnectionProperties.JDBC_CONNECTION_URL,
    );
    expect(urls.filter((url: string) => url.startsWith('jdbc:mysql:'))).toEqual(
      Array(2).fill(`jdbc:mysql://${mysql.host}:3306/booking`),
    );
  });

  test("each source's jobs read only that source's secret", () => {
    const job = only(template, 'AWS::Glue::Job', {
      Name: 'trackman-dev-ingest-g7-booking-service-booking-bays',
    });
    const roleId = job.properties.Role['Fn::GetAtt'][0];
    const statements = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
    ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const secretReads = statements.filter((s) =>
      JSON.stringify(s.Action).includes('secretsmanager:GetSecretValue'),
    );
    expect(secretReads.map((s) => s.Resource)).toEqual([mysql.credentialsSecretArn]);
  });
});
