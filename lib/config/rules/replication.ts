import type { RuleIssue } from './issue';

interface ReplicationInput {
  readonly production: boolean;
  readonly sources: readonly {
    readonly name: string;
    readonly replication?: { readonly targetSchema?: string };
    readonly tables: readonly {
      readonly schema: string;
      readonly name: string;
      readonly replicate: boolean;
    }[];
  }[];
  readonly replication: {
    readonly enabled: boolean;
    readonly database:
      | {
          readonly mode: 'create';
          readonly multiAz: boolean;
          readonly allocatedStorageGiB: number;
          readonly maxAllocatedStorageGiB: number;
        }
      | { readonly mode: 'existing' };
    readonly dms:
      | {
          readonly mode: 'serverless';
          readonly multiAz: boolean;
          readonly minCapacityUnits: number;
          readonly maxCapacityUnits: number;
        }
      | { readonly mode: 'instance'; readonly multiAz: boolean };
  };
}

/**
 * Cross-field rules of the replication: every replicating source says how DMS
 * logs in, no two source tables land on the same target table, capacity bounds
 * are ordered, and production runs Multi-AZ.
 */
export function replicationIssues(config: ReplicationInput): RuleIssue[] {
  const replication = config.replication;
  if (!replication.enabled) return [];
  const issues: RuleIssue[] = [];
  const targets = new Map<string, string>();
  config.sources.forEach((source, s) => {
    const replicated = source.tables.filter((table) => table.replicate);
    if (replicated.length > 0 && source.replication === undefined) {
      issues.push({
        path: ['sources', s, 'replication'],
        input: undefined,
        message: `the DMS source user's secret ({ credentialsSecretArn }): ${replicated.length} table(s) of ${source.name} have replicate: true`,
      });
    }
    source.tables.forEach((table, t) => {
      if (!table.replicate) return;
      const target = `${(source.replication?.targetSchema ?? table.schema).toLowerCase()}.${table.name.toLowerCase()}`;
      const first = targets.get(target);
      // A table or source listed twice is reported by its own rule; this one is about two sources.
      if (first !== undefined && !first.startsWith(`${source.name} `)) {
        issues.push({
          path: ['sources', s, 'tables', t, 'name'],
          input: `${table.schema}.${table.name}`,
          message: `a target table in dataengineering-db not taken by ${first} (both land in ${target}; set replication.targetSchema on one source)`,
        });
      } else if (first === undefined) {
        targets.set(target, `${source.name} ${table.schema}.${table.name}`);
      }
    });
  });
  const database = replication.database;
  if (database.mode === 'create' && database.maxAllocatedStorageGiB < database.allocatedStorageGiB) {
    issues.push({
      path: ['replication', 'database', 'maxAllocatedStorageGiB'],
      input: database.maxAllocatedStorageGiB,
      message: `at least replication.database.allocatedStorageGiB (${database.allocatedStorageGiB})`,
    });
  }
  const dms = replication.dms;
  if (dms.mode === 'serverless' && dms.maxCapacityUnits < dms.minCapacityUnits) {
    issues.push({
      path: ['replication', 'dms', 'maxCapacityUnits'],
      input: dms.maxCapacityUnits,
      message: `at least replication.dms.minCapacityUnits (${dms.minCapacityUnits})`,
    });
  }
  if (config.production) {
    if (database.mode === 'create' && !database.multiAz) {
      issues.push({
        path: ['replication', 'database', 'multiAz'],
        input: false,
        message:
          'true in a production environment (dataengineering-db must survive the loss of an Availability Zone)',
      });
    }
    if (!dms.multiAz) {
      issues.push({
        path: ['replication', 'dms', 'multiAz'],
        input: false,
        message:
          'true in a production environment (the replication must survive the loss of an Availability Zone)',
      });
    }
  }
  return issues;
}
