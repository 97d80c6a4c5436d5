import type { RuleIssue } from './issue';

/** Seconds a job needs around its horizon waits (start, reads, write, watermark). */
export const JOB_WORK_MARGIN_SECONDS = 60;

interface ReadHorizonInput {
  readonly ingestion: { readonly jobTimeoutMinutes: number };
  readonly sources: readonly {
    readonly engine: string;
    readonly readReplicaHost?: string;
    readonly horizonWaitSeconds: number;
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
    // The wait for open transactions and the wait for the replica come one after the other.
    const waits = source.horizonWaitSeconds * (source.readReplicaHost === undefined ? 1 : 2);
    const inRange = Number.isInteger(source.horizonWaitSeconds) && source.horizonWaitSeconds <= 600;
    if (inRange && waits + JOB_WORK_MARGIN_SECONDS > config.ingestion.jobTimeoutMinutes * 60) {
      issues.push({
        path: ['sources', s, 'horizonWaitSeconds'],
        input: source.horizonWaitSeconds,
        message: `a wait that fits the job timeout: ${waits} s of horizon waits + ${JOB_WORK_MARGIN_SECONDS} s of work exceed ingestion.jobTimeoutMinutes (${config.ingestion.jobTimeoutMinutes} min), so a held table would time out instead of writing a held watermark`,
      });
    }
    if (source.readReplicaHost !== undefined && /\.cluster-ro-/.test(source.readReplicaHost)) {
      issues.push({
        path: ['sources', s, 'readReplicaHost'],
        input: source.readReplicaHost,
        message:
          "one read replica's instance endpoint: an Aurora cluster reader endpoint spreads connections over readers that cannot report how far they have replayed, so a read could miss committed rows (leave it unset to read the writer)",
      });
    }
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
