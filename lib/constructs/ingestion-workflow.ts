import { Aws, Duration, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { IngestionConfig, LakeBudget } from '../config';
import type { LogsKey } from './logs-key';

/**
 * Errors of a table's run that are worth another attempt: throttling and
 * service faults of the Glue API, and a job run that failed or timed out
 * (States.TaskFailed; a connection blip or a lost worker usually passes).
 */
export const RETRIED_ERRORS = [
  'Glue.ThrottlingException',
  'Glue.InternalServiceException',
  'Glue.OperationTimeoutException',
  'Glue.ResourceNumberLimitExceededException',
  'States.TaskFailed',
];

/** Errors that another attempt cannot fix: a missing job, bad input, missing permissions. */
export const PERMANENT_ERRORS = [
  'Glue.EntityNotFoundException',
  'Glue.InvalidInputException',
  'Glue.AccessDeniedException',
];

/** The job is still running from an earlier tick: skip the table, never start a second copy. */
export const JOB_ALREADY_RUNNING = 'Glue.ConcurrentRunsExceededException';

/** Characters of a failed table's cause kept in the run's results and its alert. */
export const FAILURE_CAUSE_CHARACTERS = 200;

/** Minutes the workflow may take after its slowest table: the summary and the failure alert. */
export const WORKFLOW_WRAP_UP_MINUTES = 2;

export interface IngestionWorkflowProps {
  readonly environment: string;
  readonly ingestion: IngestionConfig;
  /** The SLO budget: its run time is the workflow timeout. */
  readonly budget: LakeBudget;
  /** Each source and how many of its tables a run reads at once (from the budget). */
  readonly sources: readonly { readonly source: string; readonly slots: number }[];
  /** The environment's ingestion jobs, as an ARN with a trailing `*` (see ingestionJobNamePrefix). */
  readonly jobArnPattern: string;
  readonly alarmTopic: sns.ITopic;
  readonly logsKey: LogsKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * One Step Functions execution ingests every requested table: one branch per
 * source, side by side, in which a Map over that source's `tables` of the
 * input runs at most the source's slots (lib/config/slo-budget.ts) at a time,
 * each table's Glue job to completion, retrying
 * transient failures with capped, jittered backoff. A table whose job is still
 * running is recorded as skipped; a failed table does not stop the others.
 * When any table failed, the execution alerts the alarm topic with every
 * failed table and its cause, then ends failed.
 *
 * Input: `{ "trigger": "schedule" | "manual" | "event" | "database",
 *           "tables": [{ "source", "table", "jobName" }, ...] }`
 */
export class IngestionWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: IngestionWorkflowProps) {
    super(scope, id);
    const { ingestion } = props;
    const item = { 'source.$': '$.source', 'table.$': '$.table', 'jobName.$': '$.jobName' };

    /** One source's tables, at most `slots` at a time: the states of its branch, named after it. */
    const sourceBranch = (source: string, slots: number) => {
      const runJob = new sfn.CustomState(this, `RunTableJob-${source}`, {
        stateJson: {
          Type: 'Task',
          Comment: "Runs the table's Glue job and waits for it to finish",
          Resource: `arn:${Aws.PARTITION}:states:::glue:startJobRun.sync`,
          Parameters: { 'JobName.$': '$.jobName' },
          // Only the run id: a path that is missing from the result would be a States.Runtime error,
          // which no Catch handles, and Id is the one field every JobRun has.
          ResultSelector: { 'jobRunId.$': '$.Id' },
          ResultPath: '$.run',
          TimeoutSeconds: (ingestion.jobTimeoutMinutes + ingestion.startupAllowanceMinutes) * 60,
        },
      });
      // The first retrier whose errors match decides, so the never-retried errors come first
      // (States.TaskFailed also matches Glue.ConcurrentRunsExceededException).
      runJob.addRetry({ errors: [JOB_ALREADY_RUNNING, ...PERMANENT_ERRORS], maxAttempts: 0 });
      runJob.addRetry({
        errors: RETRIED_ERRORS,
        maxAttempts: ingestion.maxAttempts - 1,
        interval: Duration.seconds(ingestion.retryIntervalSeconds),
        backoffRate: ingestion.retryBackoffRate,
        maxDelay: Duration.seconds(ingestion.retryMaxDelaySeconds),
        jitterStrategy: sfn.JitterType.FULL,
      });

      const succeeded = new sfn.Pass(this, `TableSucceeded-${source}`, {
        parameters: {
          ...item,
          status: 'succeeded',
          'jobRunId.$': '$.run.jobRunId',
        },
      });
      const skipped = new sfn.Pass(this, `TableSkipped-${source}`, {
        comment:
          'The job is still running from an earlier run; its next tick picks up what this one would have',
        parameters: { ...item, status: 'skipped', reason: 'job already running' },
      });
      // JSONata for this one state, for $substring: a failed job run's cause is its whole JobRun as JSON
      // (a kilobyte or two), and when a source is down every table fails at once. Cut to
      // FAILURE_CAUSE_CHARACTERS, hundreds of failed tables still fit one state's 256 KiB and the alert's
      // 256 KB; the Glue failure notifier sends each failed run in full.
      const failed = sfn.Pass.jsonata(this, `TableFailed-${source}`, {
        outputs: {
          source: '{% $states.input.source %}',
          table: '{% $states.input.table %}',
          jobName: '{% $states.input.jobName %}',
          status: 'failed',
          // Never undefined, which JSONata would leave out or fail on: an empty text instead.
          error: "{% $exists($states.input.failure.Error) ? $string($states.input.failure.Error) : '' %}",
          cause: `{% $exists($states.input.failure.Cause) ? $substring($string($states.input.failure.Cause), 0, ${FAILURE_CAUSE_CHARACTERS}) : '' %}`,
        },
      });
      runJob.addCatch(skipped, { errors: [JOB_ALREADY_RUNNING], resultPath: '$.failure' });
      runJob.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.failure' });

      // A filter always gives a list (none, one or many matches), unlike a path to one node, which
      // fails when nothing is there: a run that asks for another source's tables reads none here.
      const tables = new sfn.Map(this, `IngestTables-${source}`, {
        comment: `The tables of ${source}, ${slots} at a time (its connection budget); a failed table does not stop the others`,
        inputPath: `$.tables[?(@.source == '${source}')]`,
        maxConcurrency: slots,
        itemSelector: {
          'source.$': '$$.Map.Item.Value.source',
          'table.$': '$$.Map.Item.Value.table',
          'jobName.$': '$$.Map.Item.Value.jobName',
        },
      });
      tables.itemProcessor(runJob.next(succeeded));
      return tables;
    };

    // Every source side by side: one source's slow tables never hold up another's.
    const sources = new sfn.Parallel(this, 'IngestSources', {
      comment: "Each source's tables within its own connection budget",
      // One list of every table's result, whichever branch it came from.
      resultSelector: { 'all.$': '$[*][*]' },
      resultPath: '$.ingested',
    });
    for (const { source, slots } of props.sources) sources.branch(sourceBranch(source, slots));

    // Only standard JSONPath: the failure filter runs only once a failure is known to exist,
    // so nothing depends on what a filter that matches nothing returns.
    const summarise = new sfn.Pass(this, 'Summarise', {
      parameters: {
        'trigger.$': '$.trigger',
        'results.$': '$.ingested.all',
        'anyFailed.$': "States.ArrayContains($.ingested.all[*].status, 'failed')",
      },
    });
    const collectFailures = new sfn.Pass(this, 'CollectFailures', {
      parameters: {
        'trigger.$': '$.trigger',
        // The count, not the list again: with every table failed, the list twice would not fit 256 KiB.
        'total.$': 'States.ArrayLength($.results)',
        'failed.$': "$.results[?(@.status == 'failed')]",
      },
    });
    const notify = new tasks.SnsPublish(this, 'AlertFailedTables', {
      topic: props.alarmTopic,
      subject: `Lake ingestion (${props.environment}): tables failed`,
      message: sfn.TaskInput.fromObject({
        'summary.$':
          "States.Format('{} of {} tables failed in this run; the others landed or were skipped.', States.ArrayLength($.failed), $.total)",
        'failed.$': '$.failed',
        'execution.$': '$$.Execution.Id',
        runbook: 'See docs/runbook.md, "A table failed to ingest"',
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    // The execution's cause names the failed tables; their errors are in the alert and the history.
    const describeFailure = new sfn.Pass(this, 'DescribeFailure', {
      parameters: {
        'cause.$':
          "States.Format('{} of {} tables failed: {}', States.ArrayLength($.failed), $.total, States.JsonToString($.failed[*].table))",
      },
    });
    const fail = new sfn.Fail(this, 'IngestionFailed', { error: 'TablesFailed', causePath: '$.cause' });
    const done = new sfn.Succeed(this, 'IngestionSucceeded');
    const anyFailed = new sfn.Choice(this, 'AnyTableFailed')
      .when(
        sfn.Condition.booleanEquals('$.anyFailed', true),
        collectFailures.next(notify).next(describeFailure).next(fail),
      )
      .otherwise(done);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      encryptionKey: props.logsKey.key,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'Ingests the configured source tables into the lake',
      definitionBody: sfn.DefinitionBody.fromChainable(sources.next(summarise).next(anyFailed)),
      stateMachineType: sfn.StateMachineType.STANDARD,
      // The tables' worst case, plus time to summarise and send the alert after the slowest one.
      timeout: Duration.seconds(Math.ceil((props.budget.runMinutes + WORKFLOW_WRAP_UP_MINUTES) * 60)),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    // Only this environment's ingestion jobs, by their name prefix: the ARNs of hundreds of jobs would
    // outgrow the role's 10,240 characters of inline policy. .sync polls the run until it ends.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'RunIngestionJobs',
        actions: ['glue:StartJobRun', 'glue:GetJobRun', 'glue:GetJobRuns', 'glue:BatchStopJobRun'],
        resources: [props.jobArnPattern],
      }),
    );
    Validations.of(this.stateMachine.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${props.jobArnPattern}]`,
      reason:
        "This environment's lake ingestion jobs, by the name prefix only they have; listing each job would outgrow the policy at a few dozen tables.",
    });
    // The alarm topic is KMS-encrypted: publishing needs its key too, which grantPublish adds.
    props.alarmTopic.grantPublish(this.stateMachine);
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray trace upload and CloudWatch Logs delivery APIs have no resource-level permissions.',
    });
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to the KMS-encrypted alarm topic needs data keys of its key; the grant is on that key only.',
    });
  }
}
