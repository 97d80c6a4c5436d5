/**
 * One view of a replication whatever its kind, and the three calls the
 * function makes on it, for DMS Serverless (DescribeReplications,
 * StartReplication, StopReplication on the replication config ARN) and for a
 * task on a replication instance (DescribeReplicationTasks,
 * StartReplicationTask, StopReplicationTask).
 */
import {
  DescribeReplicationsCommand,
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
  ReloadTablesCommand,
  StartReplicationCommand,
  StartReplicationTaskCommand,
  StopReplicationCommand,
  StopReplicationTaskCommand,
  type DatabaseMigrationServiceClient,
  type Replication,
  type ReplicationTask,
} from '@aws-sdk/client-database-migration-service';
import { RELOAD_BATCH, type ReplicationKind } from './contract';
import type { TableLoad } from './decide';
import type { SourceTable } from './event';

/** What the decisions need to know of a replication. */
export interface ReplicationState {
  readonly arn: string;
  /** As DMS reports it, lower case: 'running', 'stopped', 'provisioning_capacity', ... */
  readonly status: string;
  /** Whether it has ever been started: only then may a start be `resume-processing`. */
  readonly hasRun: boolean;
  /** When it last started (full load or resume), if DMS says. */
  readonly lastStartedAt?: Date;
  /** DMS's own words on a failure (FailureMessages, LastFailureMessage) and on a stop (StopReason). */
  readonly failureMessages: readonly string[];
  readonly stopReason?: string;
}

export type StartType = 'start-replication' | 'resume-processing' | 'reload-target';

/** Finds a replication by ARN or identifier; starts and stops one by ARN. */
export interface ReplicationApi {
  find(by: { readonly arn: string } | { readonly identifier: string }): Promise<ReplicationState | undefined>;
  start(arn: string, type: StartType): Promise<void>;
  stop(arn: string): Promise<void>;
  /** A task's table statistics for these tables (those DMS knows). Tasks only. */
  tableLoads(arn: string, tables: readonly SourceTable[]): Promise<TableLoad[]>;
  /** Reloads these tables of a running task (at most RELOAD_BATCH). Tasks only. */
  reloadTables(arn: string, tables: readonly SourceTable[]): Promise<void>;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'ResourceNotFoundFault';
}

/** undefined when DMS answers with nothing or with ResourceNotFoundFault. */
async function orUndefined<T>(lookup: Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await lookup;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function fromServerless(replication: Replication): ReplicationState {
  const stats = replication.ReplicationStats;
  return {
    arn: replication.ReplicationConfigArn ?? '',
    status: (replication.Status ?? 'unknown').toLowerCase(),
    hasRun: stats?.FreshStartDate !== undefined || stats?.StartDate !== undefined,
    lastStartedAt: stats?.StartDate,
    failureMessages: replication.FailureMessages ?? [],
    stopReason: replication.StopReason,
  };
}

function fromTask(task: ReplicationTask): ReplicationState {
  const stats = task.ReplicationTaskStats;
  return {
    arn: task.ReplicationTaskArn ?? '',
    status: (task.Status ?? 'unknown').toLowerCase(),
    hasRun: stats?.FreshStartDate !== undefined || stats?.StartDate !== undefined,
    lastStartedAt: stats?.StartDate,
    failureMessages: task.LastFailureMessage === undefined ? [] : [task.LastFailureMessage],
    stopReason: task.StopReason,
  };
}

function serverlessApi(dms: DatabaseMigrationServiceClient): ReplicationApi {
  return {
    find: (by) =>
      orUndefined(
        dms
          .send(
            new DescribeReplicationsCommand({
              Filters: [
                'arn' in by
                  ? { Name: 'replication-config-arn', Values: [by.arn] }
                  : { Name: 'replication-config-id', Values: [by.identifier] },
              ],
            }),
          )
          .then(({ Replications }) => Replications?.[0] && fromServerless(Replications[0])),
      ),
    start: async (arn, type) => {
      await dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: type }));
    },
    stop: async (arn) => {
      await dms.send(new StopReplicationCommand({ ReplicationConfigArn: arn }));
    },
    // A serverless replication is replaced, never modified in place, so it never reloads added tables.
    tableLoads: () => Promise.reject(new Error('table loads are read for replication tasks only')),
    reloadTables: () => Promise.reject(new Error('tables are reloaded for replication tasks only')),
  };
}

function instanceApi(dms: DatabaseMigrationServiceClient): ReplicationApi {
  return {
    find: (by) =>
      orUndefined(
        dms
          .send(
            new DescribeReplicationTasksCommand({
              Filters: [
                'arn' in by
                  ? { Name: 'replication-task-arn', Values: [by.arn] }
                  : { Name: 'replication-task-id', Values: [by.identifier] },
              ],
              // The task's settings and mappings are large and not needed here.
              WithoutSettings: true,
            }),
          )
          .then(({ ReplicationTasks }) => ReplicationTasks?.[0] && fromTask(ReplicationTasks[0])),
      ),
    start: async (arn, type) => {
      await dms.send(
        new StartReplicationTaskCommand({ ReplicationTaskArn: arn, StartReplicationTaskType: type }),
      );
    },
    stop: async (arn) => {
      await dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: arn }));
    },
    tableLoads: async (arn, tables) => {
      const loads: TableLoad[] = [];
      // Filters AND together: these schemas and these names; the cross product is narrowed by the caller.
      const filters = [
        { Name: 'schema-name', Values: [...new Set(tables.map((table) => table.SchemaName))] },
        { Name: 'table-name', Values: [...new Set(tables.map((table) => table.TableName))] },
      ];
      let marker: string | undefined;
      do {
        const page = await dms.send(
          new DescribeTableStatisticsCommand({
            ReplicationTaskArn: arn,
            Filters: filters,
            MaxRecords: 100,
            Marker: marker,
          }),
        );
        for (const stats of page.TableStatistics ?? []) {
          loads.push({
            schemaName: stats.SchemaName ?? '',
            tableName: stats.TableName ?? '',
            state: stats.TableState,
            fullLoadStartedAt: stats.FullLoadStartTime,
          });
        }
        marker = page.Marker;
      } while (marker !== undefined);
      return loads;
    },
    reloadTables: async (arn, tables) => {
      await dms.send(
        new ReloadTablesCommand({
          ReplicationTaskArn: arn,
          TablesToReload: tables
            .slice(0, RELOAD_BATCH)
            .map(({ SchemaName, TableName }) => ({ SchemaName, TableName })),
          ReloadOption: 'data-reload',
        }),
      );
    },
  };
}

/** The calls for a kind of replication, made with `dms`. */
export function replicationApi(kind: ReplicationKind, dms: DatabaseMigrationServiceClient): ReplicationApi {
  return kind === 'serverless' ? serverlessApi(dms) : instanceApi(dms);
}
