import {
  ArnFormat,
  CfnDeletionPolicy,
  CustomResource,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import * as dms from 'aws-cdk-lib/aws-dms';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import {
  CONTROL_PROPERTIES,
  WAITER,
  type ControlRole,
  type ReplicationKind,
} from '../../lambda/replication-control/contract';
import type { SourceTable } from '../../lambda/replication-control/event';
import type { LogsKey } from './logs-key';
import { NodeFunction } from './node-function';

/** A replication the construct can control: DMS Serverless, or a task on a replication instance. */
export type ControlledReplication = dms.CfnReplicationConfig | dms.CfnReplicationTask;

/**
 * The IAM actions each kind takes on its replication, which DMS scopes to the replication's ARN: start
 * and stop; for a task also its table statistics and the reload of the tables a modification adds.
 */
export const REPLICATION_ACTIONS: Readonly<Record<ReplicationKind, readonly string[]>> = {
  serverless: ['dms:StartReplication', 'dms:StopReplication'],
  instance: [
    'dms:StartReplicationTask',
    'dms:StopReplicationTask',
    'dms:DescribeTableStatistics',
    'dms:ReloadTables',
  ],
};

/** The describe calls the function makes; DMS has no resource-level permissions for them. */
export const DESCRIBE_ACTIONS = ['dms:DescribeReplications', 'dms:DescribeReplicationTasks'] as const;

/**
 * The Provider framework runs isComplete in a Step Functions state machine whose input is the whole
 * request: the task's table list can be in it three times (ResourceProperties, OldResourceProperties
 * and the tables to reload), within Step Functions' 256 KiB per payload, with room for the rest.
 */
export const CONTROL_TABLES_BUDGET_BYTES = 64 * 1024;

/** CloudFormation's limit for one custom resource operation, and what the custom resources ask for. */
export const CUSTOM_RESOURCE_SERVICE_TIMEOUT = Duration.seconds(3600);

export interface ReplicationControlProps {
  /**
   * The replication to start after create, stop before delete, and stop and
   * resume around a modification. Its identifier (`replicationConfigIdentifier`
   * or `replicationTaskIdentifier`) must be set: the custom resource that runs
   * before a change finds it by identifier, as taking its ARN would make a cycle.
   */
  readonly replication: ControlledReplication;
  /**
   * A hash of everything whose change makes CloudFormation modify the
   * replication (settings, table mappings, capacity, ...). A new value stops
   * the replication before the change and resumes it after; the same value
   * leaves a running replication alone.
   */
  readonly settingsHash: string;
  /** Encrypts the function's log groups (the first ReplicationControl of a stack sets up the shared handler). */
  readonly logsKey: LogsKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /**
   * The source tables the replication reads. For a task, the tables a modification adds are reloaded
   * once it resumes (lambda/replication-control/decide.ts, addedTables). A serverless replication is
   * replaced rather than modified and ignores them.
   */
  readonly tables?: readonly SourceTable[];
  /** The schema the mappings rename the source schemas to, if any (the task's statistics may use it). */
  readonly targetSchema?: string;
}

/**
 * The handler and the CDK Provider behind every ReplicationControl of a stack:
 * made once per stack, by the first ReplicationControl.
 */
export class ReplicationControlProvider extends Construct {
  /** Construct id of the singleton, at the stack's root. */
  public static readonly ID = 'ReplicationControlProvider';

  /** The stack's provider, made with `props` if it does not exist yet. */
  public static of(scope: Construct, props: Omit<ReplicationControlProps, 'replication' | 'settingsHash'>) {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(ReplicationControlProvider.ID);
    if (existing instanceof ReplicationControlProvider) return existing;
    return new ReplicationControlProvider(stack, ReplicationControlProvider.ID, props);
  }

  public readonly handler: NodeFunction;
  public readonly provider: cr.Provider;
  /** The describe permissions: both custom resources depend on it. */
  public readonly describePolicy: iam.Policy;

  private constructor(
    scope: Construct,
    id: string,
    props: Omit<ReplicationControlProps, 'replication' | 'settingsHash'>,
  ) {
    super(scope, id);
    this.handler = new NodeFunction(this, 'Handler', {
      handlerDir: 'replication-control',
      description:
        'Starts, stops and resumes DMS replications around CloudFormation changes (onEvent and isComplete)',
      environment: {},
      serviceName: 'replication-control',
      metricsNamespace: 'TrackmanReplication',
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      // One describe and at most one start or stop, with the SDK's retries on throttling.
      timeout: Duration.minutes(2),
    });
    // A policy of its own, not the role's default policy: the function does not wait for it,
    // and the custom resources do (see ReplicationControl).
    this.describePolicy = new iam.Policy(this, 'DescribePolicy', {
      roles: [this.handler.role],
      statements: [new iam.PolicyStatement({ actions: [...DESCRIBE_ACTIONS], resources: ['*'] })],
    });
    Validations.of(this.describePolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dms:DescribeReplications and dms:DescribeReplicationTasks have no resource-level permissions (Service Authorization Reference, DMS).',
    });

    const frameworkLogGroup = new logs.LogGroup(this, 'FrameworkLogGroup', {
      encryptionKey: props.logsKey.key,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.handler.function,
      isCompleteHandler: this.handler.function,
      totalTimeout: Duration.seconds(WAITER.totalTimeoutSeconds),
      queryInterval: Duration.seconds(WAITER.queryIntervalSeconds),
      logGroup: frameworkLogGroup,
    });
    acknowledgeFramework(this.provider, this.handler.function);
    restrictFrameworkTrust(this.provider);
  }
}

/**
 * The CDK Provider framework's roles trust their service for any account; the
 * app's other service roles carry the confused-deputy conditions the services
 * document (aws:SourceAccount for Lambda; aws:SourceAccount and the state
 * machine's ARN for Step Functions), so these get them too.
 */
function restrictFrameworkTrust(provider: cr.Provider): void {
  const stack = Stack.of(provider);
  for (const role of provider.node.findAll().filter((child) => child instanceof iam.CfnRole)) {
    const trust = stack.resolve(role.assumeRolePolicyDocument) as {
      Statement: { Principal?: { Service?: string } }[];
    };
    trust.Statement.forEach((statement, i) => {
      const service = statement.Principal?.Service;
      const condition: Record<string, Record<string, string>> = {
        StringEquals: { 'aws:SourceAccount': stack.account },
      };
      if (service === 'states.amazonaws.com') {
        condition.ArnLike = {
          'aws:SourceArn': stack.formatArn({
            service: 'states',
            resource: 'stateMachine',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        };
      }
      if (service !== undefined)
        role.addPropertyOverride(`AssumeRolePolicyDocument.Statement.${i}.Condition`, condition);
    });
  }
}

/** The findings the CDK Provider framework's own resources raise, each with its reason. */
function acknowledgeFramework(provider: cr.Provider, handler: lambda.IFunction): void {
  const acknowledge = (id: string, reason: string) => Validations.of(provider).acknowledge({ id, reason });
  acknowledge(
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'The CDK Provider framework gives its own functions this AWS managed policy; it only lets them write their logs.',
  );
  acknowledge(
    'AwsSolutions-SF1',
    'The waiter state machine of the CDK Provider only polls isComplete; the replication-control function logs every poll.',
  );
  acknowledge(
    'AwsSolutions-SF2',
    'The waiter state machine of the CDK Provider only polls isComplete; the replication-control function it calls is traced.',
  );
  // The framework may invoke every version of each function it calls (`<function ARN>:*`): one function each.
  const stack = Stack.of(provider);
  const functions = [
    handler.node.defaultChild,
    ...provider.node.findAll().filter((child) => child instanceof lambda.CfnFunction),
  ];
  for (const fn of functions) {
    if (!(fn instanceof lambda.CfnFunction)) continue;
    Validations.of(provider).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn)}.Arn>:*]`,
      reason:
        'The CDK Provider framework invokes any version of this one function (lambda:InvokeFunction on <arn>:*).',
    });
  }
}

function identifierOf(replication: ControlledReplication): string {
  const identifier =
    replication instanceof dms.CfnReplicationConfig
      ? replication.replicationConfigIdentifier
      : replication.replicationTaskIdentifier;
  if (identifier === undefined || identifier === '') {
    throw new Error(
      `ReplicationControl at ${replication.node.path}: expected the replication task to have a replicationTaskIdentifier ` +
        '(the custom resource that runs before a change finds it by identifier); received none',
    );
  }
  return identifier;
}

/**
 * Starts a DMS replication after CloudFormation creates it, stops it before
 * CloudFormation deletes it, and around a change of its settings stops it
 * before the modification and resumes it after (DMS modifies a replication
 * only while it is stopped). CloudFormation itself never starts or stops one.
 *
 * Two custom resources frame the replication resource:
 * `BeforeChange` -> replication -> `AfterChange`. Both are served by one
 * function (onEvent and isComplete) behind a CDK Provider whose waiter polls
 * every 30 s for up to 55 minutes, within CloudFormation's one-hour limit for a
 * custom resource. Every call describes the replication first and does only
 * what is missing, so a retried or repeated event is harmless.
 */
export class ReplicationControl extends Construct {
  public readonly kind: ReplicationKind;
  public readonly beforeChange: CustomResource;
  public readonly afterChange: CustomResource;
  /** Start and stop on this replication only, for the shared handler's role. */
  public readonly startStopPolicy: iam.Policy;

  constructor(scope: Construct, id: string, props: ReplicationControlProps) {
    super(scope, id);
    const { replication } = props;
    this.kind = replication instanceof dms.CfnReplicationConfig ? 'serverless' : 'instance';
    // A task's ARN is its Ref (as DmsReplication reads it): the ReplicationTaskArn attribute of newer
    // resource specifications is not in cfn-lint's schema, which knows only Fn::GetAtt Id for a task.
    const arn =
      replication instanceof dms.CfnReplicationConfig
        ? replication.attrReplicationConfigArn
        : replication.ref;
    const shared = ReplicationControlProvider.of(this, props);

    const tablesBytes = Buffer.byteLength(JSON.stringify(props.tables ?? []), 'utf8');
    if (this.kind === 'instance' && tablesBytes > CONTROL_TABLES_BUDGET_BYTES) {
      throw new Error(
        `ReplicationControl at ${this.node.path}: the task's ${props.tables?.length} tables take ${tablesBytes} bytes ` +
          `as a custom resource property; expected at most ${CONTROL_TABLES_BUDGET_BYTES} (three copies must fit ` +
          "the Provider's 256 KiB Step Functions input): split the source's tables over two replications",
      );
    }
    const properties = (role: ControlRole, withArn: boolean) => ({
      [CONTROL_PROPERTIES.role]: role,
      [CONTROL_PROPERTIES.kind]: this.kind,
      [CONTROL_PROPERTIES.identifier]: identifierOf(replication),
      [CONTROL_PROPERTIES.settingsHash]: props.settingsHash,
      ...(withArn ? { [CONTROL_PROPERTIES.arn]: arn } : {}),
      ...(withArn && this.kind === 'instance' && props.tables !== undefined
        ? {
            [CONTROL_PROPERTIES.tables]: props.tables.map(({ SchemaName, TableName }) => ({
              SchemaName,
              TableName,
            })),
          }
        : {}),
    });
    this.beforeChange = new CustomResource(this, 'BeforeChange', {
      serviceToken: shared.provider.serviceToken,
      resourceType: 'Custom::DmsReplicationBeforeChange',
      serviceTimeout: CUSTOM_RESOURCE_SERVICE_TIMEOUT,
      properties: properties('BeforeChange', false),
    });
    this.afterChange = new CustomResource(this, 'AfterChange', {
      serviceToken: shared.provider.serviceToken,
      resourceType: 'Custom::DmsReplicationAfterChange',
      serviceTimeout: CUSTOM_RESOURCE_SERVICE_TIMEOUT,
      properties: properties('AfterChange', true),
    });

    // Its own policy, which names the replication's ARN: in the role's default policy it would make the
    // function, and so BeforeChange, wait for the replication that waits for BeforeChange.
    this.startStopPolicy = new iam.Policy(this, 'StartStopPolicy', {
      roles: [shared.handler.role],
      statements: [
        new iam.PolicyStatement({ actions: [...REPLICATION_ACTIONS[this.kind]], resources: [arn] }),
      ],
    });

    replication.node.addDependency(this.beforeChange);
    this.afterChange.node.addDependency(replication);
    this.afterChange.node.addDependency(this.startStopPolicy);
    this.beforeChange.node.addDependency(shared.describePolicy);
    this.afterChange.node.addDependency(shared.describePolicy);

    // A retained replication outlives the stack: then it keeps running, and is not stopped on delete.
    if (replication.cfnOptions.deletionPolicy === CfnDeletionPolicy.RETAIN) {
      this.afterChange.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }
  }
}
