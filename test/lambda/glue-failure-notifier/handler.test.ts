import { EntityNotFoundException, GetJobRunCommand, GlueClient } from '@aws-sdk/client-glue';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { NotifierResult } from '../../../lambda/glue-failure-notifier';
import type * as Powertools from '../../../lambda/shared/powertools';
import { glueEvent } from '../support/glue-events';
import { coldStart, LAMBDA_TEST_ENV, lambdaContext, loaded, setEnv } from '../support/lambda-env';

const JOB = 'trackman-dev-ingest-trackman-backend-public-shots';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:111111111111:trackman-dev-alarms';
const ENV = {
  ...LAMBDA_TEST_ENV,
  POWERTOOLS_SERVICE_NAME: 'glue-failure-notifier',
  TOPIC_ARN,
  JOB_TABLES: JSON.stringify({ [JOB]: { source: 'trackman-backend', table: 'public.shots' } }),
  GLUE_LOG_GROUP_PREFIX: undefined,
};

const glue = mockClient(GlueClient);
const sns = mockClient(SNSClient);
const context = lambdaContext('glue-failure-notifier');
let restoreEnv: () => void;
let handler: (event: unknown, context: Context) => Promise<NotifierResult>;
let addMetric: jest.SpyInstance;

beforeAll(() => {
  restoreEnv = setEnv(ENV);
  ({ handler } = coldStart<{ handler: typeof handler }>('glue-failure-notifier'));
  const { metrics } = loaded<typeof Powertools>('shared/powertools');
  addMetric = jest.spyOn(metrics, 'addMetric');
});

afterAll(() => {
  restoreEnv();
  jest.restoreAllMocks();
  glue.restore();
  sns.restore();
});

beforeEach(() => {
  glue.reset();
  sns.reset();
  addMetric.mockClear();
  glue.on(GetJobRunCommand).resolves({
    JobRun: {
      Id: 'jr_0123',
      JobName: JOB,
      JobRunState: 'FAILED',
      ErrorMessage:
        'An error occurred while calling o97.getDynamicFrame. FATAL: password authentication failed',
      ExecutionTime: 95,
      StartedOn: new Date('2024-05-01T12:05:40Z'),
      CompletedOn: new Date('2024-05-01T12:07:15Z'),
      Attempt: 1,
      Timeout: 8,
      LogGroupName: '/aws-glue/jobs',
      Arguments: { '--job-bookmark-option': 'job-bookmark-enable' },
    },
  });
  sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
});

/** Subject and message of the only Publish call. */
function published(): { subject: string; message: string } {
  expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  const { Subject, Message } = sns.commandCalls(PublishCommand)[0].args[0].input;
  return { subject: Subject ?? '', message: Message ?? '' };
}

describe('glue-failure-notifier handler', () => {
  it.each(['FAILED', 'TIMEOUT', 'STOPPED'])('publishes an actionable message for %s', async (state) => {
    const result = await handler(glueEvent({ state }), context);

    expect(glue).toHaveReceivedCommandWith(GetJobRunCommand, { JobName: JOB, RunId: 'jr_0123' });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC_ARN });
    const { subject, message } = published();
    expect(subject).toBe(`Lake ingestion ${state}: trackman-backend public.shots`);
    expect(message).toContain(`State:       ${state}`);
    expect(message).toContain(
      'Error:       An error occurred while calling o97.getDynamicFrame. FATAL: password authentication failed',
    );
    expect(message).toContain('Duration:    1m 35s');
    expect(message).toContain('Attempt:     1');
    expect(message).toContain('/gluestudio/home?region=eu-west-1#/job/');
    expect(message).toContain('log-group/$252Faws-glue$252Fjobs$252Ferror$3FlogStreamNameFilter$3Djr_0123');
    expect(message).toContain('log-group/$252Faws-glue$252Fjobs$252Foutput$3FlogStreamNameFilter$3Djr_0123');
    expect(result).toEqual({ messageId: 'msg-1', subject });
    expect(addMetric).toHaveBeenCalledWith('GlueJobFailureNotified', 'Count', 1);
  });

  it('uses the run region of the event for the links', async () => {
    await handler(glueEvent({}, { region: 'eu-central-1' }), context);
    expect(published().message).toContain(
      'https://eu-central-1.console.aws.amazon.com/gluestudio/home?region=eu-central-1',
    );
  });

  it("follows the run's --custom-logGroup-prefix to its log groups", async () => {
    glue.on(GetJobRunCommand).resolves({
      JobRun: { Id: 'jr_0123', Arguments: { '--custom-logGroup-prefix': '/trackman/dev/glue' } },
    });
    await handler(glueEvent(), context);
    expect(published().message).toContain(
      '(log groups /trackman/dev/glue/error and /trackman/dev/glue/output',
    );
  });

  it('still publishes, from the event, when GetJobRun fails', async () => {
    glue
      .on(GetJobRunCommand)
      .rejects(new EntityNotFoundException({ message: 'Job run jr_0123 not found', $metadata: {} }));

    await handler(glueEvent(), context);

    const { subject, message } = published();
    expect(subject).toBe('Lake ingestion FAILED: trackman-backend public.shots');
    expect(message).toContain(
      'Run details: unavailable (GetJobRun failed: EntityNotFoundException: Job run jr_0123 not found)',
    );
    expect(message).toContain('Error:       Command failed with exit code 1');
    expect(message).toContain('Duration:    unknown');
  });

  it('publishes for a job it does not know, saying so', async () => {
    await handler(glueEvent({ jobName: 'adhoc-export' }), context);
    const { subject, message } = published();
    expect(subject).toBe('Lake ingestion FAILED: Glue job adhoc-export');
    expect(message).toContain("unknown: job adhoc-export is not in this function's JOB_TABLES");
  });

  it('lets an SNS failure propagate, so EventBridge retries the invoke', async () => {
    sns.on(PublishCommand).rejects(new Error('Throttling: Rate exceeded'));
    await expect(handler(glueEvent(), context)).rejects.toThrow('Throttling: Rate exceeded');
    expect(addMetric).not.toHaveBeenCalled();
  });

  it.each<[string, unknown, string]>([
    [
      'a succeeded run',
      glueEvent({ state: 'SUCCEEDED' }),
      'detail.state: expected one of FAILED, TIMEOUT, STOPPED',
    ],
    [
      'an event without run id',
      glueEvent({ jobRunId: undefined }),
      'detail.jobRunId: expected a Glue job run id',
    ],
    [
      'something else entirely',
      { hello: 'world' },
      'detail-type: expected "Glue Job State Change"; received nothing',
    ],
  ])('publishes nothing and calls nothing for %s', async (_case, event, message) => {
    await expect(handler(event, context)).rejects.toThrow(message);
    expect(sns.calls()).toHaveLength(0);
    expect(glue.calls()).toHaveLength(0);
  });

  it('fails at load with a clear message when the environment is wrong', () => {
    const restore = setEnv({ TOPIC_ARN: 'trackman-dev-alarms' });
    try {
      expect(() => coldStart('glue-failure-notifier')).toThrow(
        'Invalid environment of the glue-failure-notifier function:\n  - TOPIC_ARN: expected the ARN of a standard SNS topic',
      );
    } finally {
      restore();
    }
  });
});
