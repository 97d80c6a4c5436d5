import type { RuleIssue } from './issue';

/**
 * Rules of the `backup` section: what a production environment must keep, and the
 * settings that AWS Backup would reject only at run time (a locked vault fails the job
 * rather than the deploy). Each a small function; `backupIssues` runs them all.
 */

/**
 * A daily recovery point is how the lake or dataengineering-db is rolled back past what the
 * 35-day continuous backup holds; a faulty run or a mistaken delete is typically noticed at
 * the monthly reconciliation, so keep at least a month (as for the lake's object versions).
 */
export const PRODUCTION_MIN_DAILY_BACKUP_RETENTION_DAYS = 30;

/** Monthly recovery points cover one full audit cycle, as the logs do. */
export const PRODUCTION_MIN_MONTHLY_BACKUP_RETENTION_DAYS = 365;

interface BackupInput {
  readonly production: boolean;
  readonly region: string;
  readonly backup: {
    readonly s3ContinuousBackup: boolean;
    readonly continuousRetentionDays: number;
    readonly dailyRetentionDays: number;
    readonly monthlyRetentionDays: number;
    readonly crossRegionCopy?: { readonly region: string };
    readonly vaultLock: {
      readonly enabled: boolean;
      readonly minRetentionDays: number;
      readonly maxRetentionDays: number;
    };
    readonly restoreTesting: { readonly enabled: boolean };
  };
}

const IN_PRODUCTION = 'in a production environment';

/** Monthly points outlive daily ones, and the lock's bounds are ordered. */
export function backupOrderIssues(config: BackupInput): RuleIssue[] {
  const { backup } = config;
  const issues: RuleIssue[] = [];
  if (backup.monthlyRetentionDays < backup.dailyRetentionDays) {
    issues.push({
      path: ['backup', 'monthlyRetentionDays'],
      input: backup.monthlyRetentionDays,
      message: `at least backup.dailyRetentionDays (${backup.dailyRetentionDays}): a monthly recovery point is kept longer than a daily one`,
    });
  }
  if (backup.vaultLock.maxRetentionDays < backup.vaultLock.minRetentionDays) {
    issues.push({
      path: ['backup', 'vaultLock', 'maxRetentionDays'],
      input: backup.vaultLock.maxRetentionDays,
      message: `at least backup.vaultLock.minRetentionDays (${backup.vaultLock.minRetentionDays})`,
    });
  }
  return issues;
}

/** A copy in the environment's own region survives nothing the original does not. */
export function backupCopyIssues(config: BackupInput): RuleIssue[] {
  const copy = config.backup.crossRegionCopy;
  if (copy === undefined || copy.region !== config.region) return [];
  return [
    {
      path: ['backup', 'crossRegionCopy', 'region'],
      input: copy.region,
      message: `a region other than the environment's (${config.region}): a copy must survive the loss of that region`,
    },
  ];
}

/**
 * Where the vault is locked (production), every retention the plans write must lie within the
 * lock's bounds: AWS Backup fails a backup job whose retention is outside them, which no deploy
 * would show.
 */
export function backupLockIssues(config: BackupInput): RuleIssue[] {
  const { backup } = config;
  if (!config.production || !backup.vaultLock.enabled) return [];
  const { minRetentionDays, maxRetentionDays } = backup.vaultLock;
  const retentions: [string, number][] = [
    ...(backup.s3ContinuousBackup
      ? [['continuousRetentionDays', backup.continuousRetentionDays] as [string, number]]
      : []),
    ['dailyRetentionDays', backup.dailyRetentionDays],
    ['monthlyRetentionDays', backup.monthlyRetentionDays],
  ];
  const issues: RuleIssue[] = [];
  for (const [field, value] of retentions) {
    if (value < minRetentionDays) {
      issues.push({
        path: ['backup', field],
        input: value,
        message: `at least backup.vaultLock.minRetentionDays (${minRetentionDays}): the locked vault fails a backup job with a shorter retention`,
      });
    } else if (value > maxRetentionDays) {
      issues.push({
        path: ['backup', field],
        input: value,
        message: `at most backup.vaultLock.maxRetentionDays (${maxRetentionDays}): the locked vault fails a backup job with a longer retention`,
      });
    }
  }
  return issues;
}

/** What a production environment must keep of its backups. */
export function backupProductionIssues(config: BackupInput): RuleIssue[] {
  if (!config.production) return [];
  const { backup } = config;
  const issues: RuleIssue[] = [];
  const required = (field: string[], value: boolean, why: string) => {
    if (!value)
      issues.push({ path: ['backup', ...field], input: value, message: `true ${IN_PRODUCTION} (${why})` });
  };
  required(
    ['s3ContinuousBackup'],
    backup.s3ContinuousBackup,
    'the lake must be restorable to any second of the last weeks',
  );
  required(
    ['vaultLock', 'enabled'],
    backup.vaultLock.enabled,
    'recovery points must survive a compromised account',
  );
  required(
    ['restoreTesting', 'enabled'],
    backup.restoreTesting.enabled,
    'a backup is only known good once restored',
  );
  const atLeast = (field: string, value: number, floor: number, why: string) => {
    if (value < floor) {
      issues.push({
        path: ['backup', field],
        input: value,
        message: `at least ${floor} days ${IN_PRODUCTION} (${why})`,
      });
    }
  };
  atLeast(
    'dailyRetentionDays',
    backup.dailyRetentionDays,
    PRODUCTION_MIN_DAILY_BACKUP_RETENTION_DAYS,
    'a faulty run is often noticed only at the monthly reconciliation',
  );
  atLeast(
    'monthlyRetentionDays',
    backup.monthlyRetentionDays,
    PRODUCTION_MIN_MONTHLY_BACKUP_RETENTION_DAYS,
    'one full audit cycle',
  );
  return issues;
}

/** Every issue of the `backup` section, in a stable order. */
export function backupIssues(config: BackupInput): RuleIssue[] {
  return [
    ...backupOrderIssues(config),
    ...backupCopyIssues(config),
    ...backupLockIssues(config),
    ...backupProductionIssues(config),
  ];
}
