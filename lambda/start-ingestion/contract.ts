/**
 * What the start-ingestion function agrees on with its callers and with the
 * CDK side. Dependency-free on purpose: infrastructure code may import it to
 * build the environment, without pulling runtime code into a stack.
 */

/** One lake table: an entry of INGESTION_TABLES and of the workflow input. */
export interface IngestionTable {
  /** Source id, e.g. `trackman-backend`. */
  readonly source: string;
  /** `schema.name` in the source database, e.g. `public.shots`. */
  readonly table: string;
  /** The Glue job that ingests this table. */
  readonly jobName: string;
}

/** What caused a workflow run. */
export type TriggerKind = 'manual' | 'event' | 'database';

/** Input of the ingestion state machine, as this function starts it. */
export interface WorkflowInput {
  readonly trigger: TriggerKind;
  /** Requested tables, in INGESTION_TABLES order. */
  readonly tables: readonly IngestionTable[];
}

/** Names of the environment variables the function reads (besides the Powertools ones). */
export const START_INGESTION_ENV = {
  /** ARN of the ingestion state machine (standard workflow). */
  stateMachineArn: 'STATE_MACHINE_ARN',
  /**
   * JSON array of every configured lake table: `[{ "source", "table", "jobName" }, ...]`. Bundled
   * with the code as `INGESTION_TABLES.json` (hundreds of tables outgrow the 4 KB environment);
   * the variable is read only where no file is bundled (tests, local runs).
   */
  tables: 'INGESTION_TABLES',
  /** Width in seconds of the window in which duplicate triggers map to one execution. */
  dedupWindowSeconds: 'DEDUP_WINDOW_SECONDS',
} as const;
