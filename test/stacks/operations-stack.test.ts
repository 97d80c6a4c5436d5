/**
 * The operations stack, built from the fixtures: the freshness probe wired in, an alarm on every
 * component with the right metric and dimensions, the dashboard (order, SLO lines, no per-table
 * widgets), and what changes when replication is off or dataengineering-db exists already.
 */
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { EnvironmentConfigInput } from '../../lib/config';
import { defaultMaxConnections, instanceClassMemoryGiB } from '../../lib/constructs/component-alarms';
import type { EnvironmentStage } from '../../lib/stages/environment-stage';
import { copyOf, devLike, prodLike, PROD_ACCOUNT, REGION } from '../fixtures/configs';
import { buildStageWith } from '../helpers/synth';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

/** Alarms of a template by logical id prefix (the construct path). */
function alarmsLike(template: Template, prefix: string): Record<string, any>[] {
  const alarms = template.findResources('AWS::CloudWatch::Alarm') as Resources;
  return Object.entries(alarms)
    .filter(([id]) => id.startsWith(prefix))
    .map(([, alarm]) => alarm.Properties);
}

function onlyAlarm(template: Template, prefix: string): Record<string, any> {
  const found = alarmsLike(template, prefix);
  expect({ prefix, count: found.length }).toEqual({ prefix, count: 1 });
  return found[0];
}

/** The dashboard body with its tokens (Fn::Join parts) as JSON strings, parsed back. */
function dashboardBody(template: Template): { widgets: any[] } {
  const dashboards = template.findResources('AWS::CloudWatch::Dashboard') as Resources;
  expect(Object.keys(dashboards)).toHaveLength(1);
  const body = Object.values(dashboards)[0].Properties.DashboardBody;
  const text =
    typeof body === 'string'
      ? body
      : (body['Fn::Join'][1] as unknown[])
          .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
          .join('');
  return JSON.parse(text) as { widgets: any[] };
}

function dashboardOf(template: Template): { name: string; raw: unknown } {
  const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard') as Resources)[0];
  return { name: dashboard.Properties.DashboardName, raw: dashboard.Properties.DashboardBody };
}

/** The logical id of a resource of another stack that a cross-stack reference in this template names. */
function functionIdOf(stage: EnvironmentStage, description: RegExp): string {
  const functions = Template.fromStack(stage.ingestion).findResources('AWS::Lambda::Function', {
    Properties: { Description: Match.stringLikeRegexp(description.source) },
  });
  expect(Object.keys(functions)).toHaveLength(1);
  return Object.keys(functions)[0];
}

describe.each([
  ['dev', devLike, { memoryGiB: 4, allocatedGiB: 20 }],
  ['prod', prodLike, { memoryGiB: 16, allocatedGiB: 100 }],
] as [string, EnvironmentConfigInput, { memoryGiB: number; allocatedGiB: number }][])(
  'operations stack (%s fixture)',
  (env, fixture, db) => {
    const stage = buildStageWith(fixture);
    const template = Template.fromStack(stage.operations);
    const json = template.toJSON() as { Resources: Resources };
    const text = JSON.stringify(json);

    test('is named trackman-<env>-operations, tagged operations, and deploys after every other stack', () => {
      expect(stage.operations.stackName).toBe(`trackman-${env}-operations`);
      expect(stage.operations.tags.tagValues()).toMatchObject({ Component: 'operations' });
      const others = stage.node.children.filter(
        (child): child is Stack => child instanceof Stack && child !== stage.operations,
      );
      expect(others.length).toBeGreaterThanOrEqual(6);
      expect(stage.operations.dependencies.map((s) => s.node.id).sort()).toEqual(
        others.map((s) => s.node.id).sort(),
      );
      const last = stage.node.children.filter((child) => child instanceof Stack).at(-1);
      expect(last).toBe(stage.operations);
    });

    test('wires the freshness probe: a function in the data subnets, two schedules, nine alarms', () => {
      template.resourceCountIs('AWS::Scheduler::Schedule', 2);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('lake and replica lag'),
        VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
      });
      // Lake and replica: lag, probe failure, reconciliation gap; plus unknown lake lag.
      expect(alarmsLike(template, 'FreshnessProbe')).toHaveLength(9);
      // Every table of the fixture is in the freshness input.
      const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule') as Resources);
      for (const schedule of schedules) {
        const input = JSON.stringify(schedule.Properties.Target.Input);
        for (const table of ['sessions', 'shots', 'players', 'facilities']) expect(input).toContain(table);
      }
    });

    test('Lambda Errors and Throttles on start-ingestion, the Glue failure notifier and the probe', () => {
      const startIngestion = functionIdOf(stage, /^Starts a lake ingestion run/);
      const notifier = functionIdOf(stage, /^Turns failed lake ingestion job runs/);
      for (const [name, fnId] of [
        ['startingestion', startIngestion],
        ['gluefailurenotifier', notifier],
      ] as const) {
        for (const metric of ['Errors', 'Throttles']) {
          const alarm = onlyAlarm(template, `FunctionAlarms${name}${metric}Alarm`);
          expect(alarm).toMatchObject({
            Namespace: 'AWS/Lambda',
            MetricName: metric,
            Statistic: 'Sum',
            Period: 300,
            Threshold: 1,
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
            TreatMissingData: 'notBreaching',
          });
          // The function of the ingestion stack, through its output.
          const dimension = JSON.stringify(alarm.Dimensions);
          expect(dimension).toContain('FunctionName');
          expect(dimension).toContain(fnId);
        }
      }
      for (const metric of ['Errors', 'Throttles']) {
        const alarm = onlyAlarm(template, `FunctionAlarmsfreshnessprobe${metric}Alarm`);
        expect(alarm.Dimensions).toEqual([
          { Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^FreshnessProbeFunction/) } },
        ]);
      }
    });

    test('the workflow: failed, timed out and aborted executions, and the heartbeat', () => {
      for (const [id, metric] of [
        ['Failed', 'ExecutionsFailed'],
        ['TimedOut', 'ExecutionsTimedOut'],
        ['Aborted', 'ExecutionsAborted'],
      ]) {
        const alarm = onlyAlarm(template, `WorkflowAlarms${id}Alarm`);
        expect(alarm).toMatchObject({
          Namespace: 'AWS/States',
          MetricName: metric,
          Statistic: 'Sum',
          Threshold: 1,
          TreatMissingData: 'notBreaching',
        });
        expect(alarm.Dimensions[0].Name).toBe('StateMachineArn');
      }
      // 15-minute schedule: a start expected in every 30 minutes; none (no data) is breaching.
      expect(onlyAlarm(template, 'WorkflowAlarmsHeartbeatAlarm')).toMatchObject({
        Namespace: 'AWS/States',
        MetricName: 'ExecutionsStarted',
        Dimensions: [
          {
            Name: 'StateMachineArn',
            Value: {
              'Fn::GetStackOutput': expect.objectContaining({
                StackName: `trackman-${env}-ingestion`,
                OutputName: expect.stringContaining('WorkflowStateMachine'),
              }),
            },
          },
        ],
        Statistic: 'Sum',
        Period: 1800,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'breaching',
      });
    });

    test("Glue job failures: TriggeredRules of the ingestion stack's job-state rule", () => {
      const rules = Template.fromStack(stage.ingestion).findResources('AWS::Events::Rule', {
        Properties: { EventPattern: { 'detail-type': ['Glue Job State Change'] } },
      });
      expect(Object.keys(rules)).toHaveLength(1);
      const alarm = onlyAlarm(template, 'JobFailureAlarm');
      expect(alarm).toMatchObject({
        Namespace: 'AWS/Events',
        MetricName: 'TriggeredRules',
        Statistic: 'Sum',
        Threshold: 1,
        TreatMissingData: 'notBreaching',
      });
      expect(alarm.Dimensions[0].Name).toBe('RuleName');
      expect(JSON.stringify(alarm.Dimensions[0].Value)).toContain(Object.keys(rules)[0]);
    });

    test('dataengineering-db: CPU, free storage and connections of the instance, missing data breaching', () => {
      const maxConnections = Math.floor((db.memoryGiB * 1024 ** 3) / 9531392);
      const expected = {
        Cpu: {
          MetricName: 'CPUUtilization',
          Threshold: 80,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        },
        FreeStorage: {
          MetricName: 'FreeStorageSpace',
          Threshold: db.allocatedGiB * 0.05 * 1024 ** 3,
          ComparisonOperator: 'LessThanThreshold',
        },
        Connections: {
          MetricName: 'DatabaseConnections',
          Threshold: Math.floor(maxConnections * 0.8),
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        },
      };
      for (const [id, props] of Object.entries(expected)) {
        const alarm = onlyAlarm(template, `DatabaseAlarms${id}Alarm`);
        expect(alarm).toMatchObject({
          ...props,
          Namespace: 'AWS/RDS',
          EvaluationPeriods: 3,
          DatapointsToAlarm: 3,
          TreatMissingData: 'breaching',
        });
        expect(alarm.Dimensions[0].Name).toBe('DBInstanceIdentifier');
      }
    });

    test('every alarm of the stack notifies on alarm and on OK', () => {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources);
      // probe 9, functions 6, workflow 4, Glue jobs 1, database 3, backup 3 (no cross-region copy)
      expect(alarms.length).toBe(9 + 6 + 4 + 1 + 3 + 3);
      for (const alarm of alarms) {
        expect(alarm.Properties.AlarmActions).toHaveLength(1);
        expect(alarm.Properties.OKActions).toEqual(alarm.Properties.AlarmActions);
      }
    });

    describe('dashboard', () => {
      const body = dashboardBody(template);
      const markdown = body.widgets
        .filter((w) => w.type === 'text')
        .map((w) => w.properties.markdown as string);
      const graphs = body.widgets.filter((w) => w.type === 'metric');

      test('is named trackman-<env>-platform, with its URL as an output', () => {
        expect(dashboardOf(template).name).toBe(`trackman-${env}-platform`);
        expect(text).toContain(`#dashboards:name=trackman-${env}-platform`);
      });

      test('sections in order: freshness, ingestion, replication, storage, cost', () => {
        const sections = ['## Freshness', '## Ingestion', '## Replication', '## Storage', '## Cost'];
        const positions = sections.map((heading) => markdown.findIndex((m) => m.includes(heading)));
        expect(positions).toEqual([0, 1, 2, 3, 4]);
        // The first graph is freshness: the lake's worst table against the SLO.
        expect(graphs[0].properties.title).toBe('Lake lag, worst table (minutes)');
      });

      test('freshness of each table against the SLO line, for the lake and dataengineering-db', () => {
        const lag = graphs.filter((g) => / lag, worst table| lag per table/.test(g.properties.title));
        expect(lag.map((g) => g.properties.title)).toEqual([
          'Lake lag, worst table (minutes)',
          'Lake lag per table (minutes)',
          'dataengineering-db lag, worst table (minutes)',
          'dataengineering-db lag per table (minutes)',
        ]);
        for (const graph of lag) {
          const slo = graph.properties.title.startsWith('Lake') ? 60 : 30;
          expect(graph.properties.annotations.horizontal).toEqual([
            expect.objectContaining({ value: slo, label: `SLO ${slo} min` }),
            expect.objectContaining({ value: slo * 0.75 }),
          ]);
        }
        // Per table: one SEARCH over the probe's per-table metric, not one metric per table.
        const perTable = JSON.stringify(lag[1].properties.metrics);
        expect(perTable).toContain(
          `SEARCH('{TrackmanFreshness,destination,service,source,table} MetricName=\\"LagSeconds\\" destination=\\"lake\\"', 'Maximum', 300)`,
        );
        expect(JSON.stringify(body)).not.toContain('"table","public.');
      });

      test('replication latency against the SLO, storage by S3 daily metrics, cost against the budget', () => {
        const byTitle = (title: string) => graphs.find((g) => g.properties.title === title);
        const cdc = JSON.stringify(byTitle('CDC latency (minutes)'));
        // DMS Serverless in both fixtures: the replications' metrics by ReplicationConfigId.
        for (const metric of ['CDCLatencySource', 'CDCLatencyTarget']) {
          expect(cdc).toContain(
            `SEARCH('{AWS/DMS,ReplicationConfigId} MetricName=\\"${metric}\\"', 'Maximum', 60) / 60`,
          );
        }
        expect(byTitle('CDC latency (minutes)').properties.annotations.horizontal[0]).toMatchObject({
          value: 30,
        });
        const bucket = env === 'prod' ? 'trackman-lake' : `trackman-dev-lake-111111111111-${REGION}`;
        expect(JSON.stringify(byTitle('Lake size by storage class (GiB)'))).toContain(
          `{AWS/S3,BucketName,StorageType} MetricName=\\"BucketSizeBytes\\" BucketName=\\"${bucket}\\"`,
        );
        const cost = byTitle('Estimated charges, month to date (USD)');
        expect(cost.properties.region).toBe('us-east-1');
        expect(cost.properties.annotations.horizontal[0].value).toBe(fixture.monthlyBudgetUsd);
      });

      test('stays far under the dashboard quotas (500 widgets, 500 metrics per widget, 2,500 per dashboard)', () => {
        expect(body.widgets.length).toBeLessThan(40);
        const metrics = graphs.map((g) => (g.properties.metrics as unknown[]).length);
        expect(Math.max(...metrics)).toBeLessThan(50);
        expect(metrics.reduce((a, b) => a + b, 0)).toBeLessThan(200);
      });
    });
  },
);

describe('the dashboard does not grow with the tables', () => {
  test('30 more tables (34 in all) leave the dashboard body unchanged', () => {
    const many = copyOf(devLike);
    // Enough concurrency that the SLO budget still holds with 34 tables (one round of 40).
    many.ingestion = { ...many.ingestion, maxConcurrency: 40 };
    for (let i = 0; i < 30; i++) {
      many.sources[0].tables.push({
        schema: 'public',
        name: `extra_${i}`,
        primaryKey: ['id'],
        lake: { mode: 'incremental', bookmarkKeys: ['updated_at', 'id'], bookmarkKind: 'update-timestamp' },
        replicate: true,
      });
    }
    const few = dashboardOf(Template.fromStack(buildStageWith(devLike).operations)).raw;
    const more = dashboardOf(Template.fromStack(buildStageWith(many).operations)).raw;
    expect(JSON.stringify(more)).toEqual(JSON.stringify(few));
  });
});

describe('replication off', () => {
  const config = copyOf(devLike);
  config.replication = { ...config.replication, enabled: false };
  const stage = buildStageWith(config);
  const template = Template.fromStack(stage.operations);

  test('the probe measures the lake only; no database alarms; no replication section', () => {
    expect(stage.replication).toBeUndefined();
    expect(alarmsLike(template, 'FreshnessProbe')).toHaveLength(5);
    expect(alarmsLike(template, 'FreshnessProbeReplica')).toHaveLength(0);
    expect(alarmsLike(template, 'DatabaseAlarms')).toHaveLength(0);
    const body = dashboardBody(template);
    const text = JSON.stringify(body);
    expect(text).not.toContain('## Replication');
    expect(text).not.toContain('dataengineering-db lag');
  });
});

describe('restore tests of dataengineering-db (prod fixture)', () => {
  const stage = buildStageWith(prodLike);
  const template = Template.fromStack(stage.operations);
  const database = stage.replicaDatabase!;

  test("restore into the database's own subnet group and parameter group, not the default VPC", () => {
    const [selection] = Object.values(template.findResources('AWS::Backup::RestoreTestingSelection'));
    const overrides = selection.Properties.RestoreMetadataOverrides as Record<string, unknown>;
    expect(Object.keys(overrides).sort()).toEqual([
      'dbParameterGroupName',
      'dbSubnetGroupName',
      'vpcSecurityGroupIds',
    ]);
    // Each reads an output of the replica database stack (Fn::GetStackOutput): resolve the output it names.
    const databaseTemplate = Template.fromStack(database).toJSON() as {
      Outputs: Record<string, { Value: unknown }>;
    };
    const exported = (value: unknown): unknown => {
      const read = (value as { 'Fn::GetStackOutput': { StackName: string; OutputName: string } })[
        'Fn::GetStackOutput'
      ];
      expect(read.StackName).toBe(database.stackName);
      return databaseTemplate.Outputs[read.OutputName].Value;
    };
    const restoreTarget = database.created!.restoreTarget;
    expect(exported(overrides.dbSubnetGroupName)).toEqual(database.resolve(restoreTarget.subnetGroupName));
    expect(exported(overrides.dbParameterGroupName)).toEqual(
      database.resolve(restoreTarget.parameterGroupName),
    );
    expect(JSON.stringify(overrides.vpcSecurityGroupIds)).toMatch(
      /^\{"Fn::Join":\["",\["\[\\"",\{"Fn::GetAtt":\[/,
    );
  });
});

describe('dataengineering-db exists already', () => {
  const config = copyOf(prodLike);
  config.replication = {
    ...config.replication,
    database: {
      mode: 'existing',
      host: 'dataengineering.cluster-example.eu-west-1.rds.amazonaws.com',
      port: 5432,
      databaseName: 'dataengineering',
      credentialsSecretArn: `arn:aws:secretsmanager:${REGION}:${PROD_ACCOUNT}:secret:dataengineering/dms-target-QwErTy`,
      securityGroupId: 'sg-0bbbbbbbbbbbbbbb1',
    },
  };
  const stage = buildStageWith(config);
  const template = Template.fromStack(stage.operations);

  test('no restore testing of it: the app has no restore target for a database it does not own', () => {
    expect(stage.replicaDatabase!.created).toBeUndefined();
    template.resourceCountIs('AWS::Backup::RestoreTestingSelection', 0);
  });

  test('no RDS alarms (its owner monitors it); the probe still measures replica lag', () => {
    expect(alarmsLike(template, 'DatabaseAlarms')).toHaveLength(0);
    expect(alarmsLike(template, 'FreshnessProbeReplicaLagAlarm')).toHaveLength(1);
  });
});

describe('max_connections from the instance class', () => {
  test.each([
    ['db.t4g.micro', 1],
    ['db.t4g.medium', 4],
    ['db.t3.2xlarge', 32],
    ['db.m7g.large', 8],
    ['db.m6i.2xlarge', 32],
    ['db.r7g.large', 16],
    ['db.r6gd.12xlarge', 384],
  ])('%s has %d GiB', (instanceClass, gib) => {
    expect(instanceClassMemoryGiB(instanceClass)).toBe(gib);
  });

  test('an unknown family has no memory, and the stage says which class it cannot size', () => {
    expect(instanceClassMemoryGiB('db.x2g.large')).toBeUndefined();
    const config = copyOf(prodLike);
    config.replication = {
      ...config.replication,
      database: { mode: 'create', instanceClass: 'db.x2g.large', multiAz: true },
    };
    expect(() => buildStageWith(config)).toThrow(
      'DatabaseAlarms for dataengineering-db (prod): expected an instance class of the t, m or r families ' +
        '(db.t4g.medium, db.m7g.xlarge, db.r7g.2xlarge, ...) to derive max_connections; received "db.x2g.large"',
    );
  });

  test('RDS caps the default at 5000', () => {
    expect(defaultMaxConnections(4)).toBe(450);
    expect(defaultMaxConnections(768)).toBe(5000);
  });
});

describe('stateful resources of the operations stack keep their logical ids', () => {
  // Renaming one replaces it: a new vault without the recovery points, a new trail bucket.
  const template = Template.fromStack(buildStageWith(prodLike).operations);
  test.each([
    ['AWS::Backup::BackupVault', 'BackupVault368E0ECE'],
    ['AWS::KMS::Key', 'BackupVaultKeyA286A54F'],
    ['AWS::S3::Bucket', 'AuditTrailBucketA91FD435'],
    ['AWS::KMS::Key', 'AuditTrailKeyA4D56A7A'],
  ])('%s %s, retained in prod', (type, id) => {
    if (type === 'AWS::Backup::BackupVault') {
      // A fixed name, so the vault's identity does not hang on the construct tree.
      expect(template.toJSON().Resources[id]?.Properties?.BackupVaultName).toBe('trackman-prod-backup');
    }
    const resource = template.toJSON().Resources[id];
    expect(resource?.Type).toBe(type);
    expect(resource?.DeletionPolicy).toBe('RetainExceptOnCreate');
  });
});
