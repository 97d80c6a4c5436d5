import { Duration, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { GLUE_FAILURE_NOTIFIER_ENV, type JobTable } from '../../lambda/glue-failure-notifier/contract';
import { START_INGESTION_ENV, type IngestionTable } from '../../lambda/start-ingestion/contract';
import type { LogsKey } from './logs-key';
import { NodeFunction } from './node-function';

export interface IngestionTriggersProps {
  readonly environment: string;
  readonly stateMachine: sfn.IStateMachine;
  /** Every lake table with its job, in config order. */
  readonly tables: readonly IngestionTable[];
  /** ARNs of the tables' Glue jobs. */
  readonly jobArns: readonly string[];
  /** Prefix of the jobs' log groups (`<prefix>/output`, `<prefix>/error`). */
  readonly jobLogGroupPrefix: string;
  /** Width of the window in which duplicate triggers map to one execution. */
  readonly dedupWindow: Duration;
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
      description: `Starts a lake ingestion run (${props.environment}) for the requested tables`,
      environment: {
        [START_INGESTION_ENV.stateMachineArn]: props.stateMachine.stateMachineArn,
        [START_INGESTION_ENV.tables]: JSON.stringify(props.tables),
        [START_INGESTION_ENV.dedupWindowSeconds]: String(props.dedupWindow.toSeconds()),
      },
    });
    props.stateMachine.grantStartExecution(this.startIngestion.role);

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
        [GLUE_FAILURE_NOTIFIER_ENV.jobTables]: JSON.stringify(jobTables),
        [GLUE_FAILURE_NOTIFIER_ENV.logGroupPrefix]: props.jobLogGroupPrefix,
      },
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
        resources: [...props.jobArns],
      }),
    );

    const deadLetterQueue = new sqs.Queue(this, 'NotifierDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the job-state rule target.',
    });
    this.jobStateRule = new events.Rule(this, 'JobFailedRule', {
      description: 'Lake ingestion job runs that failed, timed out or were stopped',
      eventPattern: {
        source: ['aws.glue'],
        detailType: ['Glue Job State Change'],
        detail: { jobName: props.tables.map((t) => t.jobName), state: ['FAILED', 'TIMEOUT', 'STOPPED'] },
      },
      targets: [
        new eventTargets.LambdaFunction(this.failureNotifier.function, {
          deadLetterQueue,
          retryAttempts: 4,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });
  }
}
