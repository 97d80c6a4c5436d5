/**
 * The ingestion workflow as synthesized: its ASL is valid, its retry policy is
 * the configured one and fits the SLO budget, and executed locally with the
 * Glue and SNS tasks overridden it behaves as its contract says for every way
 * a table's run can end.
 */
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ingestionJobName, lakeBudget, lakeTables, qualifiedName, validateConfig } from '../../lib/config';
import {
  FAILURE_CAUSE_CHARACTERS,
  JOB_ALREADY_RUNNING,
  PERMANENT_ERRORS,
  RETRIED_ERRORS,
  WORKFLOW_WRAP_UP_MINUTES,
} from '../../lib/constructs/ingestion-workflow';
import { devLike, prodLike, twoSources } from '../fixtures/configs';
import { resolveIntrinsics, stateMachineAsl, validateAsl, type AslDefinition } from '../helpers/asl';
import { runStateMachine, type AslMachine } from '../helpers/asl-runner';
import { buildStageWith } from '../helpers/synth';

const ENVIRONMENTS = ['dev', 'prod'] as const;
type EnvironmentName = (typeof ENVIRONMENTS)[number];
/** The workflow is tested on fixtures: the shipped tables and settings are free to change. */
const FIXTURES = { dev: devLike, prod: prodLike };

const definitions = {} as Record<EnvironmentName, AslDefinition>;

const dummyEnvironment = (stack: Stack) => ({
  account: stack.account,
  region: stack.region,
  partition: 'aws',
  stackName: stack.stackName,
});

beforeAll(() => {
  for (const env of ENVIRONMENTS) {
    const stack = buildStageWith(FIXTURES[env]).ingestion;
    definitions[env] = stateMachineAsl(Template.fromStack(stack), dummyEnvironment(stack));
  }
});

/** The branch of a source in the Parallel state. */
const branchOf = (definition: AslDefinition, source = 'trackman-backend') => {
  const branches = definition.States.IngestSources.Branches as AslDefinition[];
  const branch = branches.find((b) => b.StartAt === `IngestTables-${source}`);
  if (branch === undefined) throw new Error(`no branch for ${source}`);
  return branch;
};
const taskOf = (definition: AslDefinition, source = 'trackman-backend') =>
  (branchOf(definition, source).States[`IngestTables-${source}`].ItemProcessor as AslDefinition).States[
    `RunTableJob-${source}`
  ];

describe.each(ENVIRONMENTS)('ingestion workflow definition (%s)', (env) => {
  const config = validateConfig(FIXTURES[env], env);
  const ingestion = config.ingestion;

  test('is valid Amazon States Language with every reference resolved', () => {
    expect(JSON.stringify(definitions[env])).not.toMatch(/\$\{Token\[|"Ref"|Fn::/);
    const result = validateAsl(definitions[env]);
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  test('never retries a running job or a permanent error, then retries with capped, fully jittered backoff', () => {
    const task = taskOf(definitions[env]);
    expect(task.Resource).toBe('arn:aws:states:::glue:startJobRun.sync');
    expect(task.Retry).toEqual([
      { ErrorEquals: [JOB_ALREADY_RUNNING, ...PERMANENT_ERRORS], MaxAttempts: 0 },
      {
        ErrorEquals: RETRIED_ERRORS,
        MaxAttempts: ingestion.maxAttempts - 1,
        IntervalSeconds: ingestion.retryIntervalSeconds,
        BackoffRate: ingestion.retryBackoffRate,
        MaxDelaySeconds: ingestion.retryMaxDelaySeconds,
        JitterStrategy: 'FULL',
      },
    ]);
    // A running job is skipped; everything else that gets past the retriers fails the table.
    expect(task.Catch).toEqual([
      { ErrorEquals: [JOB_ALREADY_RUNNING], ResultPath: '$.failure', Next: 'TableSkipped-trackman-backend' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'TableFailed-trackman-backend' },
    ]);
  });

  test('task and execution timeouts are the ones the SLO budget counts', () => {
    const definition = definitions[env];
    const task = taskOf(definition);
    const budget = lakeBudget(config);
    const [, retrier] = task.Retry as {
      MaxAttempts: number;
      IntervalSeconds: number;
      BackoffRate: number;
      MaxDelaySeconds: number;
    }[];
    // The longest waits the rendered retrier can take (full jitter waits at most these): the budget's.
    const waits = Array.from({ length: retrier.MaxAttempts }, (_, k) =>
      Math.min(retrier.IntervalSeconds * retrier.BackoffRate ** k, retrier.MaxDelaySeconds),
    );
    expect(Math.ceil(waits.reduce((a, b) => a + b, 0))).toBe(budget.retryWaitSeconds);
    expect(task.TimeoutSeconds).toBe((ingestion.jobTimeoutMinutes + ingestion.startupAllowanceMinutes) * 60);
    expect((task.TimeoutSeconds as number) * ingestion.maxAttempts + budget.retryWaitSeconds).toBe(
      budget.tableMinutes * 60,
    );
    expect(definition.TimeoutSeconds).toBe(Math.ceil((budget.runMinutes + WORKFLOW_WRAP_UP_MINUTES) * 60));
  });
});

describe('the ASL resolver (test/helpers/asl.ts)', () => {
  const env = { account: '111111111111', region: 'eu-west-1' };
  const template = {
    Resources: { Topic: { Type: 'AWS::SNS::Topic' }, Fn: { Type: 'AWS::Lambda::Function' } },
  };

  test('turns references into dummy ARNs of the right service, region and account', () => {
    const resolved = resolveIntrinsics(
      {
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:::sns:publish']] },
        TopicArn: { Ref: 'Topic' },
        FunctionArn: { 'Fn::GetAtt': ['Fn', 'Arn'] },
        Imported: { 'Fn::ImportValue': 'Shared:Out' },
        Output: { 'Fn::GetStackOutput': { StackName: 'other', OutputName: 'Out' } },
      },
      template,
      env,
    );
    expect(resolved).toEqual({
      Resource: 'arn:aws:states:::sns:publish',
      TopicArn: 'arn:aws:sns:eu-west-1:111111111111:topic/Topic',
      FunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function/Fn',
      Imported: 'arn:aws:cloudformation:eu-west-1:111111111111:export/Shared:Out',
      Output: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/other/output/Out',
    });
  });

  test('throws on an intrinsic or reference it does not know, naming it', () => {
    expect(() => resolveIntrinsics({ A: [{ 'Fn::Sub': 'x-${AWS::Region}' }] }, template, env)).toThrow(
      '$.A[0].Fn::Sub: unsupported intrinsic Fn::Sub',
    );
    expect(() => resolveIntrinsics({ Ref: 'Missing' }, template, env)).toThrow('no resource "Missing"');
    expect(() => resolveIntrinsics({ Ref: 'AWS::NoValue' }, template, env)).toThrow('AWS::NoValue');
  });
});

// ---------------------------------------------------------------------------------------------
// Scenarios, executed in process (test/helpers/asl-runner.ts) on the prod-like fixture's definition.

interface TableInput {
  readonly source: string;
  readonly table: string;
  readonly jobName: string;
}

interface TableResult extends TableInput {
  readonly status: 'succeeded' | 'skipped' | 'failed';
  readonly jobRunId?: string;
  readonly reason?: string;
  readonly error?: string;
  readonly cause?: string;
}

interface WorkflowOutput {
  readonly trigger: string;
  readonly results: TableResult[];
  readonly anyFailed: boolean;
}

interface Publish {
  readonly TopicArn: string;
  readonly Subject: string;
  readonly Message: { summary: string; failed: TableResult[]; execution: string; runbook: string };
}

type Outcome =
  | { readonly status: 'SUCCEEDED'; readonly output: WorkflowOutput }
  | { readonly status: 'FAILED'; readonly error: string; readonly cause: string };

interface Run {
  readonly outcome: Outcome;
  /** Glue StartJobRun requests, by job name, in order. */
  readonly glueRequests: Record<string, unknown[]>;
  readonly published: Publish[];
}

/** What one attempt of a job does: returns the finished job run, or throws the task's error. */
type Attempt = (jobName: string, attempt: number) => { [field: string]: string | number };

/** An error as the Glue .sync integration raises it: `name` is the ASL error code. */
class TaskError extends Error {
  constructor(code: string, cause: string) {
    super(cause);
    this.name = code;
  }
}

const prod = validateConfig(prodLike, 'prod');
const TABLES: TableInput[] = lakeTables(prod).map(({ source, table }) => ({
  source: source.name,
  table: qualifiedName(table),
  jobName: ingestionJobName('prod', source, table),
}));
const EXECUTION_ARN = 'arn:aws:states:eu-west-1:222222222222:execution:IngestionWorkflow:scenario';

const runId = (jobName: string, attempt: number) => `jr_${jobName}_${attempt}`;

const succeeds: Attempt = (jobName, attempt) => ({
  Id: runId(jobName, attempt),
  Attempt: 0,
  JobName: jobName,
  JobRunState: 'SUCCEEDED',
  ExecutionTime: 40 + attempt,
});

/** A job run that ends FAILED: the .sync integration raises States.TaskFailed with the run as cause. */
const runFailed = (jobName: string, attempt: number) =>
  new TaskError(
    'States.TaskFailed',
    JSON.stringify({
      Id: runId(jobName, attempt),
      JobName: jobName,
      JobRunState: 'FAILED',
      ErrorMessage: 'An error occurred while calling o97.load. Connection refused',
    }),
  );

const apiError = (code: string) => new TaskError(code, `${code}: raised by StartJobRun in this test`);

const [target, ...others] = TABLES;

/** Runs the prod workflow over TABLES; a job not named in `attempts` succeeds on its first attempt. */
async function runWorkflow(attempts: Record<string, Attempt> = {}): Promise<Run> {
  const glueRequests: Record<string, unknown[]> = Object.fromEntries(TABLES.map((t) => [t.jobName, []]));
  const published: Publish[] = [];
  const outcome = await runStateMachine(
    definitions.prod as unknown as AslMachine,
    { trigger: 'schedule', tables: TABLES.map((t) => ({ ...t })) },
    {
      taskHandlers: {
        'RunTableJob-trackman-backend': (request) => {
          const { JobName } = request as { JobName: string };
          const calls = glueRequests[JobName];
          if (calls === undefined) {
            throw new Error(`Glue StartJobRun for a job not in the input: ${JobName}`);
          }
          calls.push(request);
          return (attempts[JobName] ?? succeeds)(JobName, calls.length);
        },
        AlertFailedTables: (request) => {
          published.push(request as Publish);
          return { MessageId: `message-${published.length}` };
        },
      },
      execution: { Id: EXECUTION_ARN, Name: 'scenario' },
    },
  );
  return {
    outcome:
      outcome.status === 'SUCCEEDED'
        ? { status: 'SUCCEEDED', output: outcome.output as WorkflowOutput }
        : { status: 'FAILED', error: outcome.error, cause: outcome.cause },
    glueRequests,
    published,
  };
}

const callCounts = (run: Run) =>
  Object.fromEntries(Object.entries(run.glueRequests).map(([job, calls]) => [job, calls.length]));

const succeededEntry = (t: TableInput, attempt = 1): TableResult => ({
  ...t,
  status: 'succeeded',
  jobRunId: runId(t.jobName, attempt),
});

function expectSucceeded(run: Run): WorkflowOutput {
  if (run.outcome.status !== 'SUCCEEDED') {
    throw new Error(
      `Expected the execution to succeed; it failed with ${run.outcome.error}: ${run.outcome.cause}`,
    );
  }
  return run.outcome.output;
}

function expectFailed(run: Run): { error: string; cause: string } {
  if (run.outcome.status !== 'FAILED') {
    throw new Error(
      `Expected the execution to fail; it succeeded with ${JSON.stringify(run.outcome.output)}`,
    );
  }
  return run.outcome;
}

describe('ingestion workflow execution (prod, local)', () => {
  const maxAttempts = prod.ingestion.maxAttempts;

  test('the scenarios run over several tables of the prod-like fixture', () => {
    expect(TABLES.length).toBeGreaterThanOrEqual(3);
    expect(maxAttempts).toBeGreaterThan(1);
  });

  test('all tables succeed: one succeeded entry per table with its job run, no alert', async () => {
    const run = await runWorkflow();
    const output = expectSucceeded(run);
    expect(output).toEqual({
      trigger: 'schedule',
      results: TABLES.map((t) => succeededEntry(t)),
      anyFailed: false,
    });
    for (const t of TABLES) expect(run.glueRequests[t.jobName]).toEqual([{ JobName: t.jobName }]);
    expect(run.published).toEqual([]);
  });

  test('a table whose job run fails for good is retried, the others still land, the run alerts and fails', async () => {
    const run = await runWorkflow({
      [target.jobName]: (job, attempt) => {
        throw runFailed(job, attempt);
      },
    });

    expect(callCounts(run)).toEqual({
      [target.jobName]: maxAttempts,
      ...Object.fromEntries(others.map((t) => [t.jobName, 1])),
    });
    const failedEntry: TableResult = {
      ...target,
      status: 'failed',
      error: 'States.TaskFailed',
      // Its first FAILURE_CAUSE_CHARACTERS: the Glue failure notifier's alert of the run has all of it.
      cause: runFailed(target.jobName, maxAttempts).message.slice(0, FAILURE_CAUSE_CHARACTERS),
    };
    const { error, cause } = expectFailed(run);
    expect(error).toBe('TablesFailed');
    expect(cause).toBe(`1 of ${TABLES.length} tables failed: ["${target.table}"]`);

    expect(run.published).toHaveLength(1);
    const [alert] = run.published;
    expect(alert.Subject).toBe('Lake ingestion (prod): tables failed');
    expect(alert.TopicArn).toMatch(/^arn:aws:[a-z]+:eu-west-1:222222222222:/);
    expect(alert.Message).toEqual({
      summary: `1 of ${TABLES.length} tables failed in this run; the others landed or were skipped.`,
      failed: [failedEntry],
      execution: EXECUTION_ARN,
      runbook: expect.stringContaining('docs/runbook.md'),
    });
    expect(alert.Message.failed[0].table).toBe(target.table);
    expect(alert.Message.failed[0].cause).toContain('"JobRunState":"FAILED"');
  });

  test.each(RETRIED_ERRORS)('a transient %s is retried and the run succeeds', async (code) => {
    const run = await runWorkflow({
      [target.jobName]: (job, attempt) => {
        if (attempt === 1) throw code === 'States.TaskFailed' ? runFailed(job, attempt) : apiError(code);
        return succeeds(job, attempt);
      },
    });
    const output = expectSucceeded(run);
    expect(callCounts(run)[target.jobName]).toBe(2);
    expect(output.results).toEqual(TABLES.map((t) => succeededEntry(t, t === target ? 2 : 1)));
    expect(output.anyFailed).toBe(false);
    expect(run.published).toEqual([]);
  });

  test('a finished run whose result carries only its id still lands (no optional field is required)', async () => {
    const run = await runWorkflow({
      [target.jobName]: (job, attempt) => ({
        Id: runId(job, attempt),
        JobName: job,
        JobRunState: 'SUCCEEDED',
      }),
    });
    const output = expectSucceeded(run);
    expect(output.results).toEqual(TABLES.map((t) => succeededEntry(t)));
  });

  test('a job still running from an earlier run is skipped: one request, no retry, no alert', async () => {
    const run = await runWorkflow({
      [target.jobName]: () => {
        throw apiError(JOB_ALREADY_RUNNING);
      },
    });
    const output = expectSucceeded(run);
    expect(callCounts(run)).toEqual(Object.fromEntries(TABLES.map((t) => [t.jobName, 1])));
    const skippedEntry: TableResult = { ...target, status: 'skipped', reason: 'job already running' };
    expect(output.results).toEqual(TABLES.map((t) => (t === target ? skippedEntry : succeededEntry(t))));
    expect(output.results.filter((r) => r.status === 'skipped')).toEqual([skippedEntry]);
    expect(output.anyFailed).toBe(false);
    expect(run.published).toEqual([]);
  });

  test.each(PERMANENT_ERRORS)('a permanent %s is not retried and fails the table', async (code) => {
    const run = await runWorkflow({
      [target.jobName]: () => {
        throw apiError(code);
      },
    });
    expect(callCounts(run)).toEqual(Object.fromEntries(TABLES.map((t) => [t.jobName, 1])));
    const { error, cause } = expectFailed(run);
    expect(error).toBe('TablesFailed');
    const failedEntry: TableResult = {
      ...target,
      status: 'failed',
      error: code,
      cause: apiError(code).message,
    };
    expect(cause).toBe(`1 of ${TABLES.length} tables failed: ["${target.table}"]`);
    expect(run.published).toHaveLength(1);
    expect(run.published[0].Message.failed).toEqual([failedEntry]);
  });

  test('a skipped table is not reported as failed when another table fails', async () => {
    const [running, failing] = others;
    const run = await runWorkflow({
      [running.jobName]: () => {
        throw apiError(JOB_ALREADY_RUNNING);
      },
      [failing.jobName]: () => {
        throw apiError('Glue.AccessDeniedException');
      },
    });
    const { error, cause } = expectFailed(run);
    expect(error).toBe('TablesFailed');
    expect(cause).toBe(`1 of ${TABLES.length} tables failed: ["${failing.table}"]`);
    expect(run.published).toHaveLength(1);
    expect(run.published[0].Message.summary).toBe(
      `1 of ${TABLES.length} tables failed in this run; the others landed or were skipped.`,
    );
    expect(run.published[0].Message.failed.map((r) => [r.table, r.error])).toEqual([
      [failing.table, 'Glue.AccessDeniedException'],
    ]);
  });
});

describe('one branch per source (two-source fixture)', () => {
  const config = validateConfig(twoSources, 'dev');
  const budget = lakeBudget(config);
  const entries = lakeTables(config).map(({ source, table }) => ({
    source: source.name,
    table: qualifiedName(table),
    jobName: ingestionJobName('dev', source, table),
  }));
  let definition: AslDefinition;
  beforeAll(() => {
    const stack = buildStageWith(twoSources).ingestion;
    definition = stateMachineAsl(Template.fromStack(stack), dummyEnvironment(stack));
  });

  /** Runs the workflow over `tables`; every job succeeds. Returns the jobs each source's task started. */
  async function run(tables: typeof entries) {
    const started: Record<string, string[]> = { 'trackman-backend': [], 'booking-service': [] };
    const handler = (source: string) => (request: unknown) => {
      const { JobName } = request as { JobName: string };
      started[source].push(JobName);
      return { Id: `jr_${JobName}`, JobName, JobRunState: 'SUCCEEDED' };
    };
    const outcome = await runStateMachine(
      definition as unknown as AslMachine,
      { trigger: 'manual', tables },
      {
        taskHandlers: {
          'RunTableJob-trackman-backend': handler('trackman-backend'),
          'RunTableJob-booking-service': handler('booking-service'),
        },
        execution: { Id: EXECUTION_ARN, Name: 'two-sources' },
      },
    );
    return { outcome, started };
  }

  test("each source's Map runs at most its own slots, over its own tables only", () => {
    expect(budget.sources.map((s) => [s.source, s.slots])).toEqual([
      // 50 connections / (readPartitions 4 + 1): 10 tables at a time each.
      ['trackman-backend', 10],
      ['booking-service', 10],
    ]);
    for (const { source, slots } of budget.sources) {
      const map = branchOf(definition, source).States[`IngestTables-${source}`];
      expect(map.MaxConcurrency).toBe(slots);
      expect(map.InputPath).toBe(`$.tables[?(@.source == '${source}')]`);
    }
  });

  test("every table runs in its own source's branch, and all results come back in one list", async () => {
    const { outcome, started } = await run(entries);
    expect(outcome.status).toBe('SUCCEEDED');
    expect(started['trackman-backend']).toEqual(
      entries.filter((e) => e.source === 'trackman-backend').map((e) => e.jobName),
    );
    expect(started['booking-service']).toEqual(
      entries.filter((e) => e.source === 'booking-service').map((e) => e.jobName),
    );
    const output = (outcome as { output: WorkflowOutput }).output;
    expect(output.results.map((r) => r.table).sort()).toEqual(entries.map((e) => e.table).sort());
    expect(output.anyFailed).toBe(false);
  });

  test('a failed table keeps at most FAILURE_CAUSE_CHARACTERS of its cause, so hundreds of failures fit one state', async () => {
    const long = `{"Id":"jr_x","JobRunState":"FAILED","ErrorMessage":"${'x'.repeat(5000)}"}`;
    const published: { Message: { failed: { cause: string; error: string }[] } }[] = [];
    const outcome = await runStateMachine(
      definition as unknown as AslMachine,
      { trigger: 'manual', tables: entries.slice(0, 1) },
      {
        taskHandlers: {
          'RunTableJob-trackman-backend': () => {
            throw Object.assign(new Error(long), { name: 'States.TaskFailed' });
          },
          AlertFailedTables: (request) => {
            published.push(request as (typeof published)[number]);
            return { MessageId: 'm' };
          },
        },
        execution: { Id: EXECUTION_ARN, Name: 'long-cause' },
      },
    );
    expect(outcome.status).toBe('FAILED');
    const [failure] = published[0].Message.failed;
    expect(failure.error).toBe('States.TaskFailed');
    expect(failure.cause).toBe(long.slice(0, FAILURE_CAUSE_CHARACTERS));
  });

  test("a request for one source's tables runs nothing of the other", async () => {
    const booking = entries.filter((e) => e.source === 'booking-service');
    const { outcome, started } = await run(booking);
    expect(outcome.status).toBe('SUCCEEDED');
    expect(started['trackman-backend']).toEqual([]);
    expect(started['booking-service']).toHaveLength(booking.length);
    expect((outcome as { output: WorkflowOutput }).output.results).toHaveLength(booking.length);
  });
});
