import { parseConfig } from '../../../lambda/glue-failure-notifier/config';
import { parseJobStateChange } from '../../../lambda/glue-failure-notifier/event';
import { glueEvent } from '../support/glue-events';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:111111111111:trackman-dev-alarms';
const JOB_TABLES = JSON.stringify({
  'trackman-dev-ingest-trackman-backend-public-shots': { source: 'trackman-backend', table: 'public.shots' },
});

describe('parseJobStateChange', () => {
  it.each(['FAILED', 'TIMEOUT', 'STOPPED'])('accepts %s', (state) => {
    expect(parseJobStateChange(glueEvent({ state }))).toEqual({
      jobName: 'trackman-dev-ingest-trackman-backend-public-shots',
      runId: 'jr_0123',
      state,
      account: '111111111111',
      region: 'eu-west-1',
      time: '2024-05-01T12:07:16Z',
      message: 'Command failed with exit code 1',
    });
  });

  it.each<[string, unknown, string]>([
    [
      'a succeeded run',
      glueEvent({ state: 'SUCCEEDED' }),
      'detail.state: expected one of FAILED, TIMEOUT, STOPPED (the states the rule forwards); received "SUCCEEDED"',
    ],
    [
      'another event type',
      glueEvent({}, { 'detail-type': 'Glue Crawler State Change' }),
      'detail-type: expected "Glue Job State Change"; received "Glue Crawler State Change"',
    ],
    [
      'another service',
      glueEvent({}, { source: 'aws.states' }),
      'source: expected "aws.glue"; received "aws.states"',
    ],
    [
      'no run id',
      glueEvent({ jobRunId: undefined }),
      'detail.jobRunId: expected a Glue job run id of 1-255 characters; received nothing',
    ],
    [
      'an empty job name',
      glueEvent({ jobName: '' }),
      'detail.jobName: expected a Glue job name of 1-255 characters; received ""',
    ],
    [
      'a bad region',
      glueEvent({}, { region: 'Ireland' }),
      'region: expected an AWS region name such as eu-west-1; received "Ireland"',
    ],
    [
      'no detail',
      glueEvent({}, { detail: undefined }),
      'detail: expected the detail of a Glue Job State Change; received nothing',
    ],
    [
      'not an event',
      'FAILED',
      '(event): expected an EventBridge Glue Job State Change event; received "FAILED"',
    ],
  ])('rejects %s', (_case, event, message) => {
    expect(() => parseJobStateChange(event)).toThrow(message);
  });
});

describe('parseConfig', () => {
  it('reads a valid environment', () => {
    expect(parseConfig({ TOPIC_ARN, JOB_TABLES })).toEqual({
      topicArn: TOPIC_ARN,
      jobTables: JSON.parse(JOB_TABLES),
      logGroupPrefix: undefined,
    });
  });

  it('takes an optional log group prefix without its trailing slash; empty means unset', () => {
    expect(
      parseConfig({ TOPIC_ARN, JOB_TABLES, GLUE_LOG_GROUP_PREFIX: '/trackman/glue/' }).logGroupPrefix,
    ).toBe('/trackman/glue');
    expect(parseConfig({ TOPIC_ARN, JOB_TABLES, GLUE_LOG_GROUP_PREFIX: '' }).logGroupPrefix).toBeUndefined();
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    [
      'a missing topic',
      { TOPIC_ARN: undefined },
      'TOPIC_ARN: expected the ARN of the notification topic; received nothing',
    ],
    [
      'a FIFO topic',
      { TOPIC_ARN: `${TOPIC_ARN}.fifo` },
      'TOPIC_ARN: expected the ARN of a standard SNS topic (arn:aws:sns:<region>:<account>:<name>); received "arn:aws:sns:eu-west-1:111111111111:trackman-dev-alarms.fifo"',
    ],
    [
      'job tables that are not JSON',
      { JOB_TABLES: 'shots' },
      'JOB_TABLES: expected the job-to-table map as JSON',
    ],
    [
      'job tables as a list',
      { JOB_TABLES: '[]' },
      'JOB_TABLES: expected a JSON object mapping each Glue job name to { source, table }; received []',
    ],
    ['no jobs', { JOB_TABLES: '{}' }, 'JOB_TABLES: expected at least one job; received {}'],
    [
      'a job without table',
      { JOB_TABLES: '{"job-a":{"source":"trackman-backend"}}' },
      'JOB_TABLES.job-a.table: expected a table name as a string; received nothing',
    ],
    [
      'a relative log group prefix',
      { GLUE_LOG_GROUP_PREFIX: 'aws-glue/jobs' },
      'GLUE_LOG_GROUP_PREFIX: expected a CloudWatch log group prefix such as /aws-glue/jobs (letters, digits, . _ - / #, starting with /); received "aws-glue/jobs"',
    ],
  ])('rejects %s', (_case, overrides, message) => {
    expect(() => parseConfig({ TOPIC_ARN, JOB_TABLES, ...overrides })).toThrow(message);
  });
});
