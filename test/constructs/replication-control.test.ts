/**
 * ReplicationControl in a small stack of its own, around a stub replication
 * of each kind: the DependsOn order, IAM scoped to the replication's ARN, the
 * Provider's waiter within CloudFormation's one-hour limit, one handler per
 * stack, and no cdk-nag finding.
 */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dms from 'aws-cdk-lib/aws-dms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { WAITER } from '../../lambda/replication-control/contract';
import { LogsKey } from '../../lib/constructs/logs-key';
import { ReplicationControl } from '../../lib/constructs/replication-control';

const ENDPOINT = 'arn:aws:dms:eu-west-1:111111111111:endpoint:';

function newStack() {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'ReplicationControlTest', {
    env: { account: '111111111111', region: 'eu-west-1' },
  });
  const logsKey = new LogsKey(stack, 'LogsKey', { purpose: 'test', removalPolicy: RemovalPolicy.DESTROY });
  const common = {
    logsKey,
    logRetention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  };
  return { stack, common };
}

function serverless(stack: Stack, id: string, identifier: string) {
  return new dms.CfnReplicationConfig(stack, id, {
    replicationConfigIdentifier: identifier,
    replicationType: 'full-load-and-cdc',
    sourceEndpointArn: `${ENDPOINT}SOURCE`,
    targetEndpointArn: `${ENDPOINT}TARGET`,
    tableMappings: { rules: [] },
    computeConfig: { maxCapacityUnits: 4 },
  });
}

function task(stack: Stack, id: string, identifier?: string) {
  return new dms.CfnReplicationTask(stack, id, {
    replicationTaskIdentifier: identifier,
    migrationType: 'full-load-and-cdc',
    replicationInstanceArn: 'arn:aws:dms:eu-west-1:111111111111:rep:INSTANCE',
    sourceEndpointArn: `${ENDPOINT}SOURCE`,
    targetEndpointArn: `${ENDPOINT}TARGET`,
    tableMappings: '{"rules":[]}',
  });
}

const { stack, common } = newStack();
const config = serverless(stack, 'Replication', 'trackman-dev-dedb');
const taskReplication = task(stack, 'Task', 'trackman-dev-dedb-task');
taskReplication.applyRemovalPolicy(RemovalPolicy.RETAIN);
const control = new ReplicationControl(stack, 'Control', {
  ...common,
  replication: config,
  settingsHash: 'h1',
});
const TABLES = [
  { SchemaName: 'public', TableName: 'shots' },
  { SchemaName: 'public', TableName: 'bays' },
];
const taskControl = new ReplicationControl(stack, 'TaskControl', {
  ...common,
  replication: taskReplication,
  settingsHash: 'h2',
  tables: TABLES,
});
let template: Template;
let resources: Record<string, { Type: string; DependsOn?: string[]; Properties?: Record<string, unknown> }>;

beforeAll(() => {
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

const id = (
  construct: { node: { defaultChild?: unknown } } | dms.CfnReplicationConfig | dms.CfnReplicationTask,
) =>
  stack.getLogicalId(
    (construct instanceof dms.CfnReplicationConfig || construct instanceof dms.CfnReplicationTask
      ? construct
      : construct.node.defaultChild) as dms.CfnReplicationConfig,
  );

/** Every logical id `logicalId` waits for, through DependsOn, Ref and Fn::GetAtt. */
function dependenciesOf(logicalId: string, seen = new Set<string>()): Set<string> {
  const resource = resources[logicalId];
  const direct = new Set<string>(resource.DependsOn ?? []);
  JSON.stringify(resource.Properties ?? {}, (key, value: unknown) => {
    if (key === 'Ref' && typeof value === 'string' && value in resources) direct.add(value);
    if (key === 'Fn::GetAtt' && Array.isArray(value) && typeof value[0] === 'string') direct.add(value[0]);
    return value;
  });
  for (const dep of direct) {
    if (seen.has(dep)) continue;
    seen.add(dep);
    dependenciesOf(dep, seen);
  }
  return seen;
}

describe('ReplicationControl', () => {
  test('orders BeforeChange -> replication -> AfterChange, without a cycle', () => {
    const before = id(control.beforeChange);
    const after = id(control.afterChange);
    expect(resources[id(config)].DependsOn).toContain(before);
    expect(resources[after].DependsOn).toEqual(
      expect.arrayContaining([id(config), id(control.startStopPolicy)]),
    );
    expect(dependenciesOf(id(config))).toContain(before);
    expect(dependenciesOf(after)).toContain(id(config));
    // BeforeChange must not wait for the replication (directly or through the handler's permissions).
    expect(dependenciesOf(before)).not.toContain(id(config));
    for (const logicalId of Object.keys(resources)) {
      expect(dependenciesOf(logicalId)).not.toContain(logicalId);
    }
  });

  test('passes the replication to the custom resources: BeforeChange by identifier, AfterChange with its ARN', () => {
    expect(resources[id(control.beforeChange)]).toMatchObject({
      Type: 'Custom::DmsReplicationBeforeChange',
      Properties: {
        Role: 'BeforeChange',
        Kind: 'serverless',
        ReplicationIdentifier: 'trackman-dev-dedb',
        SettingsHash: 'h1',
        ServiceTimeout: '3600',
      },
    });
    expect(resources[id(control.beforeChange)].Properties).not.toHaveProperty('ReplicationArn');
    expect(resources[id(control.afterChange)].Properties).toMatchObject({
      Role: 'AfterChange',
      ReplicationArn: { 'Fn::GetAtt': [id(config), 'ReplicationConfigArn'] },
    });
    expect(resources[id(taskControl.afterChange)].Properties).toMatchObject({
      Kind: 'instance',
      ReplicationArn: { Ref: id(taskReplication) },
      // What a modification added is reloaded: the task's AfterChange lists its tables.
      Tables: TABLES,
    });
    expect(resources[id(taskControl.beforeChange)].Properties).not.toHaveProperty('Tables');
    expect(resources[id(control.afterChange)].Properties).not.toHaveProperty('Tables');
  });

  test("grants start, stop (and a task's table reloads) on the replication ARN only, and describe where DMS has no resource-level permissions", () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: ['dms:StartReplication', 'dms:StopReplication'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [id(config), 'ReplicationConfigArn'] },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: [
              'dms:StartReplicationTask',
              'dms:StopReplicationTask',
              'dms:DescribeTableStatistics',
              'dms:ReloadTables',
            ],
            Effect: 'Allow',
            Resource: { Ref: id(taskReplication) },
          },
        ],
      },
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) =>
        policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const dmsStatements = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('dms:')));
    for (const statement of dmsStatements) {
      const actions = [statement.Action].flat();
      if (statement.Resource === '*') {
        expect(actions.sort()).toEqual(['dms:DescribeReplicationTasks', 'dms:DescribeReplications']);
      } else {
        expect(
          actions.every((a) =>
            /^dms:((Start|Stop)Replication(Task)?|DescribeTableStatistics|ReloadTables)$/.test(a),
          ),
        ).toBe(true);
      }
    }
    expect(dmsStatements).toHaveLength(3);
  });

  test("polls every 30 s for 55 minutes, within CloudFormation's one hour", () => {
    expect(WAITER.totalTimeoutSeconds).toBeLessThan(3600);
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(machines).toHaveLength(1);
    const definition = JSON.stringify(machines[0].Properties.DefinitionString);
    expect(definition).toContain(
      '\\"Retry\\":[{\\"ErrorEquals\\":[\\"States.ALL\\"],\\"IntervalSeconds\\":30,\\"MaxAttempts\\":110,\\"BackoffRate\\":1}]',
    );
  });

  test('makes one handler and one Provider per stack, whatever the number of replications', () => {
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Description: Match.stringLikeRegexp('^Starts, stops and resumes DMS replications') },
      1,
    );
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Starts, stops and resumes'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
    });
  });

  test('keeps a retained replication running when the stack goes: its AfterChange is retained too', () => {
    expect(template.toJSON().Resources[id(taskControl.afterChange)].DeletionPolicy).toBe('Retain');
    expect(template.toJSON().Resources[id(control.afterChange)].DeletionPolicy).toBe('Delete');
  });

  test('has no unacknowledged cdk-nag finding', () => {
    const report = new AwsSolutionsChecks(stack).validateScope(stack);
    const findings = report.violations.flatMap((violation) =>
      violation.violatingResources.map(
        (resource) => `${violation.ruleName} at ${resource.resourceLogicalId}`,
      ),
    );
    expect(findings).toEqual([]);
  });

  test('rejects a task without identifier, with the reason', () => {
    const other = newStack();
    expect(
      () =>
        new ReplicationControl(other.stack, 'Control', {
          ...other.common,
          replication: task(other.stack, 'Task'),
          settingsHash: 'h',
        }),
    ).toThrow(
      'ReplicationControl at ReplicationControlTest/Task: expected the replication task to have a replicationTaskIdentifier ' +
        '(the custom resource that runs before a change finds it by identifier); received none',
    );
  });

  test("refuses a task whose table list could not fit the Provider's Step Functions input", () => {
    const { stack: other, common: otherCommon } = newStack();
    const many = Array.from({ length: 1000 }, (_, i) => ({
      SchemaName: `schema_${'s'.repeat(40)}`,
      TableName: `table_${i}_${'t'.repeat(40)}`,
    }));
    expect(
      () =>
        new ReplicationControl(other, 'Control', {
          ...otherCommon,
          replication: task(other, 'Task', 'trackman-dev-dedb-task'),
          settingsHash: 'h',
          tables: many,
        }),
    ).toThrow(/the task's 1000 tables take \d+ bytes as a custom resource property; expected at most 65536/);
  });
});
