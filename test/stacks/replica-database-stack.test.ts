import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { EnvironmentConfigInput } from '../../lib/config';
import type { ReplicaDatabaseStack } from '../../lib/stacks/replica-database-stack';
import { copyOf, devLike, PROD_ACCOUNT, prodLike, REGION } from '../fixtures/configs';
import { buildStageWith, logicalIdsOf } from '../helpers/synth';

/** Behaviour on the fixtures; the shipped environments' settings are theirs to change. */
function databaseStackOf(config: EnvironmentConfigInput): ReplicaDatabaseStack {
  const stack = buildStageWith(config).replicaDatabase;
  if (stack === undefined) throw new Error(`no replica database stack for ${config.name}`);
  return stack;
}

const stacks = { dev: databaseStackOf(devLike), prod: databaseStackOf(prodLike) };
const templates = { dev: Template.fromStack(stacks.dev), prod: Template.fromStack(stacks.prod) };

const INSTANCE = 'DatabaseInstanceAA8A5FDE';
const STORAGE_KEY = 'DatabaseKey5E5D9547';
const SECRET_KEY = 'DatabaseSecretKey68CE3A85';
const SECRET = 'DatabaseSecret3B817195';
const SECURITY_GROUP = 'DatabaseSecurityGroup5C91FDCB';
const ROTATION_SECURITY_GROUP = 'DatabaseRotationSecurityGroup8E1B7C66';

type Resource = {
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};

function onlyResource(template: Template, type: string): Resource {
  const resources = Object.values(template.findResources(type)) as Resource[];
  expect(resources).toHaveLength(1);
  return resources[0];
}

/** Who a rule names: the replication group (exported by the network stack), a group of this stack, or a literal id. */
function groupName(value: unknown): string {
  const text = JSON.stringify(value);
  if (typeof value === 'string') return value;
  if (text.includes('NetworkReplicationSecurityGroup')) return 'replication';
  if (text.includes(ROTATION_SECURITY_GROUP)) return 'rotation';
  if (text.includes(SECURITY_GROUP)) return 'database';
  return text;
}

/** A rule's port: a number, or the instance's endpoint port attribute (rules CDK's connections add). */
function portOf(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (JSON.stringify(value) === JSON.stringify({ 'Fn::GetAtt': [INSTANCE, 'Endpoint.Port'] }))
    return 'db-port';
  return JSON.stringify(value);
}

/** Every ingress rule of a template (separate resources and inline ones) as "<group> <- <source> <ports>". */
function ingressRules(template: Template): string[] {
  const separate = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((rule) => {
    const p = (rule as Resource).Properties;
    return `${groupName(p.GroupId)} <- ${groupName(p.SourceSecurityGroupId ?? p.CidrIp)} ${p.IpProtocol}/${portOf(p.FromPort)}`;
  });
  const inline = Object.entries(template.findResources('AWS::EC2::SecurityGroup')).flatMap(([id, group]) =>
    (
      ((group as Resource).Properties.SecurityGroupIngress as Record<string, unknown>[] | undefined) ?? []
    ).map(
      (p) =>
        `${id} <- ${groupName(p.SourceSecurityGroupId ?? p.CidrIp)} ${p.IpProtocol}/${portOf(p.FromPort)}`,
    ),
  );
  return [...separate, ...inline].sort();
}

function egressRules(template: Template): string[] {
  return Object.values(template.findResources('AWS::EC2::SecurityGroupEgress'))
    .map((rule) => {
      const p = (rule as Resource).Properties;
      return `${groupName(p.GroupId)} -> ${groupName(p.DestinationSecurityGroupId ?? p.CidrIp)} ${p.IpProtocol}/${portOf(p.FromPort)}`;
    })
    .sort();
}

describe('replica database stack: logical ids of stateful resources are a contract', () => {
  test.each(['dev', 'prod'] as const)('%s', (env) => {
    const template = templates[env];
    expect(logicalIdsOf(template, 'AWS::RDS::DBInstance')).toEqual([INSTANCE]);
    expect(logicalIdsOf(template, 'AWS::KMS::Key')).toEqual([
      STORAGE_KEY,
      'DatabaseLogsKeyC5B407E0',
      SECRET_KEY,
    ]);
    expect(logicalIdsOf(template, 'AWS::SecretsManager::Secret')).toEqual([SECRET]);
    expect(logicalIdsOf(template, 'AWS::EC2::SecurityGroup')).toEqual([
      ROTATION_SECURITY_GROUP,
      SECURITY_GROUP,
    ]);
    expect(logicalIdsOf(template, 'AWS::RDS::DBSubnetGroup')).toEqual(['DatabaseSubnetGroup7D60F180']);
    expect(logicalIdsOf(template, 'AWS::RDS::DBParameterGroup')).toEqual(['DatabaseParameterGroup2A921026']);
  });
});

describe.each([
  ['dev', { multiAz: false, deletion: 'Delete', replace: 'Delete', protection: false, backupDays: 7 }],
  [
    'prod',
    { multiAz: true, deletion: 'RetainExceptOnCreate', replace: 'Retain', protection: true, backupDays: 14 },
  ],
] as const)('replica database (%s)', (env, expected) => {
  const template = templates[env];
  const instance = () => onlyResource(template, 'AWS::RDS::DBInstance');

  test('the stack is named and tagged as a component of its own', () => {
    expect(stacks[env].stackName).toBe(`trackman-${env}-replica-database`);
    expect(stacks[env].tags.tagValues()).toMatchObject({ Component: 'replica-database' });
  });

  test('PostgreSQL 17 (the newest minor aws-cdk-lib knows), gp3 with an autoscaling ceiling, in the data subnets', () => {
    expect(instance().Properties).toMatchObject({
      Engine: 'postgres',
      EngineVersion: '17.9',
      StorageType: 'gp3',
      AllocatedStorage: env === 'dev' ? '20' : '100',
      MaxAllocatedStorage: env === 'dev' ? 100 : 500,
      DBInstanceClass: env === 'dev' ? 'db.t4g.medium' : 'db.r7g.large',
      DBInstanceIdentifier: `trackman-${env}-dataengineering-db`,
      DBName: 'dataengineering',
      Port: '5432',
      PubliclyAccessible: false,
      DBSubnetGroupName: { Ref: 'DatabaseSubnetGroup7D60F180' },
    });
    const subnetGroup = onlyResource(template, 'AWS::RDS::DBSubnetGroup');
    expect((subnetGroup.Properties.SubnetIds as unknown[]).length).toBe(env === 'dev' ? 2 : 3);
    expect(JSON.stringify(subnetGroup.Properties.SubnetIds)).toMatch(/NetworkVpcDataSubnet1Subnet/);
  });

  test(`Multi-AZ ${expected.multiAz}`, () => {
    expect(instance().Properties.MultiAZ).toBe(expected.multiAz);
  });

  test('storage and Performance Insights encrypted with a rotating key of its own; the secret with another', () => {
    expect(instance().Properties).toMatchObject({
      StorageEncrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [STORAGE_KEY, 'Arn'] },
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: { 'Fn::GetAtt': [STORAGE_KEY, 'Arn'] },
    });
    const keys = template.findResources('AWS::KMS::Key');
    for (const id of [STORAGE_KEY, SECRET_KEY]) {
      expect(keys[id].Properties.EnableKeyRotation).toBe(true);
      expect(keys[id].DeletionPolicy).toBe(expected.deletion);
      expect(keys[id].UpdateReplacePolicy).toBe(expected.replace);
    }
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [SECRET_KEY, 'Arn'] },
    });
  });

  test(`deletion protection ${expected.protection}; the instance, its secret and groups are ${expected.deletion} on delete`, () => {
    expect(instance().Properties.DeletionProtection).toBe(expected.protection);
    expect(instance().Properties.DeleteAutomatedBackups).toBe(!expected.protection);
    const stateful = [
      'AWS::RDS::DBInstance',
      'AWS::SecretsManager::Secret',
      'AWS::RDS::DBSubnetGroup',
      'AWS::RDS::DBParameterGroup',
      'AWS::Logs::LogGroup',
    ].flatMap((type) => Object.values(template.findResources(type)) as Resource[]);
    stateful.push(template.findResources('AWS::EC2::SecurityGroup')[SECURITY_GROUP] as Resource);
    expect(stateful).toHaveLength(7);
    for (const resource of stateful) {
      expect([resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual([
        expected.deletion,
        expected.replace,
      ]);
    }
  });

  test('a parameter group of the engine family that forces TLS', () => {
    const group = onlyResource(template, 'AWS::RDS::DBParameterGroup');
    expect(group.Properties).toMatchObject({ Family: 'postgres17', Parameters: { 'rds.force_ssl': '1' } });
    expect(instance().Properties.DBParameterGroupName).toEqual({ Ref: 'DatabaseParameterGroup2A921026' });
  });

  test('enhanced monitoring every 60 s with its role, Performance Insights, postgresql and upgrade logs exported', () => {
    expect(instance().Properties).toMatchObject({
      MonitoringInterval: 60,
      MonitoringRoleArn: { 'Fn::GetAtt': ['DatabaseMonitoringRole576991DA', 'Arn'] },
      EnablePerformanceInsights: true,
      PerformanceInsightsRetentionPeriod: 7,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Principal: { Service: 'monitoring.rds.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': stacks[env].account },
              ArnLike: {
                'aws:SourceArn': `arn:aws:rds:${REGION}:${stacks[env].account}:db:trackman-${env}-dataengineering-db`,
              },
            },
            Effect: 'Allow',
          },
        ],
      },
    });
  });

  test('the exported logs land in encrypted log groups with the environment retention, created first', () => {
    const groups = template.findResources('AWS::Logs::LogGroup');
    const names = Object.values(groups).map((g) => (g as Resource).Properties.LogGroupName);
    expect(names.sort()).toEqual(
      ['postgresql', 'upgrade'].map((log) => `/aws/rds/instance/trackman-${env}-dataengineering-db/${log}`),
    );
    for (const group of Object.values(groups) as Resource[]) {
      expect(group.Properties).toMatchObject({
        RetentionInDays: env === 'dev' ? 14 : 365,
        KmsKeyId: { 'Fn::GetAtt': ['DatabaseLogsKeyC5B407E0', 'Arn'] },
      });
    }
    const dependsOn = (template.toJSON().Resources[INSTANCE] as { DependsOn: string[] }).DependsOn;
    expect(dependsOn).toEqual(expect.arrayContaining(Object.keys(groups)));
  });

  test(`backups kept ${expected.backupDays} days, tags copied to snapshots, minor upgrades in a window after the backup`, () => {
    expect(instance().Properties).toMatchObject({
      BackupRetentionPeriod: expected.backupDays,
      CopyTagsToSnapshot: true,
      AutoMinorVersionUpgrade: true,
      AllowMajorVersionUpgrade: false,
      PreferredBackupWindow: '01:00-02:00',
      PreferredMaintenanceWindow: 'sun:03:00-sun:04:00',
    });
  });

  test('master credentials: a generated secret attached to the instance, rotated every 30 days in the data subnets', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: '{"username":"dataengineering_admin"}',
        GenerateStringKey: 'password',
      },
    });
    template.hasResourceProperties('AWS::SecretsManager::SecretTargetAttachment', {
      SecretId: { Ref: SECRET },
      TargetId: { Ref: INSTANCE },
      TargetType: 'AWS::RDS::DBInstance',
    });
    const schedule = onlyResource(template, 'AWS::SecretsManager::RotationSchedule');
    expect(schedule.Properties.RotationRules).toEqual({ ScheduleExpression: 'rate(30 days)' });
    const rotation = onlyResource(template, 'AWS::Serverless::Application');
    const parameters = rotation.Properties.Parameters as Record<string, unknown>;
    expect(parameters.vpcSecurityGroupIds).toEqual({ 'Fn::GetAtt': [ROTATION_SECURITY_GROUP, 'GroupId'] });
    expect(parameters.kmsKeyArn).toEqual({ 'Fn::GetAtt': [SECRET_KEY, 'Arn'] });
    expect(JSON.stringify(parameters.vpcSubnetIds)).toMatch(/NetworkVpcDataSubnet1Subnet/);
    expect(template.findMappings('*')).toMatchObject({
      [Object.keys(template.findMappings('*'))[0]]: {
        aws: { applicationId: expect.stringContaining('SecretsManagerRDSPostgreSQLRotationSingleUser') },
      },
    });
  });

  test('the database admits exactly DMS, the configured application groups and its rotation function', () => {
    const applications = env === 'prod' ? ['database <- sg-0a1b2c3d4e5f60003 tcp/5432'] : [];
    expect(ingressRules(template)).toEqual(
      ['database <- replication tcp/5432', 'database <- rotation tcp/db-port', ...applications].sort(),
    );
    // ...and reaches nothing itself.
    const group = template.findResources('AWS::EC2::SecurityGroup')[SECURITY_GROUP] as Resource;
    expect(group.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' }),
    ]);
  });

  test("DMS's group may reach the database (the rule lives here, so the network stack depends on nothing)", () => {
    expect(egressRules(template)).toEqual([
      'replication -> database tcp/5432',
      'rotation -> database tcp/db-port',
    ]);
    const network = Template.fromStack(buildStageWith(env === 'dev' ? devLike : prodLike).network);
    expect(JSON.stringify(network.toJSON())).not.toMatch(/ReplicaDatabase/);
  });

  test('exposes endpoint, database name, the attached secret and its key to the replication', () => {
    const stack = stacks[env];
    expect(stack.resolve(stack.endpoint.host)).toEqual({ 'Fn::GetAtt': [INSTANCE, 'Endpoint.Address'] });
    expect(stack.endpoint.port).toBe(5432);
    expect(stack.databaseName).toBe('dataengineering');
    expect(stack.resolve(stack.secret.secretArn)).toEqual({ Ref: 'DatabaseSecretAttachmentE5D1B020' });
    expect(stack.resolve(stack.secretKey!.keyArn)).toEqual({ 'Fn::GetAtt': [SECRET_KEY, 'Arn'] });
    expect(stack.resolve(stack.securityGroup.securityGroupId)).toEqual({
      'Fn::GetAtt': [SECURITY_GROUP, 'GroupId'],
    });
  });
});

describe('replica database settings from config', () => {
  const config = copyOf(devLike);
  config.replication = {
    ...config.replication,
    database: {
      mode: 'create',
      engineVersion: '16',
      multiAz: false,
      backupRetentionDays: 3,
      credentialsRotationDays: 7,
      databaseName: 'app_replica',
      applicationSecurityGroupIds: ['sg-0aaaaaaaaaaaaaaa1', 'sg-0aaaaaaaaaaaaaaa2'],
    },
  };
  const template = Template.fromStack(databaseStackOf(config));

  test('PostgreSQL 16: its newest minor and its parameter group family', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', { EngineVersion: '16.13' });
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: 'postgres16',
      Parameters: { 'rds.force_ssl': '1' },
    });
  });

  test('backup retention, rotation interval and database name follow the config', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      BackupRetentionPeriod: 3,
      DBName: 'app_replica',
    });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(7 days)' },
    });
  });

  test('every application security group is admitted, on the database port only', () => {
    expect(ingressRules(template)).toEqual([
      'database <- replication tcp/5432',
      'database <- rotation tcp/db-port',
      'database <- sg-0aaaaaaaaaaaaaaa1 tcp/5432',
      'database <- sg-0aaaaaaaaaaaaaaa2 tcp/5432',
    ]);
  });
});

describe("mode 'existing'", () => {
  const secretArn = `arn:aws:secretsmanager:${REGION}:${PROD_ACCOUNT}:secret:dataengineering/dms-target-QwErTy`;
  const keyArn = `arn:aws:kms:${REGION}:${PROD_ACCOUNT}:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`;
  const config = copyOf(prodLike);
  config.replication = {
    ...config.replication,
    database: {
      mode: 'existing',
      host: 'dataengineering.cluster-example.eu-west-1.rds.amazonaws.com',
      port: 5433,
      databaseName: 'dataengineering',
      credentialsSecretArn: secretArn,
      credentialsKmsKeyArn: keyArn,
      securityGroupId: 'sg-0bbbbbbbbbbbbbbb1',
    },
  };
  const stack = databaseStackOf(config);
  const template = Template.fromStack(stack);

  test('creates no database, key, secret or security group', () => {
    for (const type of [
      'AWS::RDS::DBInstance',
      'AWS::KMS::Key',
      'AWS::SecretsManager::Secret',
      'AWS::EC2::SecurityGroup',
      'AWS::SecretsManager::RotationSchedule',
    ]) {
      expect({ type, ids: logicalIdsOf(template, type) }).toEqual({ type, ids: [] });
    }
  });

  test("adds exactly one ingress rule, DMS on the database's port, and the matching egress", () => {
    expect(ingressRules(template)).toEqual(['sg-0bbbbbbbbbbbbbbb1 <- replication tcp/5433']);
    expect(egressRules(template)).toEqual(['replication -> sg-0bbbbbbbbbbbbbbb1 tcp/5433']);
  });

  test('exposes the configured endpoint, database, secret, key and security group', () => {
    expect(stack.endpoint).toEqual({
      host: 'dataengineering.cluster-example.eu-west-1.rds.amazonaws.com',
      port: 5433,
    });
    expect(stack.databaseName).toBe('dataengineering');
    expect(stack.secret.secretArn).toBe(secretArn);
    expect(stack.secretKey?.keyArn).toBe(keyArn);
    expect(stack.securityGroup.securityGroupId).toBe('sg-0bbbbbbbbbbbbbbb1');
    expect(stack.created).toBeUndefined();
  });

  test('without a key ARN the secret uses the AWS managed key', () => {
    const noKey = copyOf(config);
    const database = noKey.replication!.database as { credentialsKmsKeyArn?: string };
    delete database.credentialsKmsKeyArn;
    expect(databaseStackOf(noKey).secretKey).toBeUndefined();
  });
});

test('replication disabled: no database stack', () => {
  const config = copyOf(devLike);
  config.replication = { ...config.replication, enabled: false };
  const stage = buildStageWith(config);
  expect(stage.replicaDatabase).toBeUndefined();
  const names = stage.node.children.filter((c): c is Stack => c instanceof Stack).map((s) => s.stackName);
  expect(names).not.toContain('trackman-dev-replica-database');
  expect(names).toContain('trackman-dev-network');
});
