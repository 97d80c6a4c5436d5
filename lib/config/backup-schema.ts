/**
 * Config of AWS Backup: the vault, its lock, the plans of the lake bucket and dataengineering-db,
 * an optional copy to another region, and restore testing. Part of the environment schema
 * (lib/config/schema.ts); kept apart because it is its own concern. Cross-field and production
 * rules are in lib/config/rules/backup.ts.
 */
import { z } from 'zod';
import { AWS_REGIONS, isAwsRegion } from './rules/regions';

/**
 * Longest retention AWS Backup takes for a recovery point or a Vault Lock bound: 100 years
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html: snapshot backups
 * "can be stored for up to a maximum of 100 years").
 */
export const MAX_BACKUP_RETENTION_DAYS = 36_500;

/**
 * Longest retention of a continuous backup (point-in-time restore): 35 days
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery-retention-period.html).
 */
export const MAX_CONTINUOUS_BACKUP_RETENTION_DAYS = 35;

/**
 * Shortest `ChangeableForDays` of a Vault Lock: AWS Backup enforces a 72-hour cooling-off period
 * before the lock becomes immutable
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-backup-backupvault-lockconfigurationtype.html).
 */
export const MIN_VAULT_LOCK_CHANGEABLE_DAYS = 3;

const days = (min: number, max: number) =>
  z
    .int({ error: 'a whole number of days' })
    .min(min, { error: `at least ${min} day${min === 1 ? '' : 's'}` })
    .max(max, { error: `at most ${max} days` });

const CrossRegionCopySchema = z
  .strictObject({
    region: z
      .string({ error: 'an AWS region name such as eu-central-1' })
      .refine(isAwsRegion, {
        error: `an AWS region name such as eu-central-1 (one of the ${AWS_REGIONS.length} in AWS_REGIONS, lib/config/rules/regions.ts)`,
      })
      .describe("Region the copies go to; not the environment's own."),
    retentionDays: days(1, MAX_BACKUP_RETENTION_DAYS).describe(
      'Days a copied recovery point is kept in that region.',
    ),
    vaultName: z
      .string()
      .regex(/^[a-zA-Z0-9\-_]{2,50}$/, {
        error: 'a backup vault name: 2-50 letters, digits, - or _',
      })
      .default('trackman-backup-copy')
      .describe(
        'Backup vault in that region, same account, that receives the copies. It must exist before the deploy ' +
          '(a stack cannot create resources in another region). @default "trackman-backup-copy"',
      ),
  })
  .describe(
    'Copy every daily recovery point to a vault in another region, so a regional outage or a lost vault key leaves a copy. Copies of continuous backups have no point-in-time restore.',
  );

const VaultLockSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'Lock the vault (AWS Backup Vault Lock) in a production environment: once locked, no one, the root user ' +
          'included, can delete a recovery point before its retention ends or shorten it. Environments with ' +
          'production: false never lock (their vaults must stay deletable); production requires true. @default true',
      ),
    changeableForDays: days(MIN_VAULT_LOCK_CHANGEABLE_DAYS, 36_500)
      .default(7)
      .describe(
        'Cooling-off period: for this many days after the first deploy the lock can still be changed or removed; ' +
          'after it, the lock is in compliance mode and immutable. AWS requires at least 3. @default 7',
      ),
    minRetentionDays: days(1, MAX_BACKUP_RETENTION_DAYS)
      .default(7)
      .describe(
        'The locked vault fails a backup or copy job whose retention is shorter than this. @default 7',
      ),
    maxRetentionDays: days(1, MAX_BACKUP_RETENTION_DAYS)
      .default(3653)
      .describe(
        'The locked vault fails a backup or copy job whose retention is longer than this; it also caps how far ' +
          'retention can ever be raised, since the lock cannot change after the cooling-off period. @default 3653 (10 years)',
      ),
  })
  .prefault({})
  .describe('AWS Backup Vault Lock of the vault, in compliance mode after the cooling-off period.');

const RestoreTestingSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'Restore the newest snapshot of dataengineering-db on a schedule (AWS Backup restore testing), then ' +
          'delete the restored instance; a failed restore pages. Required in production. Needs a created ' +
          'database. @default true',
      ),
    frequency: z
      .enum(['daily', 'weekly', 'monthly'], { error: "'daily', 'weekly' or 'monthly'" })
      .default('weekly')
      .describe(
        'How often the restore test runs (at 09:00 UTC; weekly on Tuesdays, monthly on the 2nd). @default "weekly"',
      ),
  })
  .prefault({})
  .describe('Restore testing of dataengineering-db.');

export const BackupSchema = z
  .strictObject({
    s3ContinuousBackup: z
      .boolean()
      .default(true)
      .describe(
        'Continuous backup of the lake bucket: restore the bucket, a prefix or an object to any second of the ' +
          'last continuousRetentionDays. Required in production. @default true',
      ),
    continuousRetentionDays: days(1, MAX_CONTINUOUS_BACKUP_RETENTION_DAYS)
      .default(35)
      .describe('Point-in-time restore window of the lake bucket; AWS allows at most 35 days. @default 35'),
    dailyRetentionDays: days(1, MAX_BACKUP_RETENTION_DAYS)
      .default(35)
      .describe(
        'Days a daily recovery point (the lake bucket and dataengineering-db, 05:00 UTC) is kept. @default 35',
      ),
    monthlyRetentionDays: days(1, MAX_BACKUP_RETENTION_DAYS)
      .default(365)
      .describe(
        'Days a monthly recovery point (the 1st, 07:00 UTC) is kept; at least dailyRetentionDays. @default 365',
      ),
    crossRegionCopy: CrossRegionCopySchema.optional(),
    vaultLock: VaultLockSchema,
    restoreTesting: RestoreTestingSchema,
  })
  .prefault({})
  .describe('AWS Backup of the lake bucket and dataengineering-db into a vault encrypted with its own key.');

export type BackupConfig = z.output<typeof BackupSchema>;
