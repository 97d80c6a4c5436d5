/**
 * What the glue-failure-notifier function agrees on with the CDK side.
 * Dependency-free, so infrastructure code may import it.
 */

/** The lake table a Glue job ingests: a value of JOB_TABLES. */
export interface JobTable {
  /** Source id, e.g. `trackman-backend`. */
  readonly source: string;
  /** `schema.name` in the source database. */
  readonly table: string;
}

/** Names of the environment variables the function reads (besides the Powertools ones). */
export const GLUE_FAILURE_NOTIFIER_ENV = {
  /** ARN of the SNS topic that receives the notifications (a standard topic). */
  topicArn: 'TOPIC_ARN',
  /**
   * JSON object mapping each lake job name to its table: `{ "<jobName>": { "source", "table" } }`.
   * Bundled with the code as `JOB_TABLES.json`; the variable is read only where no file is
   * bundled (tests, local runs).
   */
  jobTables: 'JOB_TABLES',
  /**
   * Optional. Prefix of the Glue log groups, to which `/error` and `/output` are appended,
   * when the jobs do not log to the default `/aws-glue/jobs`. A run's own
   * `--custom-logGroup-prefix` argument still wins.
   */
  logGroupPrefix: 'GLUE_LOG_GROUP_PREFIX',
} as const;
