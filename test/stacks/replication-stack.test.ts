import { Match, Template } from 'aws-cdk-lib/assertions';
import type { EnvironmentConfigInput } from '../../lib/config';
import { validateConfig } from '../../lib/config';
import { replicationSettings, tableMappings } from '../../lib/config/replication-mapping';
import { copyOf, DEV_ACCOUNT, devLike, prodLike, REGION, twoSources } from '../fixtures/configs';
import { buildFreshStageWith, buildStageWith } from '../helpers/synth';

const templateOf = (config: EnvironmentConfigInput): Template => {
  const stage = buildStageWith(config);
  if (stage.replication === undefined) throw new Error('expected a replication stack');
  return Template.fromStack(stage.replication);
};

const SOURCE_SECRET = `arn:aws:secretsmanager:${REGION}:${DEV_ACCOUNT}:secret:trackman-backend/dms-source-StUvWx`;
const SOURCE_KEY = `arn:aws:kms:${REGION}:${DEV_ACCOUNT}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0`;

/** Dev-like with a provisioned instance instead of DMS Serverless. */
const instanceLike = (): EnvironmentConfigInput => {
  const config = copyOf(prodLike);
  config.replication = {
    ...config.replication,
    dms: { mode: 'instance', instanceClass: 'dms.r6i.large', allocatedStorageGiB: 100, multiAz: true },
  };
  return config;
};

/** Dev-like whose source secret has a customer-managed key, and with a replicated MySQL source. */
const mixedSources = (): EnvironmentConfigInput => {
  const config = copyOf(twoSources);
  config.sources[0].replication = { credentialsSecretArn: SOURCE_SECRET, credentialsKmsKeyArn: SOURCE_KEY };
  config.sources[1].replication = {
    credentialsSecretArn: `arn:aws:secretsmanager:${REGION}:${DEV_ACCOUNT}:secret:booking/dms-source-XyZaBc`,
    targetSchema: 'booking',
  };
  config.sources[1].tables[0].replicate = true;
  return config;
};

describe('replication stack: prod against dev (DMS Serverless)', () => {
  const dev = templateOf(devLike);
  const prod = templateOf(prodLike);

  test.each([
    ['dev', dev, { MinCapacityUnits: 1, MaxCapacityUnits: 4, MultiAZ: false }],
    ['prod', prod, { MinCapacityUnits: 2, MaxCapacityUnits: 16, MultiAZ: true }],
  ])(
    '%s: one serverless full-load-and-CDC replication with the configured capacity',
    (env, template, capacity) => {
      template.resourceCountIs('AWS::DMS::ReplicationConfig', 1);
      template.resourceCountIs('AWS::DMS::ReplicationTask', 0);
      template.resourceCountIs('AWS::DMS::ReplicationInstance', 0);
      template.hasResourceProperties('AWS::DMS::ReplicationConfig', {
        // The settings hash's first 8 hex digits: new tables or settings make a new replication.
        ReplicationConfigIdentifier: Match.stringLikeRegexp(`^trackman-${env}-trackman-backend-[0-9a-f]{8}$`),
        ReplicationType: 'full-load-and-cdc',
        ComputeConfig: {
          ...capacity,
          ReplicationSubnetGroupId: { Ref: 'SubnetGroup' },
          VpcSecurityGroupIds: [Match.objectLike({ 'Fn::GetStackOutput': Match.anyValue() })],
        },
      });
    },
  );

  test('a serverless replication is replaced, never modified, when its tables change', () => {
    // DMS Serverless refuses ModifyReplicationConfig once a replication has started.
    const withTable = copyOf(prodLike);
    withTable.sources[0].tables.push({
      schema: 'public',
      name: 'clubs',
      primaryKey: ['id'],
      lake: { mode: 'snapshot' },
      replicate: true,
    });
    const replicationOf = (template: Template) => {
      const [[id, resource]] = Object.entries(template.findResources('AWS::DMS::ReplicationConfig'));
      return { id, identifier: resource.Properties.ReplicationConfigIdentifier as string };
    };
    const before = replicationOf(prod);
    const after = replicationOf(Template.fromStack(buildStageWith(withTable).replication!));
    expect(after.id).not.toBe(before.id);
    expect(after.identifier).not.toBe(before.identifier);
    expect(after.identifier.slice(0, -8)).toBe(before.identifier.slice(0, -8));
  });

  test('raising capacity also replaces a serverless replication (DMS refuses to modify a started one)', () => {
    const bigger = copyOf(prodLike);
    bigger.replication = {
      ...bigger.replication,
      dms: { mode: 'serverless', minCapacityUnits: 2, maxCapacityUnits: 32 },
    };
    const idOf = (template: Template) =>
      Object.keys(template.findResources('AWS::DMS::ReplicationConfig'))[0];
    expect(idOf(Template.fromStack(buildStageWith(bigger).replication!))).not.toBe(idOf(prod));
    // The same config built and synthesized again (a new stage, not the shared one) keeps its id: the
    // hash takes no token text.
    expect(idOf(Template.fromStack(buildFreshStageWith(prodLike).replication!))).toBe(idOf(prod));
  });

  test('PostgreSQL sources capture no DDL: no audit table or event trigger in production', () => {
    prod.hasResourceProperties('AWS::DMS::Endpoint', {
      EndpointType: 'source',
      PostgreSqlSettings: Match.objectLike({ CaptureDdls: false }),
    });
  });

  test('the mappings and settings are exactly those of the pure functions', () => {
    const config = validateConfig(prodLike, 'prod');
    prod.hasResourceProperties('AWS::DMS::ReplicationConfig', {
      TableMappings: tableMappings(config.sources[0]),
      ReplicationSettings: replicationSettings(config.replication),
    });
  });

  test('the subnet group spans the data subnets of each environment (2 AZs in dev, 3 in prod)', () => {
    const subnets = (template: Template) =>
      (
        Object.values(template.findResources('AWS::DMS::ReplicationSubnetGroup'))[0].Properties
          .SubnetIds as unknown[]
      ).length;
    expect([subnets(dev), subnets(prod)]).toEqual([2, 3]);
    prod.hasResourceProperties('AWS::DMS::ReplicationSubnetGroup', {
      ReplicationSubnetGroupIdentifier: 'trackman-prod-replication',
    });
  });

  test('the source endpoint: writer credentials from the secret, no password, SSL, heartbeat, no LOB truncation', () => {
    dev.hasResourceProperties('AWS::DMS::Endpoint', {
      EndpointType: 'source',
      EngineName: 'postgres',
      DatabaseName: 'trackman',
      SslMode: 'require',
      Password: Match.absent(),
      Username: Match.absent(),
      ServerName: Match.absent(),
      Port: Match.absent(),
      PostgreSqlSettings: {
        SecretsManagerSecretId: SOURCE_SECRET,
        SecretsManagerAccessRoleArn: {
          'Fn::GetAtt': [Match.stringLikeRegexp('^Sourcetrackmanbackend'), 'Arn'],
        },
        HeartbeatEnable: true,
        HeartbeatFrequency: 5,
        PluginName: 'test-decoding',
        FailTasksOnLobTruncation: true,
      },
    });
  });

  test('the target endpoint: dataengineering-db through its secret, SSL, no password', () => {
    prod.hasResourceProperties('AWS::DMS::Endpoint', {
      EndpointType: 'target',
      EngineName: 'postgres',
      DatabaseName: 'dataengineering',
      SslMode: 'require',
      Password: Match.absent(),
      ServerName: Match.absent(),
      PostgreSqlSettings: {
        SecretsManagerSecretId: Match.objectLike({ 'Fn::GetStackOutput': Match.anyValue() }),
        SecretsManagerAccessRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TargetSecretAccess'), 'Arn'] },
      },
    });
  });

  test('no endpoint anywhere carries a password', () => {
    for (const template of [dev, prod]) {
      for (const endpoint of Object.values(template.findResources('AWS::DMS::Endpoint'))) {
        expect(JSON.stringify(endpoint)).not.toMatch(/Password/);
      }
    }
  });

  test("the source admits DMS on its port and DMS may reach the source port; the target rules are the database stack's", () => {
    dev.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0123456789abcdef0',
      SourceSecurityGroupId: Match.objectLike({ 'Fn::GetStackOutput': Match.anyValue() }),
      FromPort: 5432,
      ToPort: 5432,
      IpProtocol: 'tcp',
    });
    const egress = Object.values(dev.findResources('AWS::EC2::SecurityGroupEgress')).map((r) => ({
      to: r.Properties.DestinationSecurityGroupId,
      port: [r.Properties.FromPort, r.Properties.ToPort],
    }));
    expect(egress).toEqual([{ to: 'sg-0123456789abcdef0', port: [5432, 5432] }]);
  });
});

describe('replication stack: access roles', () => {
  const template = templateOf(mixedSources());
  const roles = template.findResources('AWS::IAM::Role');
  const policies = template.findResources('AWS::IAM::Policy');
  const policyOf = (rolePrefix: string) =>
    Object.values(policies).find((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith(rolePrefix)),
    )?.Properties.PolicyDocument.Statement;

  test('every DMS role is trusted by the regional DMS principal, for this account only', () => {
    const trusts = Object.values(roles)
      .map((r) => r.Properties.AssumeRolePolicyDocument.Statement)
      .filter((statements) => JSON.stringify(statements).includes('dms.'));
    expect(trusts.length).toBe(3);
    for (const trust of trusts) {
      expect(trust).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: `dms.${REGION}.amazonaws.com` },
          Condition: { StringEquals: { 'aws:SourceAccount': DEV_ACCOUNT } },
        },
      ]);
    }
  });

  test('the source role reads its secret and decrypts with its key, nothing more', () => {
    expect(policyOf('SourcetrackmanbackendSecretAccess')).toEqual([
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: SOURCE_SECRET },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: SOURCE_KEY },
    ]);
  });

  test('a secret under the AWS managed key needs no KMS grant', () => {
    expect(policyOf('SourcebookingserviceSecretAccess')).toEqual([
      {
        Action: 'secretsmanager:GetSecretValue',
        Effect: 'Allow',
        Resource: `arn:aws:secretsmanager:${REGION}:${DEV_ACCOUNT}:secret:booking/dms-source-XyZaBc`,
      },
    ]);
  });

  test('a MySQL source gets its secret and SSL, and its own replication with the rename rule', () => {
    template.hasResourceProperties('AWS::DMS::Endpoint', {
      EngineName: 'mysql',
      SslMode: 'require',
      MySqlSettings: {
        SecretsManagerSecretId: `arn:aws:secretsmanager:${REGION}:${DEV_ACCOUNT}:secret:booking/dms-source-XyZaBc`,
        SecretsManagerAccessRoleArn: Match.anyValue(),
      },
    });
    template.resourceCountIs('AWS::DMS::ReplicationConfig', 2);
    template.hasResourceProperties('AWS::DMS::ReplicationConfig', {
      ReplicationConfigIdentifier: Match.stringLikeRegexp('^trackman-dev-booking-service-[0-9a-f]{8}$'),
      TableMappings: {
        rules: [
          Match.objectLike({ 'object-locator': { 'schema-name': 'booking', 'table-name': 'reservations' } }),
        ],
      },
    });
  });
});

describe('replication stack: watch', () => {
  const template = templateOf(prodLike);
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
  const alarm = (metric: string) => alarms.find((a) => a.Properties.MetricName === metric)?.Properties;
  const serverlessDimensions = [
    {
      Name: 'ReplicationConfigId',
      Value: {
        'Fn::Join': [
          ':',
          [
            '222222222222',
            {
              'Fn::Select': [
                6,
                {
                  'Fn::Split': [
                    ':',
                    {
                      'Fn::GetAtt': [
                        Match.stringLikeRegexp('^Replicationtrackmanbackend'),
                        'ReplicationConfigArn',
                      ],
                    },
                  ],
                },
              ],
            },
          ],
        ],
      },
    },
  ];

  test.each(['CDCLatencySource', 'CDCLatencyTarget'])(
    '%s: 480 s for 5 one-minute datapoints, missing data breaching, to the alarm topic',
    (metric) => {
      expect(alarm(metric)).toMatchObject({
        Namespace: 'AWS/DMS',
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 480,
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'breaching',
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Dimensions: serverlessDimensions,
      });
    },
  );

  test('validation failures alarm at the first failed row; no datapoint is no failure', () => {
    expect(alarm('ValidationFailedOverallCount')).toMatchObject({
      Namespace: 'AWS/DMS',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  test('every alarm notifies the alarm topic when it fires, and the state alarms when they clear', () => {
    expect(alarms.length).toBe(5);
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toHaveLength(1);
      // The new-messages alarm of a dead-letter queue pages per period and has no OK message.
      if (a.Properties.MetricName !== 'NumberOfMessagesSent') {
        expect(a.Properties.OKActions).toEqual(a.Properties.AlarmActions);
      }
      expect(JSON.stringify(a.Properties.AlarmActions)).toContain('trackman-prod-alerting');
    }
  });

  test('state changes of the replication reach the alarm topic as a readable message', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.dms'],
        'detail-type': ['DMS Replication State Change'],
        resources: [
          { 'Fn::GetAtt': [Match.stringLikeRegexp('^Replicationtrackmanbackend'), 'ReplicationConfigArn'] },
        ],
      },
      Targets: [
        Match.objectLike({
          Arn: Match.objectLike({
            'Fn::GetStackOutput': Match.objectLike({ StackName: 'trackman-prod-alerting' }),
          }),
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('StateChangeDeadLetterQueue'), 'Arn'] },
          },
          InputTransformer: Match.objectLike({
            InputPathsMap: Match.objectLike({ 'detail-eventType': '$.detail.eventType' }),
            InputTemplate: Match.stringLikeRegexp(
              'DMS replication trackman-backend to dataengineering-db \\(prod\\)',
            ),
          }),
        }),
      ],
    });
  });
});

describe('replication stack: provisioned instance (replication.dms.mode instance)', () => {
  const template = templateOf(instanceLike());
  const config = validateConfig(instanceLike(), 'prod');

  test('a private Multi-AZ instance in the subnet group, and a task instead of a serverless replication', () => {
    template.resourceCountIs('AWS::DMS::ReplicationConfig', 0);
    template.hasResourceProperties('AWS::DMS::ReplicationInstance', {
      ReplicationInstanceIdentifier: 'trackman-prod-replication',
      ReplicationInstanceClass: 'dms.r6i.large',
      AllocatedStorage: 100,
      MultiAZ: true,
      PubliclyAccessible: false,
      ReplicationSubnetGroupIdentifier: { Ref: 'SubnetGroup' },
    });
    template.hasResourceProperties('AWS::DMS::ReplicationTask', {
      ReplicationTaskIdentifier: 'trackman-prod-trackman-backend',
      MigrationType: 'full-load-and-cdc',
      ReplicationInstanceArn: { Ref: Match.stringLikeRegexp('^Instance') },
      TableMappings: Match.serializedJson(tableMappings(config.sources[0])),
      ReplicationTaskSettings: Match.serializedJson(replicationSettings(config.replication)),
    });
  });

  test('the latency alarms watch the task by instance and task identifier; the rule takes task events', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CDCLatencyTarget',
      Dimensions: [
        { Name: 'ReplicationInstanceIdentifier', Value: 'trackman-prod-replication' },
        {
          Name: 'ReplicationTaskIdentifier',
          Value: {
            'Fn::Select': [
              6,
              { 'Fn::Split': [':', { Ref: Match.stringLikeRegexp('^Replicationtrackmanbackend') }] },
            ],
          },
        },
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'detail-type': ['DMS Replication Task State Change'] }),
    });
  });

  test("the instance's CPU and free storage page, breaching when the instance publishes nothing", () => {
    const dimensions = [{ Name: 'ReplicationInstanceIdentifier', Value: 'trackman-prod-replication' }];
    for (const [MetricName, Threshold, ComparisonOperator] of [
      ['CPUUtilization', 80, 'GreaterThanOrEqualToThreshold'],
      // 20% of the 100 GiB allocated.
      ['FreeStorageSpace', 20 * 1024 ** 3, 'LessThanThreshold'],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/DMS',
        MetricName,
        Dimensions: dimensions,
        Threshold,
        ComparisonOperator,
        EvaluationPeriods: 3,
        TreatMissingData: 'breaching',
        AlarmActions: [Match.anyValue()],
      });
    }
    // Serverless capacity has no instance to watch.
    const serverless = templateOf(devLike);
    expect(
      Object.values(serverless.findResources('AWS::CloudWatch::Alarm')).filter(
        (alarm) => alarm.Properties.MetricName === 'FreeStorageSpace',
      ),
    ).toEqual([]);
  });
});

describe('replication stack: sources across a transit gateway', () => {
  const config = copyOf(devLike);
  config.network = {
    mode: 'create',
    cidr: '10.40.0.0/20',
    maxAzs: 2,
    sourceTransitGateway: { sourcePrefixListId: 'pl-0123456789abcdef0' },
  } as EnvironmentConfigInput['network'];
  const template = templateOf(config);

  test("DMS reaches the source's prefix list, and leaves admitting the data VPC's range to the network stack", () => {
    // The network stack's one rule per group and port admits every client in the data VPC; a
    // second identical rule here would fail with InvalidPermission.Duplicate.
    template.resourcePropertiesCountIs(
      'AWS::EC2::SecurityGroupIngress',
      { GroupId: 'sg-0123456789abcdef0' },
      0,
    );
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      DestinationPrefixListId: 'pl-0123456789abcdef0',
      FromPort: 5432,
    });
  });
});

test('no replication stack when replication.enabled is false', () => {
  const config = copyOf(devLike);
  config.replication = { ...config.replication, enabled: false };
  expect(buildStageWith(config).replication).toBeUndefined();
});

describe('adding a replicated table (issue 9: no replacement where DMS allows it)', () => {
  const withTable = (config: EnvironmentConfigInput): EnvironmentConfigInput => {
    const grown = copyOf(config);
    grown.sources[0].tables.push({
      schema: 'public',
      name: 'clubs',
      primaryKey: ['id'],
      lake: { mode: 'incremental', bookmarkKeys: ['updated_at', 'id'], bookmarkKind: 'update-timestamp' },
      replicate: true,
    });
    return grown;
  };
  const replications = (template: Template, type: string) =>
    Object.entries(template.findResources(type)).map(([id, resource]) => ({
      id,
      properties: resource.Properties as Record<string, unknown>,
    }));

  test('a provisioned task keeps its logical id and identifier: only its mappings change, in place', () => {
    const [before] = replications(templateOf(instanceLike()), 'AWS::DMS::ReplicationTask');
    const [after] = replications(templateOf(withTable(instanceLike())), 'AWS::DMS::ReplicationTask');
    expect(after.id).toBe(before.id);
    const changed = Object.keys({ ...before.properties, ...after.properties }).filter(
      (key) => JSON.stringify(before.properties[key]) !== JSON.stringify(after.properties[key]),
    );
    expect(changed).toEqual(['TableMappings']);
    expect(after.properties.TableMappings as string).toContain('"clubs"');
  });

  test('a serverless replication is made anew (DMS cannot modify one that has started)', () => {
    const [before] = replications(templateOf(prodLike), 'AWS::DMS::ReplicationConfig');
    const [after] = replications(templateOf(withTable(prodLike)), 'AWS::DMS::ReplicationConfig');
    expect(after.id).not.toBe(before.id);
    expect(after.properties.ReplicationConfigIdentifier).not.toBe(
      before.properties.ReplicationConfigIdentifier,
    );
  });
});
