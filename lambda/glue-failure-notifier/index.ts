/**
 * glue-failure-notifier: turns a Glue Job State Change (FAILED, TIMEOUT or
 * STOPPED) of a lake ingestion job into an SNS notification a person can act on.
 */
import { GetJobRunCommand, GlueClient, type JobRun } from '@aws-sdk/client-glue';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { bundledOrEnvironment } from '../shared/bundled';
import { instrumentHandler, logger, metrics, MetricUnit, tracer } from '../shared/powertools';
import { MAX_ECHO_LENGTH, truncate, ValidationError } from '../shared/validation';
import { parseConfig } from './config';
import { GLUE_FAILURE_NOTIFIER_ENV } from './contract';
import { parseJobStateChange, type JobStateChange } from './event';
import { buildNotification, type RunDetails } from './message';

const config = parseConfig({
  ...process.env,
  [GLUE_FAILURE_NOTIFIER_ENV.jobTables]: bundledOrEnvironment(
    GLUE_FAILURE_NOTIFIER_ENV.jobTables,
    process.env,
  ),
});
const glue = tracer.captureAWSv3Client(new GlueClient({}));
const sns = tracer.captureAWSv3Client(new SNSClient({}));

/** What the function returns (visible in tests and in a manual test invoke). */
export interface NotifierResult {
  readonly messageId?: string;
  readonly subject: string;
}

/** The fields of a JobRun the notification uses. */
function toRunDetails(run: JobRun): RunDetails {
  return {
    errorMessage: run.ErrorMessage,
    executionTimeSeconds: run.ExecutionTime,
    startedOn: run.StartedOn,
    completedOn: run.CompletedOn,
    attempt: run.Attempt,
    timeoutMinutes: run.Timeout,
    logGroupName: run.LogGroupName,
    customLogGroupPrefix: run.Arguments?.['--custom-logGroup-prefix'],
  };
}

async function fetchRun(change: JobStateChange): Promise<{ run?: RunDetails; runError?: string }> {
  try {
    const { JobRun: run } = await glue.send(
      new GetJobRunCommand({ JobName: change.jobName, RunId: change.runId }),
    );
    return run === undefined ? { runError: 'the response had no JobRun' } : { run: toRunDetails(run) };
  } catch (error) {
    const runError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    // An SDK error can quote the request; log a bounded description, not the error object.
    logger.error('GetJobRun failed; notifying with what the event carries', {
      jobName: change.jobName,
      runId: change.runId,
      runError: truncate(runError, 8 * MAX_ECHO_LENGTH),
    });
    return { runError };
  }
}

export const handler = instrumentHandler('glue-failure-notifier', async (event): Promise<NotifierResult> => {
  let change: JobStateChange;
  try {
    change = parseJobStateChange(event);
  } catch (error) {
    if (error instanceof ValidationError) logger.error('Rejected event', { problems: error.problems });
    throw error;
  }

  const table = config.jobTables[change.jobName];
  if (table === undefined)
    logger.warn('Job is not one of the configured lake jobs', { jobName: change.jobName });

  const { run, runError } = await fetchRun(change);
  const notification = buildNotification({
    change,
    table,
    run,
    runError,
    logGroupPrefix: config.logGroupPrefix,
  });
  const published = await sns.send(
    new PublishCommand({
      TopicArn: config.topicArn,
      Subject: notification.subject,
      Message: notification.body,
    }),
  );

  metrics.addDimension('state', change.state);
  metrics.addMetric('GlueJobFailureNotified', MetricUnit.Count, 1);
  logger.info('Notified Glue job failure', {
    jobName: change.jobName,
    runId: change.runId,
    state: change.state,
    messageId: published.MessageId,
  });
  return { messageId: published.MessageId, subject: notification.subject };
});
