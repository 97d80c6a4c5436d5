/**
 * The freshness probe construct in a small stack of its own, with fixture props:
 * placement, least-privilege IAM, the schedules and their input (which the
 * handler's own parser must accept), and an alarm with an action on every measure.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseProbeInput } from '../../lambda/freshness-probe/input';
import { validateConfig, type SourceConfig } from '../../lib/config';
import { FreshnessProbe, type FreshnessProbeProps } from '../../lib/constructs/freshness-probe';
import { LogsKey } from '../../lib/constructs/logs-key';
import { copyOf, twoSources } from '../fixtures/configs';

const config = validateConfig(twoSources, 'dev');
const REPLICA_SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dataengineering-db/admin-AbCdEf';

function probeStack(overrides: Partial<FreshnessProbeProps> = {}, withReplica = true): Template {
  return Template.fromStack(buildStack(overrides, withReplica));
}

function buildStack(overrides: Partial<FreshnessProbeProps> = {}, withReplica = true): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'ProbeTest', { env: { account: '111111111111', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const replicaGroup = new ec2.SecurityGroup(stack, 'ReplicaGroup', { vpc });
  new FreshnessProbe(stack, 'Probe', {
    environment: 'dev',
    sources: config.sources,
    slo: config.slo,
    lakeBucket: s3.Bucket.fromBucketName(stack, 'Lake', 'trackman-dev-lake'),
    lakeKey: new kms.Key(stack, 'LakeKey', { enableKeyRotation: true }),
    replica: withReplica
      ? {
          endpoint: { host: 'dataengineering-db.example.eu-west-1.rds.amazonaws.com', port: 5432 },
          databaseName: 'dataengineering',
          secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'ReplicaSecret', REPLICA_SECRET),
          securityGroup: replicaGroup,
        }
      : undefined,
    vpc,
    subnets: { subnetGroupName: 'Data' },
    alarmTopic: new sns.Topic(stack, 'Topic', {
      enforceSSL: true,
      masterKey: new kms.Key(stack, 'TopicKey', { enableKeyRotation: true }),
    }),
    logsKey: new LogsKey(stack, 'LogsKey', { purpose: 'probe', removalPolicy: RemovalPolicy.DESTROY }),
    logRetention: logs.RetentionDays.TWO_WEEKS,
    removalPolicy: RemovalPolicy.DESTROY,
    ...overrides,
  });
  return stack;
}

function scheduleInputs(template: Template): Record<string, unknown> {
  const schedules = template.findResources('AWS::Scheduler::Schedule');
  return Object.fromEntries(
    Object.values(schedules).map((s) => {
      const props = s.Properties as { ScheduleExpression: string; Target: { Input: string } };
      return [props.ScheduleExpression, JSON.parse(props.Target.Input) as unknown];
    }),
  );
}

describe('FreshnessProbe', () => {
  let template: Template;
  beforeAll(() => {
    template = probeStack();
  });

  it('runs in the data subnets with a security group of its own, and keeps the table list out of its environment', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const [fn] = Object.values(functions);
    const props = fn.Properties as {
      VpcConfig: { SecurityGroupIds: unknown[]; SubnetIds: unknown[] };
      Environment: { Variables: Record<string, string> };
    };
    expect(props.VpcConfig.SubnetIds).toHaveLength(2);
    expect(props.VpcConfig.SecurityGroupIds).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^ProbeSecurityGroup/), 'GroupId'] },
    ]);
    expect(props.Environment.Variables).toMatchObject({ LAKE_BUCKET_NAME: 'trackman-dev-lake' });
    expect(JSON.stringify(props.Environment.Variables)).not.toContain('sessions');
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0aaaabbbbccccdddd',
      FromPort: 3306,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ProbeSecurityGroup'), 'GroupId'] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReplicaGroup'), 'GroupId'] },
      FromPort: 5432,
    });
  });

  it('may read the watermarks and the database secrets, and nothing else of the lake', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap(
      (p) =>
        (
          p.Properties as {
            PolicyDocument: { Statement: { Sid?: string; Action: unknown; Resource: unknown }[] };
          }
        ).PolicyDocument.Statement,
    );
    const s3Statements = statements.filter((s) => JSON.stringify(s.Action).includes('s3:'));
    expect(s3Statements).toEqual([
      expect.objectContaining({
        Action: 's3:GetObject',
        Resource: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':s3:::trackman-dev-lake/_control/*/watermark.json'],
          ],
        },
      }),
    ]);
    const secrets = statements.find((s) => s.Sid === 'ReadDatabaseCredentials');
    expect(secrets).toMatchObject({
      Action: 'secretsmanager:GetSecretValue',
      Resource: [
        config.sources[0].credentialsSecretArn,
        config.sources[1].credentialsSecretArn,
        REPLICA_SECRET,
      ],
    });
    expect(JSON.stringify(statements)).not.toMatch(/"(s3|secretsmanager|kms):\*"/);
  });

  it('runs freshness every 5 minutes and reconciliation hourly, with an input the handler accepts', () => {
    const inputs = scheduleInputs(template);
    expect(Object.keys(inputs).sort()).toEqual(['rate(1 hour)', 'rate(5 minutes)']);
    const freshness = parseProbeInput(inputs['rate(5 minutes)']);
    expect(freshness.mode).toBe('freshness');
    expect(parseProbeInput(inputs['rate(1 hour)']).mode).toBe('reconciliation');
    expect(freshness.slo).toEqual({ lakeMinutes: 60, replicaMinutes: 30 });
    expect(freshness.sources[0].tables).toEqual([
      {
        schema: 'public',
        name: 'sessions',
        kind: 'update-timestamp',
        column: 'updated_at',
        replicaSchema: 'public',
      },
      { schema: 'public', name: 'shots', kind: 'increasing-key', column: 'id', replicaSchema: 'public' },
      {
        schema: 'public',
        name: 'players',
        kind: 'update-timestamp',
        column: 'updated_at',
        replicaSchema: 'public',
      },
      { schema: 'public', name: 'facilities', kind: 'snapshot' },
    ]);
    expect(freshness.replica).toEqual({
      host: 'dataengineering-db.example.eu-west-1.rds.amazonaws.com',
      port: 5432,
      database: 'dataengineering',
      secretArn: REPLICA_SECRET,
    });
  });

  it("times an increasing-key table's replica lag by its insertTimeColumn when the config names one", () => {
    const input = copyOf(twoSources);
    input.sources[0].tables[1].insertTimeColumn = 'created_at';
    const sources = validateConfig(input, 'dev').sources;
    const freshness = parseProbeInput(scheduleInputs(probeStack({ sources }))['rate(5 minutes)']);
    expect(freshness.sources[0].tables[1]).toEqual({
      schema: 'public',
      name: 'shots',
      kind: 'increasing-key',
      column: 'id',
      timeColumn: 'created_at',
      replicaSchema: 'public',
    });
  });

  it('alarms with an SNS action at 75% of each SLO, on reconciliation gaps and on probe failures', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties as Record<string, unknown> & { Dimensions: { Name: string; Value: string }[] },
    );
    // Per destination: lag, probe failures, reconciliation gap, reconciliation heartbeat; and the lake's unknown lag.
    expect(alarms).toHaveLength(9);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Topic/) }]);
      expect(alarm.Namespace).toBe('TrackmanFreshness');
    }
    const find = (name: string, destination: string) =>
      alarms.find(
        (a) =>
          a.MetricName === name &&
          a.Dimensions.some((d) => d.Name === 'destination' && d.Value === destination),
      );
    expect(find('LagSeconds', 'lake')).toMatchObject({ Threshold: 2700, TreatMissingData: 'breaching' });
    expect(find('LagSeconds', 'dataengineering-db')).toMatchObject({
      Threshold: 1350,
      TreatMissingData: 'breaching',
    });
    expect(find('ProbeFailures', 'lake')).toMatchObject({ Threshold: 1, TreatMissingData: 'breaching' });
    expect(find('ReconciliationGapRows', 'dataengineering-db')).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      Period: 3600,
    });
    expect(find('ReconciliationRuns', 'lake')).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 2,
      TreatMissingData: 'breaching',
    });
    expect(find('LakeLagUnknown', 'lake')).toMatchObject({
      EvaluationPeriods: 9,
      TreatMissingData: 'breaching',
    });
  });
});

describe('FreshnessProbe compliance', () => {
  it('has no cdk-nag finding of its own (the fixture VPC has no flow log: VPC7 belongs to the test)', () => {
    const stack = buildStack();
    const report = new AwsSolutionsChecks(stack.node.root).validateScope(stack);
    expect(report.violations.map((v) => v.ruleName).filter((rule) => rule !== 'AwsSolutions-VPC7')).toEqual(
      [],
    );
  });
});

describe('FreshnessProbe without dataengineering-db, and at scale', () => {
  it('measures the lake only when replication is off', () => {
    const template = probeStack({}, false);
    const input = parseProbeInput(scheduleInputs(template)['rate(5 minutes)']);
    expect(input.replica).toBeUndefined();
    expect(input.sources.flatMap((s) => s.tables).filter((t) => t.replicaSchema !== undefined)).toEqual([]);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
  });

  it('fits 600 tables in a schedule input under 256 KB and an environment under 4 KB', () => {
    // Built from a validated source: a config of 600 tables would fail the lake SLO budget first.
    const [backend, booking] = config.sources;
    const tables = Array.from({ length: 600 }, (_, i) => ({
      ...backend.tables[0],
      name: `table_number_${i}`,
    }));
    const sources: SourceConfig[] = [{ ...backend, tables }, booking];
    const template = probeStack({ sources, reconciliationInterval: Duration.hours(2) });
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule'));
    for (const s of schedules) {
      const input = (s.Properties as { Target: { Input: string } }).Target.Input;
      expect(Buffer.byteLength(input)).toBeLessThan(256 * 1024);
      expect(parseProbeInput(JSON.parse(input)).sources[0].tables).toHaveLength(600);
    }
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(JSON.stringify((fn.Properties as { Environment: unknown }).Environment).length).toBeLessThan(4096);
  });
});

describe('FreshnessProbe with a read-only user of dataengineering-db', () => {
  const READER = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dataengineering-db/probe-GhIjKl';
  const READER_KEY = 'arn:aws:kms:eu-west-1:111111111111:key/1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901';
  const template = probeStack({ replicaReader: { secretArn: READER, keyArn: READER_KEY } });
  const statements = () =>
    Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        (p.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } }).PolicyDocument
          .Statement,
    );

  it("reads the reader's secret, never the secret DMS writes with", () => {
    const secrets = statements().find((s) => s.Sid === 'ReadDatabaseCredentials');
    expect(secrets?.Resource).toEqual([
      config.sources[0].credentialsSecretArn,
      config.sources[1].credentialsSecretArn,
      READER,
    ]);
    expect(JSON.stringify(statements())).not.toContain(REPLICA_SECRET);
    expect(parseProbeInput(scheduleInputs(template)['rate(5 minutes)']).replica?.secretArn).toBe(READER);
  });

  it("may decrypt with the reader's key", () => {
    const decrypt = statements().filter((s) => JSON.stringify(s.Action).includes('kms:Decrypt'));
    expect(JSON.stringify(decrypt)).toContain(READER_KEY);
  });
});
