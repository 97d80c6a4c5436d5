/**
 * The function's environment, read and checked once at cold start.
 */
import * as z from 'zod/mini';
import { jsonText, parseOrThrow } from '../shared/validation';
import { GLUE_FAILURE_NOTIFIER_ENV, type JobTable } from './contract';

const JOB_NAME_LENGTH = 'a Glue job name of 1-255 characters';
const JOB_TABLES = 'a JSON object mapping each Glue job name to { source, table }';

const JobTableSchema = z.strictObject(
  {
    source: z
      .string({ error: 'a source name as a string' })
      .check(z.minLength(1, { error: 'a non-empty source name' })),
    table: z.string({ error: 'a table name as a string' }).check(
      z.regex(/^[A-Za-z_][A-Za-z0-9_$]{0,62}\.[A-Za-z_][A-Za-z0-9_$]{0,62}$/, {
        error: 'a table name "schema.name", e.g. "public.shots"',
      }),
    ),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? 'only the fields source, table' : 'an object { source, table }',
  },
);

const JobTablesSchema = z
  .record(
    z
      .string({ error: JOB_NAME_LENGTH })
      .check(z.minLength(1, { error: JOB_NAME_LENGTH }), z.maxLength(255, { error: JOB_NAME_LENGTH })),
    JobTableSchema,
    { error: JOB_TABLES },
  )
  .check(z.refine((jobs) => Object.keys(jobs).length > 0, { error: 'at least one job' }));

const EnvironmentSchema = z.strictObject({
  [GLUE_FAILURE_NOTIFIER_ENV.topicArn]: z.string({ error: 'the ARN of the notification topic' }).check(
    z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, {
      error: 'the ARN of a standard SNS topic (arn:aws:sns:<region>:<account>:<name>)',
    }),
  ),
  [GLUE_FAILURE_NOTIFIER_ENV.jobTables]: z.pipe(
    z.pipe(z.string({ error: JOB_TABLES }), jsonText('the job-to-table map')),
    JobTablesSchema,
  ),
  [GLUE_FAILURE_NOTIFIER_ENV.logGroupPrefix]: z.optional(
    z.pipe(
      z.string({ error: 'a CloudWatch log group prefix as a string' }).check(
        z.regex(/^\/[A-Za-z0-9._\-/#]{1,400}$/, {
          error:
            'a CloudWatch log group prefix such as /aws-glue/jobs (letters, digits, . _ - / #, starting with /)',
        }),
      ),
      z.transform((prefix: string) => prefix.replace(/\/+$/, '')),
    ),
  ),
});

/** The checked environment. */
export interface NotifierConfig {
  readonly topicArn: string;
  readonly jobTables: Readonly<Record<string, JobTable>>;
  /** @default - the run's own log group, else /aws-glue/jobs */
  readonly logGroupPrefix?: string;
}

/**
 * Reads the function's variables out of `env` (only those) and checks them.
 * @throws ValidationError listing every problem.
 */
export function parseConfig(env: Readonly<Record<string, string | undefined>>): NotifierConfig {
  const prefix = env[GLUE_FAILURE_NOTIFIER_ENV.logGroupPrefix];
  const parsed = parseOrThrow(
    EnvironmentSchema,
    {
      [GLUE_FAILURE_NOTIFIER_ENV.topicArn]: env[GLUE_FAILURE_NOTIFIER_ENV.topicArn],
      [GLUE_FAILURE_NOTIFIER_ENV.jobTables]: env[GLUE_FAILURE_NOTIFIER_ENV.jobTables],
      // An empty variable means "not set".
      [GLUE_FAILURE_NOTIFIER_ENV.logGroupPrefix]: prefix === '' ? undefined : prefix,
    },
    'Invalid environment of the glue-failure-notifier function',
    '(environment)',
  );
  return {
    topicArn: parsed[GLUE_FAILURE_NOTIFIER_ENV.topicArn],
    jobTables: parsed[GLUE_FAILURE_NOTIFIER_ENV.jobTables],
    logGroupPrefix: parsed[GLUE_FAILURE_NOTIFIER_ENV.logGroupPrefix],
  };
}
