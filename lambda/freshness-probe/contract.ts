/**
 * What the freshness probe agrees on with the CDK side (lib/constructs/freshness-probe.ts):
 * the shape of its scheduled input, its environment and the names of its metrics.
 * Dependency-free on purpose, so the construct imports it without pulling runtime code in.
 */

/** Where a measured copy of a table lives. */
export type Destination = 'lake' | 'dataengineering-db';

/** What a run does: every 5 minutes `freshness`, hourly `reconciliation` (which measures freshness too). */
export type ProbeMode = 'freshness' | 'reconciliation';

/** How the probe finds the newest data of a table; mirrors the table's lake read mode. */
export type TableKind = 'update-timestamp' | 'increasing-key' | 'snapshot';

/** One table, as the schedule's input names it. */
export interface ProbeTable {
  /** Schema (PostgreSQL) or database (MySQL) in the source. */
  readonly schema: string;
  readonly name: string;
  readonly kind: TableKind;
  /** The update timestamp or the increasing key; absent for a snapshot table. */
  readonly column?: string;
  /**
   * An increasing-key table's insert timestamp, when it has one: replica lag is then measured
   * in time, as for an update-timestamp table. Without it, only against the lake's watermark.
   */
  readonly timeColumn?: string;
  /**
   * Schema of the copy in dataengineering-db when AWS DMS replicates the table
   * (replication.targetSchema, else the source schema); absent when it does not.
   */
  readonly replicaSchema?: string;
}

/** One source database and its tables. */
export interface ProbeSource {
  readonly name: string;
  readonly engine: 'postgres' | 'mysql';
  /** The writer: lag is measured against the newest committed change, which a read replica may not have yet. */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** The lake reader's secret (username, password): the probe only reads. */
  readonly secretArn: string;
  readonly tables: readonly ProbeTable[];
}

/** dataengineering-db. */
export interface ProbeReplica {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly secretArn: string;
}

/**
 * The input of every scheduled invocation (EventBridge Scheduler target input).
 *
 * The table list travels here, not in the function's environment: Lambda allows 4 KB of
 * environment in total, which a few dozen tables fill, while a Scheduler target input may
 * hold 256 KB (about 1,000 tables at ~250 bytes each). The list is rendered into the
 * template at synth, so it changes with the config, with no object or parameter to keep
 * in step.
 */
export interface ProbeInput {
  readonly mode: ProbeMode;
  /** slo.lakeFreshnessMinutes and slo.replicationFreshnessMinutes. */
  readonly slo: { readonly lakeMinutes: number; readonly replicaMinutes: number };
  readonly sources: readonly ProbeSource[];
  /** Absent when replication is off in the environment. */
  readonly replica?: ProbeReplica;
}

/** Environment variables the function reads besides the Powertools ones. */
export const FRESHNESS_PROBE_ENV = {
  /** The lake bucket whose `_control/<source>/<schema>_<table>/watermark.json` objects are read. */
  lakeBucket: 'LAKE_BUCKET_NAME',
} as const;

/**
 * Metric names. Each is published per table with the dimensions (service, source, table,
 * destination), for the dashboard, and once per run and destination with (service,
 * destination): the worst lag, the largest unknown flag, the total gap and the number of
 * failed measurements. The alarms watch the latter, so they cover every table without
 * naming one (lambda/freshness-probe/metrics.ts).
 */
export const PROBE_METRIC = {
  /** Seconds the destination is behind the source (how it is measured: README). */
  lagSeconds: 'LagSeconds',
  /** 1 while a table's lake horizon is held or its watermark is missing: the lake lag is then a lower bound or unknown. */
  lakeLagUnknown: 'LakeLagUnknown',
  /** Rows of a closed window the source has and the destination lacks. */
  reconciliationGapRows: 'ReconciliationGapRows',
  /** 1 for each measurement that could not be made (unreachable, denied, missing table, bad watermark). */
  probeFailures: 'ProbeFailures',
  /**
   * 1 per destination from every reconciliation run that got as far as publishing: its absence
   * pages, since a reconciliation that never ends would otherwise look like an hour without gaps.
   */
  reconciliationRuns: 'ReconciliationRuns',
} as const;

/** The Powertools service name, a dimension of every metric. */
export const PROBE_SERVICE = 'freshness-probe';

/**
 * Seconds a run may spend measuring. Tables not reached by then are reported as failed
 * measurements (so the failure alarms page and the metrics of the tables measured are still
 * published), instead of Lambda ending the run at its timeout with nothing published. The
 * function's timeout leaves room for one more query at its statement timeout and the publish.
 */
export const RUN_BUDGET_SECONDS = 195;
/** The function timeout: the run budget, one statement timeout (15 s) and the publish. */
export const FUNCTION_TIMEOUT_SECONDS = 240;
