/**
 * The notification a person reads when a lake ingestion job fails: what
 * failed, why, where to look and what to do. Pure functions only.
 */
import type { JobTable } from './contract';
import type { FailureState, JobStateChange } from './event';

/** Glue's log group prefix when a job sets none. */
export const DEFAULT_LOG_GROUP_PREFIX = '/aws-glue/jobs';
/**
 * SNS subjects must be "UTF-8 text with no line breaks or control characters, and
 * less than 100 characters long" (PublishRequest.Subject in the AWS SDK reference,
 * https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/sns/aws.sdk.kotlin.services.sns.model/-publish-request/subject.html).
 */
export const MAX_SUBJECT_LENGTH = 99;
/** Glue error messages can be long; the logs have the rest. */
export const MAX_ERROR_LENGTH = 4000;
/** Why GetJobRun failed: an SDK message, which may quote the request. */
export const MAX_RUN_ERROR_LENGTH = 1000;
/** CloudWatch Logs log group names have at most 512 characters; a longer prefix from a run is cut. */
export const MAX_LOG_GROUP_PREFIX_LENGTH = 512;
/**
 * The body of a notification, in UTF-8 bytes. SNS takes at most 256 KB
 * (262,144 bytes) per message (PublishRequest.Message, same reference:
 * .../-publish-request/message.html); an alert a person reads needs far
 * less, and every field above is bounded well within this.
 */
export const MAX_MESSAGE_BYTES = 32 * 1024;
/** SNS's own limit for a message, which MAX_MESSAGE_BYTES stays under. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;

/** What GetJobRun told us about the run; every field may be missing. */
export interface RunDetails {
  readonly errorMessage?: string;
  /** Seconds the run consumed resources. */
  readonly executionTimeSeconds?: number;
  readonly startedOn?: Date;
  readonly completedOn?: Date;
  /** Glue's attempt number; 0 is the first. */
  readonly attempt?: number;
  readonly timeoutMinutes?: number;
  /** JobRun.LogGroupName: the log group prefix Glue reports for the run. */
  readonly logGroupName?: string;
  /** The run's `--custom-logGroup-prefix` argument, if any. */
  readonly customLogGroupPrefix?: string;
}

export interface NotificationInput {
  readonly change: JobStateChange;
  /** The table the job ingests; undefined when the job is not in JOB_TABLES. */
  readonly table?: JobTable;
  /** Undefined when GetJobRun failed. */
  readonly run?: RunDetails;
  /** Why GetJobRun failed, when it did. */
  readonly runError?: string;
  /** GLUE_LOG_GROUP_PREFIX, if set. */
  readonly logGroupPrefix?: string;
}

export interface Notification {
  readonly subject: string;
  readonly body: string;
}

/** Base URL of the AWS console for a region's partition. */
export function consoleBase(region: string): string {
  if (region.startsWith('cn-')) return 'https://console.amazonaws.cn';
  if (region.startsWith('us-gov-')) return 'https://console.amazonaws-us-gov.com';
  return `https://${region}.console.aws.amazon.com`;
}

/** The run's page in the Glue console. */
export function glueRunUrl(region: string, jobName: string, runId: string): string {
  return (
    `${consoleBase(region)}/gluestudio/home?region=${region}` +
    `#/job/${encodeURIComponent(jobName)}/run/${encodeURIComponent(runId)}`
  );
}

/** The CloudWatch console encodes values in its URL fragment twice, with `$` in place of `%` the second time. */
function fragmentValue(value: string): string {
  return encodeURIComponent(value).replace(/%/g, '$25');
}

/**
 * A log group in the CloudWatch console, filtered to the streams whose names
 * start with `streamPrefix`. Glue names a run's streams after its run id (the
 * driver's stream is the run id itself, or `<run id>-driver` in Glue 5), so the
 * filter finds them in every Glue version.
 */
export function logStreamsUrl(region: string, logGroup: string, streamPrefix: string): string {
  return (
    `${consoleBase(region)}/cloudwatch/home?region=${region}` +
    `#logsV2:log-groups/log-group/${fragmentValue(logGroup)}$3FlogStreamNameFilter$3D${fragmentValue(streamPrefix)}`
  );
}

/**
 * Where the run's logs are: the run's own `--custom-logGroup-prefix` argument,
 * else GLUE_LOG_GROUP_PREFIX, else the log group Glue reports for the run, else
 * `/aws-glue/jobs`. `/error` and `/output` are appended to it.
 */
export function resolveLogGroupPrefix(run: RunDetails | undefined, configured: string | undefined): string {
  const prefix = run?.customLogGroupPrefix ?? configured ?? run?.logGroupName ?? DEFAULT_LOG_GROUP_PREFIX;
  return prefix.slice(0, MAX_LOG_GROUP_PREFIX_LENGTH).replace(/\/+$/, '');
}

/** `1h 02m 03s`, `7m 12s`, `45s`. */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h}h ${pad(m)}m ${pad(s)}s`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}

/** Seconds the run took: Glue's execution time, else the time between start and end. */
export function runDurationSeconds(run: RunDetails | undefined): number | undefined {
  if (run?.executionTimeSeconds !== undefined) return run.executionTimeSeconds;
  if (run?.startedOn !== undefined && run.completedOn !== undefined) {
    return (run.completedOn.getTime() - run.startedOn.getTime()) / 1000;
  }
  return undefined;
}

/** Printable ASCII on one line, shorter than SNS's limit. */
export function sanitizeSubject(subject: string): string {
  const oneLine = subject
    .replace(/[^\x20-\x7E]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return oneLine.length <= MAX_SUBJECT_LENGTH ? oneLine : `${oneLine.slice(0, MAX_SUBJECT_LENGTH - 3)}...`;
}

/** E.g. `Lake ingestion FAILED: trackman-backend public.shots`. */
export function notificationSubject(
  state: FailureState,
  jobName: string,
  table: JobTable | undefined,
): string {
  const what = table === undefined ? `Glue job ${jobName}` : `${table.source} ${table.table}`;
  return sanitizeSubject(`Lake ingestion ${state}: ${what}`);
}

const NEXT_STEPS: Readonly<Record<FailureState, readonly string[]>> = {
  FAILED: [
    'Open the error log and find the first exception: an unreachable source database, rotated',
    'credentials, a changed source schema and S3 or KMS permissions are the usual causes.',
    'The next workflow run tries the table again; the job bookmark did not advance, so it',
    're-reads what this run did not finish.',
  ],
  TIMEOUT: [
    'The run took longer than its timeout. The output log shows how far it got; check the',
    'source database for load or locks. A backlog (after an outage, say) may need a one-off',
    'backfill with a longer timeout. Lake freshness is at risk while runs time out.',
  ],
  STOPPED: [
    'The run was stopped before it finished: by a person (BatchStopJobRun in CloudTrail) or',
    'by the ingestion workflow (its own timeout, or a stopped execution). Check the',
    "workflow's execution history. The next workflow run picks the table up again.",
  ],
};

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

const CUT_NOTE = '\n\n[Message cut to fit the alert size limit; the function log has the event.]';

/** `body` if it fits in `maxBytes` of UTF-8, else its longest prefix that does with a note, on a character boundary. */
export function boundMessage(body: string, maxBytes = MAX_MESSAGE_BYTES): string {
  const bytes = Buffer.from(body, 'utf8');
  if (bytes.length <= maxBytes) return body;
  const room = maxBytes - Buffer.byteLength(CUT_NOTE, 'utf8');
  // Decoding a prefix may end inside a character; drop the replacement character that makes.
  const head = bytes
    .subarray(0, Math.max(0, room))
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${head}${CUT_NOTE}`;
}

/** Subject and body of the notification. */
export function buildNotification(input: NotificationInput): Notification {
  const { change, table, run } = input;
  const prefix = resolveLogGroupPrefix(run, input.logGroupPrefix);
  const errorLog = `${prefix}/error`;
  const outputLog = `${prefix}/output`;
  const duration = runDurationSeconds(run);
  const error = run?.errorMessage ?? change.message;

  const headline =
    table === undefined
      ? `Lake ingestion job ${change.jobName} ended ${change.state}.`
      : `Lake ingestion of ${table.table} (source ${table.source}) ended ${change.state}.`;
  const lines: string[] = [headline, ''];
  const field = (label: string, value: string) => lines.push(`${`${label}:`.padEnd(13)}${value}`);

  field('Error', error === undefined || error === '' ? 'none reported' : truncate(error, MAX_ERROR_LENGTH));
  field('State', change.state);
  field(
    'Table',
    table === undefined
      ? `unknown: job ${change.jobName} is not in this function's JOB_TABLES ` +
          '(is the EventBridge rule wider than the lake jobs, or the configuration out of date?)'
      : `${table.source} ${table.table}`,
  );
  field('Glue job', change.jobName);
  field('Run id', change.runId);
  if (input.runError !== undefined) {
    field(
      'Run details',
      `unavailable (GetJobRun failed: ${truncate(input.runError, MAX_RUN_ERROR_LENGTH)}); the rest comes from the event`,
    );
  }
  if (run?.attempt !== undefined) field('Attempt', `${run.attempt} (Glue counts from 0)`);
  if (run?.startedOn !== undefined) field('Started', run.startedOn.toISOString());
  if (run?.completedOn !== undefined) field('Completed', run.completedOn.toISOString());
  field('Duration', duration === undefined ? 'unknown' : formatDuration(duration));
  if (run?.timeoutMinutes !== undefined) field('Timeout', `${run.timeoutMinutes} min`);
  field('Account', `${change.account} (${change.region})`);
  field('Event time', change.time);

  lines.push('', 'Where to look');
  field('Glue run', glueRunUrl(change.region, change.jobName, change.runId));
  field('Error log', logStreamsUrl(change.region, errorLog, change.runId));
  field('Output log', logStreamsUrl(change.region, outputLog, change.runId));
  lines.push(`(log groups ${errorLog} and ${outputLog}, streams starting with ${change.runId})`);

  lines.push('', 'What to do', ...NEXT_STEPS[change.state]);

  return {
    subject: notificationSubject(change.state, change.jobName, table),
    body: boundMessage(lines.join('\n')),
  };
}
