import type { RuleIssue } from './issue';

/**
 * Columns the ingestion job adds to every row it lands: the partition columns
 * and its metadata columns. glue-scripts/pylib/ingest_helpers.py defines them
 * (PARTITION_KEYS, METADATA_COLUMNS); a test keeps the two lists equal. A
 * source column of the same name would be overwritten or clash in Parquet, so
 * no bookmark key or primary key may use one.
 */
export const JOB_ADDED_COLUMNS = [
  '_ingested_at',
  '_source',
  '_job_run_id',
  'ingest_date',
  'ingest_hour',
] as const;

interface ColumnsInput {
  readonly sources: readonly {
    readonly tables: readonly {
      readonly primaryKey: readonly string[];
      readonly lake: {
        readonly mode: string;
        readonly bookmarkKeys?: readonly string[];
        readonly bookmarkKind?: string;
      };
      readonly replicate: boolean;
      readonly insertTimeColumn?: string;
    }[];
  }[];
}

const added = new Set<string>(JOB_ADDED_COLUMNS);

/**
 * Bookmark keys are distinct, and neither they nor primary key columns are
 * columns the job adds. Column names are compared case-insensitively: Spark
 * resolves columns without regard to case by default, and PostgreSQL folds
 * unquoted names to lower case. An insert-time column belongs to a replicated
 * increasing-key table: it is what the freshness probe times that table's
 * replica lag by.
 */
export function columnIssues(config: ColumnsInput): RuleIssue[] {
  const issues: RuleIssue[] = [];
  config.sources.forEach((source, s) =>
    source.tables.forEach((table, t) => {
      const at = (field: (string | number)[]) => ['sources', s, 'tables', t, ...field];
      table.primaryKey.forEach((column, c) => {
        if (added.has(column.toLowerCase())) {
          issues.push({
            path: at(['primaryKey', c]),
            input: column,
            message: notAdded('a primary key column'),
          });
        }
      });
      const seen = new Set<string>();
      (table.lake.bookmarkKeys ?? []).forEach((column, k) => {
        const folded = column.toLowerCase();
        if (added.has(folded)) {
          issues.push({
            path: at(['lake', 'bookmarkKeys', k]),
            input: column,
            message: notAdded('a bookmark key'),
          });
        } else if (seen.has(folded)) {
          issues.push({
            path: at(['lake', 'bookmarkKeys', k]),
            input: column,
            message: 'a bookmark key not listed before in the same table (compared without regard to case)',
          });
        }
        seen.add(folded);
      });
      if (table.insertTimeColumn !== undefined) {
        const increasingKey =
          table.lake.mode === 'incremental' && table.lake.bookmarkKind === 'increasing-key';
        if (!increasingKey || !table.replicate) {
          issues.push({
            path: at(['insertTimeColumn']),
            input: table.insertTimeColumn,
            message: increasingKey
              ? 'unset for a table that is not replicated (replicate: false): the column only times its replica lag'
              : "unset unless lake.bookmarkKind is 'increasing-key': an update-timestamp table's replica lag is timed by its bookmark key already, and a snapshot table has none",
          });
        }
      }
    }),
  );
  return issues;
}

function notAdded(what: string): string {
  return `${what} that is not a column the ingestion job adds (${JOB_ADDED_COLUMNS.join(', ')}; compared without regard to case)`;
}
