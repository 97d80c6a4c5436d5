/**
 * What AWS DMS is told to do, derived from config: the table mappings of one
 * source and the replication (task) settings. Pure: no CDK, so the JSON is
 * tested exactly and hashed for the start/stop control (a changed hash means
 * the replication must be stopped, modified and resumed).
 *
 * Task settings reference: https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TaskSettings.html
 */
import { createHash } from 'node:crypto';
import { BATCH_APPLY } from './replication-budget';

/** The parts of a source the mappings read. */
export interface MappedSource {
  readonly name: string;
  readonly replication?: { readonly targetSchema?: string };
  readonly tables: readonly { readonly schema: string; readonly name: string; readonly replicate: boolean }[];
}

export interface SelectionRule {
  readonly 'rule-type': 'selection';
  readonly 'rule-id': string;
  readonly 'rule-name': string;
  readonly 'object-locator': { readonly 'schema-name': string; readonly 'table-name': string };
  readonly 'rule-action': 'include';
}

export interface RenameSchemaRule {
  readonly 'rule-type': 'transformation';
  readonly 'rule-id': string;
  readonly 'rule-name': string;
  readonly 'rule-target': 'schema';
  readonly 'object-locator': { readonly 'schema-name': string };
  readonly 'rule-action': 'rename';
  readonly value: string;
}

export interface TableMappings {
  readonly rules: readonly (SelectionRule | RenameSchemaRule)[];
}

/** The tables of a source that DMS replicates, in config order. */
export function replicatedTables(source: MappedSource): MappedSource['tables'] {
  return source.tables.filter((table) => table.replicate);
}

/**
 * Table mappings of one source: one selection rule per table with replicate: true, naming
 * its schema and table exactly (no `%` wildcard, so a table added to the source database is
 * never picked up unannounced), then, when replication.targetSchema is set, one rule per
 * source schema that renames it to the target schema. Rule ids are positions, so adding a
 * table at the end changes no existing rule.
 */
export function tableMappings(source: MappedSource): TableMappings {
  const tables = replicatedTables(source);
  const selections: SelectionRule[] = tables.map((table, i) => ({
    'rule-type': 'selection',
    'rule-id': String(i + 1),
    'rule-name': `include-${table.schema}-${table.name}`,
    'object-locator': { 'schema-name': table.schema, 'table-name': table.name },
    'rule-action': 'include',
  }));
  const targetSchema = source.replication?.targetSchema;
  const schemas = [...new Set(tables.map((table) => table.schema))];
  const renames: RenameSchemaRule[] =
    targetSchema === undefined
      ? []
      : schemas
          .filter((schema) => schema !== targetSchema)
          .map((schema, i) => ({
            'rule-type': 'transformation',
            'rule-id': String(selections.length + i + 1),
            'rule-name': `rename-schema-${schema}`,
            'rule-target': 'schema',
            'object-locator': { 'schema-name': schema },
            'rule-action': 'rename',
            value: targetSchema,
          }));
  return { rules: [...selections, ...renames] };
}

/**
 * How DMS prepares a target table when a full load (or a table reload) starts.
 * TRUNCATE_BEFORE_LOAD empties the table and keeps its definition: the indexes, grants
 * and constraints the internal application's owners add to dataengineering-db survive a
 * reload. DROP_AND_CREATE would replace each table with DMS's own, bare definition and
 * drop those; DO_NOTHING would load on top of the rows already there, so a reload would
 * collide with them.
 */
export const TARGET_TABLE_PREP_MODE = 'TRUNCATE_BEFORE_LOAD';

/** Components whose log lines DMS writes to CloudWatch Logs, at the default severity. */
const LOG_COMPONENTS = [
  'SOURCE_CAPTURE',
  'SOURCE_UNLOAD',
  'SORTER',
  'TARGET_APPLY',
  'TARGET_LOAD',
  'TASK_MANAGER',
  'TABLES_MANAGER',
  'METADATA_MANAGER',
  'VALIDATOR',
] as const;

export interface ReplicationSettingsInput {
  /** replication.lobMaxSizeKiB: the largest LOB copied; a larger one fails the replication. */
  readonly lobMaxSizeKiB: number;
  /**
   * The source's engine. MySQL endpoints have no FailTasksOnLobTruncation, and in limited LOB
   * mode DMS truncates a larger LOB with a warning only, so MySQL sources copy LOBs in full.
   * @default 'postgres'
   */
  readonly engine?: 'postgres' | 'mysql';
}

/**
 * Replication settings (ReplicationSettings of DMS Serverless, ReplicationTaskSettings of a
 * task): full load then CDC, validation on, every error that would lose or alter a row
 * stops the replication, no LOB truncation, CloudWatch logging, batch apply.
 */
export function replicationSettings(input: ReplicationSettingsInput): Record<string, unknown> {
  const fullLobs = input.engine === 'mysql';
  return {
    TargetMetadata: {
      // PostgreSQL sources: limited LOB mode, LOBs up to LobMaxSize travel inline with their row,
      // which batch apply requires; a larger one fails the task through the source endpoint's
      // FailTasksOnLobTruncation. MySQL endpoints have no such setting and DMS would truncate
      // silently (with a warning), so MySQL sources copy every LOB in full, at some speed cost.
      // DataTruncationErrorPolicy below stops the task for any other truncation.
      SupportLobs: true,
      FullLobMode: fullLobs,
      LimitedSizeLobMode: !fullLobs,
      ...(fullLobs ? { LobChunkSize: 64 } : { LobMaxSize: input.lobMaxSizeKiB }),
      BatchApplyEnabled: true,
    },
    FullLoadSettings: {
      TargetTablePrepMode: TARGET_TABLE_PREP_MODE,
      // Cached changes are applied after each table's full load, then CDC goes on: never stop in between.
      StopTaskCachedChangesApplied: false,
      StopTaskCachedChangesNotApplied: false,
      MaxFullLoadSubTasks: 8,
      // Seconds DMS waits for transactions open at start before the full load (DMS's default, 10 minutes).
      TransactionConsistencyTimeout: 600,
      CommitRate: 10000,
    },
    Logging: {
      EnableLogging: true,
      LogComponents: LOG_COMPONENTS.map((id) => ({ Id: id, Severity: 'LOGGER_SEVERITY_DEFAULT' })),
    },
    ChangeProcessingTuning: {
      BatchApplyTimeoutMin: BATCH_APPLY.timeoutMinSeconds,
      BatchApplyTimeoutMax: BATCH_APPLY.timeoutMaxSeconds,
      BatchApplyMemoryLimit: 500,
      BatchSplitSize: 0,
      MemoryLimitTotal: 1024,
      MemoryKeepTime: 60,
      StatementCacheSize: 50,
    },
    ErrorBehavior: {
      // A row that cannot be converted or written: stop, so it is fixed, not skipped
      // (LOG_ERROR and IGNORE_RECORD carry on without the row).
      DataErrorPolicy: 'STOP_TASK',
      // A value that would be cut short: stop rather than store a different value.
      DataTruncationErrorPolicy: 'STOP_TASK',
      DataErrorEscalationPolicy: 'STOP_TASK',
      DataErrorEscalationCount: 0,
      // An error on a whole table: stop the replication. SUSPEND_TABLE would keep the other
      // tables going but raise no state change event, so the table would go stale unseen.
      TableErrorPolicy: 'STOP_TASK',
      TableErrorEscalationPolicy: 'STOP_TASK',
      TableErrorEscalationCount: 0,
      // Environmental errors (a dropped connection, a failover) are retried without end, with
      // growing waits up to 30 minutes; the latency alarms page while it retries.
      RecoverableErrorCount: -1,
      RecoverableErrorInterval: 5,
      RecoverableErrorThrottling: true,
      // At most 5 minutes between retries, so a source back after an outage is read again well
      // within the 30-minute SLO (the default cap of 1800 s is the whole SLO).
      RecoverableErrorThrottlingMax: 300,
      // Apply conflicts mean dataengineering-db has diverged from the source (a row missing
      // or already there): stop. IGNORE_RECORD and LOG_ERROR drop the change; UPDATE_RECORD
      // inserts the missing row without its LOB columns.
      ApplyErrorDeletePolicy: 'STOP_TASK',
      ApplyErrorInsertPolicy: 'STOP_TASK',
      ApplyErrorUpdatePolicy: 'STOP_TASK',
      ApplyErrorEscalationPolicy: 'STOP_TASK',
      ApplyErrorEscalationCount: 0,
      // Mappings that match no table (a table renamed or dropped at the source) fail the start.
      FailOnNoTablesCaptured: true,
      // Changes cached during a table's full load may already be in the rows loaded; their
      // "duplicate" and "zero rows affected" results are that overlap, not lost rows.
      FullLoadIgnoreConflicts: true,
    },
    ValidationSettings: {
      // Every row is compared with the source after its full load and on every change.
      // A mismatch does not stop the replication: it is recorded in
      // awsdms_control.awsdms_validation_failures_v1 on the target and counted in the
      // ValidationFailedOverallCount metric, which the validation alarm watches.
      EnableValidation: true,
      ValidationOnly: false,
      ThreadCount: 5,
      // After this many failed rows DMS suspends validation (of the task, of one table);
      // the alarm has fired at the first.
      FailureMaxCount: 10000,
      TableFailureMaxCount: 1000,
      SkipLobColumns: false,
    },
  };
}

/** sha256 of the mappings and settings JSON: the start/stop control compares it across deploys. */
export function settingsHash(mappings: TableMappings, settings: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify({ mappings, settings })).digest('hex');
}

/**
 * `trackman-prod-trackman-backend`: the fixed identifier of a source's replication (DMS
 * Serverless replication config or replication task). Letters, digits and single hyphens,
 * at most 63 characters (environment names have at most 12, source names 40).
 */
export function replicationIdentifier(environment: string, sourceName: string): string {
  return `trackman-${environment}-${sourceName}`.replace(/-{2,}/g, '-');
}
