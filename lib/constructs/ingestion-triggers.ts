import { CfnOutput, Duration, Stack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { GLUE_FAILURE_NOTIFIER_ENV, type JobTable } from '../../lambda/glue-failure-notifier/contract';
import { START_INGESTION_ENV, type IngestionTable } from '../../lambda/start-ingestion/contract';
import { DeadLetterAlarm, deadLetterQueue } from './dead-letter-alarm';
import { FailedInvocations } from './failed-invocations';
import type { LogsKey } from './logs-key';
import { NodeFunction } from './node-function';

/** Where operators and other systems send a request for a run: the default event bus, with this source and detail-type. */
export const INGESTION_REQUEST_EVENT = {
  source: 'trackman.data-platform',
  detailType: 'Lake Ingestion Requested',
};

export interface IngestionTriggersProps {
  readonly environment: string;
  /**
   * Whether a source database may invoke start-ingestion (PostgreSQL's aws_lambda
   * extension): creates the role the DBA associates with the database.
   */
  readonly databaseTrigger: boolean;
  /** false pauses on-demand runs: the request rule is disabled and start-ingestion takes no invocations. */
  readonly enabled: boolean;
  readonly stateMachine: sfn.IStateMachine;
  /** Every lake table with its job, in config order. */
  readonly tables: readonly IngestionTable[];
  /** ARNs of the tables' Glue jobs. */
  /** The environment's ingestion jobs, as an ARN with a trailing `*` (see ingestionJobNamePrefix). */
  readonly jobArnPattern: string;
  /** The name prefix of those jobs, for the job-state rule. */
  readonly jobNamePrefix: string;
  /** Prefix of the jobs' log groups (`<prefix>/output`, `<prefix>/error`). */
  readonly jobLogGroupPrefix: string;
  /** Width of the window in which duplicate triggers map to one execution. */
  readonly dedupWindow: Duration;
  /** A run request older than this (one schedule interval) has been served by the schedule. */
  readonly requestMaxAge: Duration;
  readonly alarmTopic: sns.ITopic;
  readonly logsKey: LogsKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The event-driven edges of ingestion: the start-ingestion function (an
 * operator, an EventBridge event or the source database asks for a run of
 * some tables now), and the Glue failure notifier (a job run that failed,
 * timed out or was stopped becomes an alert a person can act on).
 */
export class IngestionTriggers extends Construct {
  public readonly startIngestion: NodeFunction;
  public readonly failureNotifier: NodeFunction;
  public readonly jobStateRule: events.Rule;
  public readonly requestRule: events.Rule;
  /** Records of asynchronous invocations of either function that failed for good, with their alarm. */
  public readonly failedInvocations: FailedInvocations;
  /** The role a source database assumes to invoke start-ingestion (feature name `Lambda`). */
  public readonly databaseInvokeRole?: iam.Role;

  constructor(scope: Construct, id: string, props: IngestionTriggersProps) {
    super(scope, id);
    const common = {
      metricsNamespace: 'TrackmanDataPlatform',
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    };

    this.startIngestion = new NodeFunction(this, 'StartIngestion', {
      ...common,
      handlerDir: 'start-ingestion',
      serviceName: 'start-ingestion',
      // Paused: no invocation runs (asynchronous ones are retried by Lambda, then dropped).
      reservedConcurrentExecutions: props.enabled ? undefined : 0,
      description: `Starts a lake ingestion run (${props.environment}) for the requested tables`,
      environment: {
        [START_INGESTION_ENV.stateMachineArn]: props.stateMachine.stateMachineArn,
        [START_INGESTION_ENV.dedupWindowSeconds]: String(props.dedupWindow.toSeconds()),
      },
      // About 130 bytes a table: past 30 tables the catalog no longer fits Lambda's 4 KB environment.
      bundledFiles: { [START_INGESTION_ENV.tables]: JSON.stringify(props.tables) },
    });
    props.stateMachine.grantStartExecution(this.startIngestion.role);
    new CfnOutput(this, 'StartIngestionFunctionArn', {
      description: 'Invoke with {"source": ..., "tables"?: [...]} to start a run now',
      value: this.startIngestion.function.functionArn,
    });

    if (props.databaseTrigger) {
      this.databaseInvokeRole = new iam.Role(this, 'DatabaseInvokeRole', {
        assumedBy: new iam.ServicePrincipal('rds.amazonaws.com').withConditions({
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        }),
        description:
          'Associate with the source database (feature Lambda) so its ingestion trigger can start runs',
      });
      this.databaseInvokeRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'InvokeStartIngestion',
          actions: ['lambda:InvokeFunction'],
          resources: [this.startIngestion.function.functionArn],
        }),
      );
      new CfnOutput(this, 'DatabaseInvokeRoleArn', {
        description:
          'RDS: aws rds add-role-to-db-instance --db-instance-identifier <id> --feature-name Lambda --role-arn <this>; ' +
          'Aurora: aws rds add-role-to-db-cluster --db-cluster-identifier <id> --feature-name Lambda --role-arn <this> (docs/triggers.md)',
        value: this.databaseInvokeRole.roleArn,
      });
    }

    const jobTables: Record<string, JobTable> = Object.fromEntries(
      props.tables.map((t) => [t.jobName, { source: t.source, table: t.table }]),
    );
    this.failureNotifier = new NodeFunction(this, 'GlueFailureNotifier', {
      ...common,
      handlerDir: 'glue-failure-notifier',
      serviceName: 'glue-failure-notifier',
      description: `Turns failed lake ingestion job runs (${props.environment}) into alerts`,
      environment: {
        [GLUE_FAILURE_NOTIFIER_ENV.topicArn]: props.alarmTopic.topicArn,
        [GLUE_FAILURE_NOTIFIER_ENV.logGroupPrefix]: props.jobLogGroupPrefix,
      },
      bundledFiles: { [GLUE_FAILURE_NOTIFIER_ENV.jobTables]: JSON.stringify(jobTables) },
    });
    props.alarmTopic.grantPublish(this.failureNotifier.role);
    Validations.of(this.failureNotifier.role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to the KMS-encrypted alarm topic needs data keys of its key; the grant is on that key only.',
    });
    this.failureNotifier.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadIngestionJobRuns',
        actions: ['glue:GetJobRun'],
        resources: [props.jobArnPattern],
      }),
    );
    Validations.of(this.failureNotifier.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${props.jobArnPattern}]`,
      reason: "Reads runs of this environment's lake ingestion jobs only, by the name prefix only they have.",
    });

    // Events that still fail after the target's retries, from either rule.
    const queue = deadLetterQueue(this, 'EventDeadLetterQueue', {
      removalPolicy: props.removalPolicy,
      isDeadLetterQueueOf: 'This queue is itself the dead-letter queue of the event rule targets.',
    });
    new DeadLetterAlarm(this, 'EventDeadLetterAlarm', {
      queue,
      description:
        'An event for start-ingestion or the Glue failure notifier failed after its retries: EventBridge could not ' +
        'hand it to the function (deleted, or no permission), so a requested run did not start or a job failure was ' +
        'not reported. The message in the dead-letter queue says which (docs/runbook.md).',
      alarmTopic: props.alarmTopic,
    });
    // The rule's dead-letter queue only sees events EventBridge could not hand to Lambda. Once
    // Lambda has accepted one (asynchronous invocation), an error in the function, a throttle
    // past maxEventAge or a paused function is reported only to the function's own on-failure
    // destination: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
    this.failedInvocations = new FailedInvocations(this, 'FailedInvocations', {
      description:
        'An asynchronous invocation of start-ingestion or the Glue failure notifier failed after its retries: ' +
        'a requested run did not start, or a job failure was not reported. Each message in the queue is the ' +
        'invocation record with the function, the error and the original event (docs/runbook.md).',
      alarmTopic: props.alarmTopic,
      removalPolicy: props.removalPolicy,
    });
    // A request older than one schedule interval has been served by the schedule; Lambda's
    // own retries (at most 2) then stop and the record lands in the queue.
    this.failedInvocations.attach(this.startIngestion.function, {
      retryAttempts: 2,
      maxEventAge: props.requestMaxAge,
    });
    // A failure report is worth sending late: the same age as the rule's own retry window.
    this.failedInvocations.attach(this.failureNotifier.function, {
      retryAttempts: 2,
      maxEventAge: Duration.hours(2),
    });

    this.jobStateRule = new events.Rule(this, 'JobFailedRule', {
      description: 'Lake ingestion job runs that failed, timed out or were stopped',
      eventPattern: {
        source: ['aws.glue'],
        detailType: ['Glue Job State Change'],
        // A prefix, not the names: EventBridge allows 2,048 characters of pattern, about 30 job names.
        detail: { jobName: [{ prefix: props.jobNamePrefix }], state: ['FAILED', 'TIMEOUT', 'STOPPED'] },
      },
      targets: [
        new eventTargets.LambdaFunction(this.failureNotifier.function, {
          deadLetterQueue: queue,
          retryAttempts: 4,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });

    this.requestRule = new events.Rule(this, 'IngestionRequestedRule', {
      description: 'Requests for a lake ingestion run: detail is { "source": ..., "tables"?: [...] }',
      enabled: props.enabled,
      eventPattern: {
        source: [INGESTION_REQUEST_EVENT.source],
        detailType: [INGESTION_REQUEST_EVENT.detailType],
      },
      targets: [
        new eventTargets.LambdaFunction(this.startIngestion.function, {
          deadLetterQueue: queue,
          retryAttempts: 2,
          maxEventAge: props.requestMaxAge,
        }),
      ],
    });
  }
}
