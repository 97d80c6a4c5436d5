import type { RuleIssue } from './issue';

/**
 * Floors and ceilings a production environment must respect. Each says why;
 * a change to one is a change to what the business is promised.
 */

/**
 * Log groups (VPC flow logs, Glue jobs, the workflow, functions) are what an
 * incident or security review reads; incidents are often found months late,
 * and a year covers one full audit cycle.
 */
export const PRODUCTION_MIN_LOG_RETENTION_DAYS = 365;

/**
 * The lake bucket's server access logs are the only record of who read or
 * changed which lake object: kept as long as the other logs, for the same reason.
 */
export const PRODUCTION_MIN_ACCESS_LOG_DAYS = 365;

/**
 * A replaced or deleted lake object can be restored from its previous version
 * only while that version exists. A faulty run or a mistaken delete is
 * typically noticed at the monthly reconciliation, so keep at least a month.
 */
export const PRODUCTION_MIN_NONCURRENT_VERSION_DAYS = 30;

/** The lake freshness promised to the business: a row lands within 60 minutes of its insert. */
export const PRODUCTION_MAX_LAKE_FRESHNESS_MINUTES = 60;

/** The replication freshness promised: a row reaches dataengineering-db within 30 minutes. */
export const PRODUCTION_MAX_REPLICATION_FRESHNESS_MINUTES = 30;

// Athena query results (lake.athena.resultsExpirationDays) get no floor: they
// are copies of lake data that a query recomputes, not records, and keeping
// them longer only keeps more copies of possibly personal data.

interface ProductionInput {
  readonly production: boolean;
  readonly removalPolicy: string;
  readonly logRetentionDays: number;
  readonly lake: {
    readonly noncurrentVersionExpirationDays: number;
    readonly accessLogExpirationDays: number;
  };
  readonly slo: { readonly lakeFreshnessMinutes: number; readonly replicationFreshnessMinutes: number };
}

/** What a production environment (`production: true`) may not do; nothing for other environments. */
export function productionIssues(config: ProductionInput): RuleIssue[] {
  if (!config.production) return [];
  const issues: RuleIssue[] = [];
  const inProduction = 'in a production environment';
  if (config.removalPolicy !== 'retain') {
    issues.push({
      path: ['removalPolicy'],
      input: config.removalPolicy,
      message: `'retain' ${inProduction}: 'destroy' deletes the lake, its keys and logs when they leave the app`,
    });
  }
  const atLeast = (path: (string | number)[], value: number, floor: number, what: string) => {
    if (value < floor) {
      issues.push({ path, input: value, message: `at least ${floor} days ${inProduction} (${what})` });
    }
  };
  atLeast(
    ['logRetentionDays'],
    config.logRetentionDays,
    PRODUCTION_MIN_LOG_RETENTION_DAYS,
    'logs are what an incident or audit review reads',
  );
  atLeast(
    ['lake', 'accessLogExpirationDays'],
    config.lake.accessLogExpirationDays,
    PRODUCTION_MIN_ACCESS_LOG_DAYS,
    'the record of who read or changed lake objects',
  );
  atLeast(
    ['lake', 'noncurrentVersionExpirationDays'],
    config.lake.noncurrentVersionExpirationDays,
    PRODUCTION_MIN_NONCURRENT_VERSION_DAYS,
    'previous versions are how an overwritten or deleted lake object is restored',
  );
  const atMost = (path: (string | number)[], value: number, ceiling: number) => {
    if (value > ceiling) {
      issues.push({
        path,
        input: value,
        message: `at most ${ceiling} minutes ${inProduction} (the promised freshness)`,
      });
    }
  };
  atMost(
    ['slo', 'lakeFreshnessMinutes'],
    config.slo.lakeFreshnessMinutes,
    PRODUCTION_MAX_LAKE_FRESHNESS_MINUTES,
  );
  atMost(
    ['slo', 'replicationFreshnessMinutes'],
    config.slo.replicationFreshnessMinutes,
    PRODUCTION_MAX_REPLICATION_FRESHNESS_MINUTES,
  );
  return issues;
}
