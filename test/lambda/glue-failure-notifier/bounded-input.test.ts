/**
 * Huge input never makes a huge alert or error: a malformed event is rejected
 * before any AWS call with a short error, and whatever a valid event or
 * GetJobRun carries, the published message stays within its byte budget and
 * the subject within SNS's limit.
 */
import { GetJobRunCommand, GlueClient, InternalServiceException } from '@aws-sdk/client-glue';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { NotifierResult } from '../../../lambda/glue-failure-notifier';
import {
  boundMessage,
  MAX_MESSAGE_BYTES,
  MAX_SUBJECT_LENGTH,
  SNS_MAX_MESSAGE_BYTES,
} from '../../../lambda/glue-failure-notifier/message';
import type * as Powertools from '../../../lambda/shared/powertools';
import { glueEvent } from '../support/glue-events';
import { coldStart, LAMBDA_TEST_ENV, lambdaContext, loaded, setEnv } from '../support/lambda-env';

const JOB = 'trackman-dev-ingest-trackman-backend-public-shots';
const KB300 = 300 * 1024;
/** JSON.stringify shows nothing of an Error; the logger prints its name, message and stack. */
const withErrors = (_key: string, value: unknown) =>
  value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
/** An error that reaches the Lambda runtime is reported with its message and stack: both must stay short. */
const MAX_ERROR_CHARS = 4 * 1024;

const glue = mockClient(GlueClient);
const sns = mockClient(SNSClient);
const context = lambdaContext('glue-failure-notifier');
let restoreEnv: () => void;
let handler: (event: unknown, context: Context) => Promise<NotifierResult>;
let logged: jest.SpyInstance[];

beforeAll(() => {
  restoreEnv = setEnv({
    ...LAMBDA_TEST_ENV,
    POWERTOOLS_SERVICE_NAME: 'glue-failure-notifier',
    TOPIC_ARN: 'arn:aws:sns:eu-west-1:111111111111:trackman-dev-alarms',
    JOB_TABLES: JSON.stringify({ [JOB]: { source: 'trackman-backend', table: 'public.shots' } }),
    GLUE_LOG_GROUP_PREFIX: undefined,
  });
  ({ handler } = coldStart<{ handler: typeof handler }>('glue-failure-notifier'));
  const { logger } = loaded<typeof Powertools>('shared/powertools');
  logged = (['error', 'warn', 'info'] as const).map((level) => jest.spyOn(logger, level));
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
  sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  for (const spy of logged) spy.mockClear();
});

/** Characters of everything the function handed to the logger in this test. */
const loggedChars = () =>
  logged
    .flatMap((spy) => spy.mock.calls)
    .reduce((sum, args) => sum + JSON.stringify(args, withErrors).length, 0);

async function rejection(event: unknown): Promise<Error> {
  const error = await handler(event, context).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('a malformed event with huge fields', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>, string]>([
    [
      'a 300 KB job name',
      { jobName: `trackman-${'x'.repeat(KB300)}` },
      {},
      'detail.jobName: expected a Glue job name of 1-255 characters',
    ],
    [
      'a 300 KB run id',
      { jobRunId: `jr_${'0'.repeat(KB300)}` },
      {},
      'detail.jobRunId: expected a Glue job run id of 1-255 characters',
    ],
    ['a 300 KB event time', {}, { time: '2'.repeat(KB300) }, 'time: expected the event time'],
  ])('%s is rejected with a short error, before any AWS call', async (_case, detail, envelope, message) => {
    const error = await rejection(glueEvent(detail, envelope));
    expect(error.message).toContain(message);
    expect(error.message.length).toBeLessThan(MAX_ERROR_CHARS);
    expect((error.stack ?? '').length).toBeLessThan(MAX_ERROR_CHARS + 2048);
    expect(glue.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
    expect(loggedChars()).toBeLessThan(MAX_ERROR_CHARS);
  });

  it('an event with 100,000 extra fields and wrongly typed ones is rejected the same way', async () => {
    const detail = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`field${i}`, i]));
    const error = await rejection({ ...glueEvent(), detail: { ...detail, state: 42, jobName: 7 } });
    expect(error.message.length).toBeLessThan(MAX_ERROR_CHARS);
    expect(glue.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });
});

describe('a valid event whose run carries huge text', () => {
  function publishedMessage(): { subject: string; message: string } {
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const { Subject, Message } = sns.commandCalls(PublishCommand)[0].args[0].input;
    return { subject: Subject ?? '', message: Message ?? '' };
  }

  function expectBounded({ subject, message }: { subject: string; message: string }) {
    expect(Buffer.byteLength(message, 'utf8')).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(MAX_MESSAGE_BYTES).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(subject).toMatch(/^[\x20-\x7E]+$/);
    expect(loggedChars()).toBeLessThan(MAX_ERROR_CHARS);
  }

  it('a 300 KB error message, log group and arguments from GetJobRun', async () => {
    glue.on(GetJobRunCommand).resolves({
      JobRun: {
        Id: 'jr_0123',
        JobName: JOB,
        JobRunState: 'FAILED',
        ErrorMessage: `Py4JJavaError ${'€'.repeat(KB300)}`,
        LogGroupName: `/aws-glue/${'g'.repeat(KB300)}`,
        Arguments: { '--custom-logGroup-prefix': `/trackman/${'p'.repeat(KB300)}` },
      },
    });
    await handler(glueEvent(), context);
    const published = publishedMessage();
    expectBounded(published);
    expect(published.message).toContain('Py4JJavaError €€€');
  });

  it("a 300 KB message in the event and a 300 KB GetJobRun failure (the event's message is used)", async () => {
    glue
      .on(GetJobRunCommand)
      .rejects(new InternalServiceException({ message: `boom ${'e'.repeat(KB300)}`, $metadata: {} }));
    await handler(glueEvent({ message: `Command failed ${'m'.repeat(KB300)}` }), context);
    const published = publishedMessage();
    expectBounded(published);
    expect(published.message).toContain('Error:       Command failed mmm');
    expect(published.message).toContain('GetJobRun failed: InternalServiceException: boom eee');
  });

  it('a 255-character job that is not a lake job still fits, subject included', async () => {
    const other = `other-${'j'.repeat(249)}`;
    glue.on(GetJobRunCommand).resolves({ JobRun: { Id: 'jr_0123', JobName: other } });
    const result = await handler(glueEvent({ jobName: other }), context);
    const published = publishedMessage();
    expectBounded(published);
    expect(result.subject).toBe(published.subject);
    expect(published.subject).toMatch(/^Lake ingestion FAILED: Glue job other-j+\.\.\.$/);
  });
});

describe('boundMessage', () => {
  it('leaves a message that fits unchanged', () => {
    expect(boundMessage('short', 100)).toBe('short');
  });

  it('cuts a long message on a character boundary, within the budget, and says so', () => {
    const cut = boundMessage('€'.repeat(50_000), 1000);
    expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(1000);
    expect(Buffer.byteLength(cut, 'utf8')).toBeGreaterThan(900);
    expect(cut).not.toContain('\uFFFD');
    expect(cut).toMatch(/^€+\n\n\[Message cut to fit the alert size limit; .+\]$/);
  });
});
