import type { RuleIssue } from './issue';

interface ReadHorizonInput {
  readonly sources: readonly {
    readonly engine: string;
    readonly readReplicaHost?: string;
    readonly tables: readonly {
      readonly lake: {
        readonly mode: string;
        readonly bookmarkKind?: string;
        readonly bookmarkKeys?: readonly string[];
      };
    }[];
  }[];
}

/**
 * What the job's read horizon (glue-scripts/pylib/read_horizon.py) needs:
 * - an increasing key is one column: the range is lower < key <= upper;
 * - a MySQL source is read from its writer: the horizon is taken from the
 *   writer's open transactions, and a MySQL replica offers no replay position
 *   the job can wait for in the same way as PostgreSQL's pg_last_wal_replay_lsn.
 */
export function readHorizonIssues(config: ReadHorizonInput): RuleIssue[] {
  const issues: RuleIssue[] = [];
  config.sources.forEach((source, s) => {
    if (source.engine === 'mysql' && source.readReplicaHost !== undefined) {
      issues.push({
        path: ['sources', s, 'readReplicaHost'],
        input: source.readReplicaHost,
        message:
          'no read replica for a mysql source: its incremental reads must wait for the rows the writer committed, which only PostgreSQL replicas report (pg_last_wal_replay_lsn)',
      });
    }
    source.tables.forEach((table, t) => {
      const keys = table.lake.bookmarkKeys ?? [];
      if (table.lake.bookmarkKind === 'increasing-key' && keys.length !== 1) {
        issues.push({
          path: ['sources', s, 'tables', t, 'lake', 'bookmarkKeys'],
          input: keys,
          message: "exactly one column for bookmarkKind 'increasing-key' (the range is lower < key <= upper)",
        });
      }
    });
  });
  return issues;
}
