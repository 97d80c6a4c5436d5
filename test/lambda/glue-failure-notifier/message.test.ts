import type { JobStateChange } from '../../../lambda/glue-failure-notifier/event';
import {
  buildNotification,
  consoleBase,
  formatDuration,
  glueRunUrl,
  logStreamsUrl,
  MAX_SUBJECT_LENGTH,
  notificationSubject,
  resolveLogGroupPrefix,
  type RunDetails,
} from '../../../lambda/glue-failure-notifier/message';

const JOB = 'trackman-dev-ingest-trackman-backend-public-shots';
const RUN_ID = 'jr_5c1b0f3e9d2a4b6c8e7f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d';
const SHOTS = { source: 'trackman-backend', table: 'public.shots' };

const change = (overrides: Partial<JobStateChange> = {}): JobStateChange => ({
  jobName: JOB,
  runId: RUN_ID,
  state: 'FAILED',
  account: '111111111111',
  region: 'eu-west-1',
  time: '2024-05-01T12:07:16Z',
  message: 'Command failed with exit code 1',
  ...overrides,
});

const RUN: RunDetails = {
  errorMessage: 'Py4JJavaError: An error occurred while calling o97.getDynamicFrame. Connection refused.',
  executionTimeSeconds: 432,
  startedOn: new Date('2024-05-01T12:00:03Z'),
  completedOn: new Date('2024-05-01T12:07:15Z'),
  attempt: 0,
  timeoutMinutes: 8,
  logGroupName: '/aws-glue/jobs',
};

describe('notificationSubject', () => {
  it.each(['FAILED', 'TIMEOUT', 'STOPPED'] as const)('names the state and the table: %s', (state) => {
    expect(notificationSubject(state, JOB, SHOTS)).toBe(
      `Lake ingestion ${state}: trackman-backend public.shots`,
    );
  });

  it('names the job when the table is unknown', () => {
    expect(notificationSubject('FAILED', 'someone-elses-job', undefined)).toBe(
      'Lake ingestion FAILED: Glue job someone-elses-job',
    );
  });

  it('stays one printable line shorter than 100 characters', () => {
    const subject = notificationSubject(
      'TIMEOUT',
      `job\nwith\tcontrol ${'é'.repeat(10)} ${'x'.repeat(200)}`,
      undefined,
    );
    expect(subject.length).toBe(MAX_SUBJECT_LENGTH);
    expect(subject).toMatch(/^[\x20-\x7E]+\.\.\.$/);
    expect(subject.startsWith('Lake ingestion TIMEOUT: Glue job job with control x')).toBe(true);
  });
});

describe('links', () => {
  it('use the console of the region partition', () => {
    expect(consoleBase('eu-west-1')).toBe('https://eu-west-1.console.aws.amazon.com');
    expect(consoleBase('cn-north-1')).toBe('https://console.amazonaws.cn');
    expect(consoleBase('us-gov-west-1')).toBe('https://console.amazonaws-us-gov.com');
  });

  it('point at the run in Glue Studio', () => {
    expect(glueRunUrl('eu-west-1', 'job name/with slash', 'jr_1')).toBe(
      'https://eu-west-1.console.aws.amazon.com/gluestudio/home?region=eu-west-1#/job/job%20name%2Fwith%20slash/run/jr_1',
    );
  });

  it("point at the run's log streams with the console's double encoding", () => {
    expect(logStreamsUrl('eu-west-1', '/aws-glue/jobs/error', 'jr_1')).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1' +
        '#logsV2:log-groups/log-group/$252Faws-glue$252Fjobs$252Ferror$3FlogStreamNameFilter$3Djr_1',
    );
  });
});

describe('resolveLogGroupPrefix', () => {
  it.each<[string, RunDetails | undefined, string | undefined, string]>([
    ['the default without anything else', undefined, undefined, '/aws-glue/jobs'],
    ["the run's log group", { logGroupName: '/aws-glue/jobs-sec' }, undefined, '/aws-glue/jobs-sec'],
    [
      'GLUE_LOG_GROUP_PREFIX over the run log group',
      { logGroupName: '/aws-glue/jobs' },
      '/trackman/glue',
      '/trackman/glue',
    ],
    [
      "the run's --custom-logGroup-prefix over everything",
      { logGroupName: '/aws-glue/jobs', customLogGroupPrefix: '/trackman/dev/glue/' },
      '/trackman/glue',
      '/trackman/dev/glue',
    ],
  ])('%s', (_case, run, configured, expected) => {
    expect(resolveLogGroupPrefix(run, configured)).toBe(expected);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [432, '7m 12s'],
    [3723, '1h 02m 03s'],
    [59.6, '1m 00s'],
  ])('%d seconds is %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('buildNotification', () => {
  it('gives table, job, run, state, error, duration and links for a failed run', () => {
    const { subject, body } = buildNotification({ change: change(), table: SHOTS, run: RUN });

    expect(subject).toBe('Lake ingestion FAILED: trackman-backend public.shots');
    expect(body.split('\n')).toEqual(
      expect.arrayContaining([
        'Lake ingestion of public.shots (source trackman-backend) ended FAILED.',
        'Error:       Py4JJavaError: An error occurred while calling o97.getDynamicFrame. Connection refused.',
        'State:       FAILED',
        'Table:       trackman-backend public.shots',
        `Glue job:    ${JOB}`,
        `Run id:      ${RUN_ID}`,
        'Attempt:     0 (Glue counts from 0)',
        'Started:     2024-05-01T12:00:03.000Z',
        'Completed:   2024-05-01T12:07:15.000Z',
        'Duration:    7m 12s',
        'Timeout:     8 min',
        'Account:     111111111111 (eu-west-1)',
        `Glue run:    https://eu-west-1.console.aws.amazon.com/gluestudio/home?region=eu-west-1#/job/${JOB}/run/${RUN_ID}`,
        `Error log:   ${logStreamsUrl('eu-west-1', '/aws-glue/jobs/error', RUN_ID)}`,
        `Output log:  ${logStreamsUrl('eu-west-1', '/aws-glue/jobs/output', RUN_ID)}`,
        `(log groups /aws-glue/jobs/error and /aws-glue/jobs/output, streams starting with ${RUN_ID})`,
      ]),
    );
    expect(body).toContain('Open the error log and find the first exception');
  });

  it.each([
    ['TIMEOUT', 'The run took longer than its timeout.'],
    ['STOPPED', 'The run was stopped before it finished'],
  ] as const)('says what to do for %s', (state, advice) => {
    const { subject, body } = buildNotification({ change: change({ state }), table: SHOTS, run: RUN });
    expect(subject).toBe(`Lake ingestion ${state}: trackman-backend public.shots`);
    expect(body).toContain(`State:       ${state}`);
    expect(body).toContain(advice);
  });

  it('falls back to the event when the run details are missing', () => {
    const { body } = buildNotification({
      change: change(),
      table: SHOTS,
      runError: 'AccessDeniedException: not authorized to perform glue:GetJobRun',
    });
    expect(body).toContain(
      'Run details: unavailable (GetJobRun failed: AccessDeniedException: not authorized to perform glue:GetJobRun); the rest comes from the event',
    );
    expect(body).toContain('Error:       Command failed with exit code 1');
    expect(body).toContain('Duration:    unknown');
    expect(body).not.toContain('Attempt:');
    expect(body).toContain(logStreamsUrl('eu-west-1', '/aws-glue/jobs/error', RUN_ID));
  });

  it('computes the duration from start and end when Glue gives no execution time', () => {
    const { body } = buildNotification({
      change: change(),
      table: SHOTS,
      run: { ...RUN, executionTimeSeconds: undefined },
    });
    expect(body).toContain('Duration:    7m 12s');
  });

  it('says so when the job is not a configured lake job', () => {
    const { subject, body } = buildNotification({ change: change({ jobName: 'adhoc-export' }), run: RUN });
    expect(subject).toBe('Lake ingestion FAILED: Glue job adhoc-export');
    expect(body).toContain("Table:       unknown: job adhoc-export is not in this function's JOB_TABLES");
  });

  it('says when no error was reported and cuts very long errors', () => {
    expect(buildNotification({ change: change({ message: undefined }), table: SHOTS }).body).toContain(
      'Error:       none reported',
    );
    const { body } = buildNotification({
      change: change(),
      table: SHOTS,
      run: { errorMessage: 'x'.repeat(10_000) },
    });
    expect(body).toContain(`Error:       ${'x'.repeat(3997)}...\n`);
  });
});
