import { createHash } from 'node:crypto';
import type { EnvironmentConfig, SourceConfig, TableConfig } from './index';

/**
 * The indexes the freshness probe needs on dataengineering-db.
 *
 * DMS creates a replicated table on the target with its primary key only; it copies no
 * secondary index. The probe reads each replicated table there: the newest value of its
 * time column since a window start every 5 minutes, its greatest increasing key, and hourly
 * a count over a window of its bookmark column (lambda/freshness-probe/queries.ts). On a
 * column no index leads, each of those reads scans the table, on a database the internal
 * application serves from. The target table preparation mode (TRUNCATE_BEFORE_LOAD) keeps
 * indexes added to a table, so they are created once, after the table's first full load.
 */
export interface ReplicaIndex {
  /** The table on dataengineering-db: the source schema, or the source's replication.targetSchema. */
  readonly schema: string;
  readonly table: string;
  readonly column: string;
  /** At most 63 characters (PostgreSQL's identifier limit), the same on every run, ending in _probe_idx. */
  readonly name: string;
  /** Why the probe reads this column. */
  readonly reason: string;
  /** CREATE INDEX CONCURRENTLY IF NOT EXISTS: DMS keeps writing while it builds. */
  readonly statement: string;
}

/** PostgreSQL truncates identifiers longer than this (NAMEDATALEN - 1). */
export const POSTGRES_IDENTIFIER_LIMIT = 63;

const SUFFIX = '_probe_idx';

/**
 * `<table>_<column>_<hash>_probe_idx`, the table and column cut to fit: the hash of schema, table
 * and column keeps two indexes apart whose names would otherwise meet (`a_b`.`c` and `a`.`b_c`),
 * where IF NOT EXISTS would skip the second in silence; the suffix is what INVALID_INDEXES_SQL finds.
 */
function indexName(schema: string, table: string, column: string): string {
  const hash = createHash('sha256').update(`${schema}.${table}.${column}`).digest('hex').slice(0, 8);
  const room = POSTGRES_IDENTIFIER_LIMIT - SUFFIX.length - hash.length - 1;
  return `${`${table}_${column}`.slice(0, room)}_${hash}${SUFFIX}`;
}

/** The columns the probe reads on the replica besides one the primary key index leads. */
function probedColumns(table: TableConfig): { column: string; reason: string }[] {
  const lake = table.lake;
  if (lake.mode !== 'incremental') return [];
  const [key] = lake.bookmarkKeys;
  if (lake.bookmarkKind === 'update-timestamp') {
    return [{ column: key, reason: 'update timestamp: replica lag every 5 minutes, reconciliation hourly' }];
  }
  const columns: { column: string; reason: string }[] = [];
  if (table.primaryKey[0] !== key) {
    columns.push({ column: key, reason: 'increasing key: replica lag and reconciliation' });
  }
  if (table.insertTimeColumn !== undefined) {
    columns.push({ column: table.insertTimeColumn, reason: 'insertTimeColumn: replica lag every 5 minutes' });
  }
  return columns;
}

function quoted(identifier: string): string {
  return `"${identifier}"`;
}

/** Every index the probe needs on dataengineering-db, in config order; none when replication is off. */
export function replicaIndexes(config: Pick<EnvironmentConfig, 'replication' | 'sources'>): ReplicaIndex[] {
  if (!config.replication.enabled) return [];
  return config.sources.flatMap((source: SourceConfig) =>
    source.tables
      .filter((table) => table.replicate)
      .flatMap((table) =>
        probedColumns(table).map(({ column, reason }) => {
          const schema = source.replication?.targetSchema ?? table.schema;
          const name = indexName(schema, table.name, column);
          return {
            schema,
            table: table.name,
            column,
            name,
            reason,
            statement:
              `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${quoted(name)} ` +
              `ON ${quoted(schema)}.${quoted(table.name)} (${quoted(column)});`,
          };
        }),
      ),
  );
}
