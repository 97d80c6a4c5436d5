import { validateConfig, type EnvironmentConfigInput } from '../../lib/config';
import { AWS_REGIONS } from '../../lib/config/rules';
import { copyOf, devLike, prodLike } from '../fixtures/configs';
import { problemsAfter } from '../helpers/config-problems';

describe('backup config: defaults', () => {
  test('an environment that says nothing gets continuous S3 backup, 35/35/365 days, a lock and weekly restore tests', () => {
    expect(validateConfig(devLike, 'dev').backup).toEqual({
      s3ContinuousBackup: true,
      continuousRetentionDays: 35,
      dailyRetentionDays: 35,
      monthlyRetentionDays: 365,
      vaultLock: { enabled: true, changeableForDays: 7, minRetentionDays: 7, maxRetentionDays: 3653 },
      restoreTesting: { enabled: true, frequency: 'weekly' },
    });
  });

  test('the defaults pass the production rules', () => {
    expect(problemsAfter(() => undefined, prodLike)).toEqual([]);
  });

  test('a cross-region copy names the vault trackman-backup-copy unless told otherwise', () => {
    const config = copyOf(devLike);
    config.backup = { crossRegionCopy: { region: 'eu-central-1', retentionDays: 90 } };
    expect(validateConfig(config, 'dev').backup.crossRegionCopy).toEqual({
      region: 'eu-central-1',
      retentionDays: 90,
      vaultName: 'trackman-backup-copy',
    });
  });
});

describe('backup config: what synth rejects, one line each', () => {
  test.each<[string, NonNullable<EnvironmentConfigInput['backup']>, string]>([
    [
      'continuous retention above 35 days',
      { continuousRetentionDays: 36 },
      'backup.continuousRetentionDays: expected at most 35 days; received 36',
    ],
    [
      'continuous retention of 0 days',
      { continuousRetentionDays: 0 },
      'backup.continuousRetentionDays: expected at least 1 day; received 0',
    ],
    [
      'a fractional daily retention',
      { dailyRetentionDays: 1.5 },
      'backup.dailyRetentionDays: expected a whole number of days; received 1.5',
    ],
    [
      'monthly retention above 100 years',
      { monthlyRetentionDays: 36_501 },
      'backup.monthlyRetentionDays: expected at most 36500 days; received 36501',
    ],
    [
      'a cooling-off period under 3 days',
      { vaultLock: { changeableForDays: 2 } },
      'backup.vaultLock.changeableForDays: expected at least 3 days; received 2',
    ],
    [
      'an unknown restore test frequency',
      { restoreTesting: { frequency: 'hourly' as never } },
      `backup.restoreTesting.frequency: expected 'daily', 'weekly' or 'monthly'; received "hourly"`,
    ],
    [
      'a copy to a region that does not exist',
      { crossRegionCopy: { region: 'eu-middle-9', retentionDays: 30 } },
      `backup.crossRegionCopy.region: expected an AWS region name such as eu-central-1 (one of the ${AWS_REGIONS.length} in AWS_REGIONS, lib/config/rules/regions.ts); received "eu-middle-9"`,
    ],
    [
      'a copy without its retention',
      { crossRegionCopy: { region: 'eu-central-1' } as never },
      'backup.crossRegionCopy.retentionDays: expected a whole number of days; received nothing',
    ],
    [
      'a copy vault name with a space',
      { crossRegionCopy: { region: 'eu-central-1', retentionDays: 30, vaultName: 'my vault' } },
      'backup.crossRegionCopy.vaultName: expected a backup vault name: 2-50 letters, digits, - or _; received "my vault"',
    ],
    [
      'a misspelt field',
      { dailyRetention: 30 } as never,
      'backup.dailyRetention: expected no such field (misspelt or misplaced?); received 30',
    ],
    [
      'monthly points kept shorter than daily ones',
      { dailyRetentionDays: 60, monthlyRetentionDays: 45 },
      'backup.monthlyRetentionDays: expected at least backup.dailyRetentionDays (60): a monthly recovery point is kept longer than a daily one; received 45',
    ],
    [
      "the lock's bounds reversed",
      { vaultLock: { minRetentionDays: 30, maxRetentionDays: 20 } },
      'backup.vaultLock.maxRetentionDays: expected at least backup.vaultLock.minRetentionDays (30); received 20',
    ],
    [
      "a copy into the environment's own region",
      { crossRegionCopy: { region: 'eu-west-1', retentionDays: 30 } },
      'backup.crossRegionCopy.region: expected a region other than the environment\'s (eu-west-1): a copy must survive the loss of that region; received "eu-west-1"',
    ],
  ])('%s', (_what, backup, message) => {
    expect(problemsAfter((c) => (c.backup = backup))).toEqual([message]);
  });

  test.each<[string, NonNullable<EnvironmentConfigInput['backup']>, string]>([
    [
      'continuous backup off',
      { s3ContinuousBackup: false },
      'backup.s3ContinuousBackup: expected true in a production environment (the lake must be restorable to any second of the last weeks); received false',
    ],
    [
      'the vault unlocked',
      { vaultLock: { enabled: false } },
      'backup.vaultLock.enabled: expected true in a production environment (recovery points must survive a compromised account); received false',
    ],
    [
      'restore testing off',
      { restoreTesting: { enabled: false } },
      'backup.restoreTesting.enabled: expected true in a production environment (a backup is only known good once restored); received false',
    ],
    [
      'daily points kept under a month',
      { dailyRetentionDays: 14 },
      'backup.dailyRetentionDays: expected at least 30 days in a production environment (a faulty run is often noticed only at the monthly reconciliation); received 14',
    ],
    [
      'monthly points kept under a year',
      { monthlyRetentionDays: 180 },
      'backup.monthlyRetentionDays: expected at least 365 days in a production environment (one full audit cycle); received 180',
    ],
    [
      "a retention under the lock's minimum",
      { continuousRetentionDays: 5, vaultLock: { minRetentionDays: 7 } },
      'backup.continuousRetentionDays: expected at least backup.vaultLock.minRetentionDays (7): the locked vault fails a backup job with a shorter retention; received 5',
    ],
    [
      "a retention over the lock's maximum",
      { monthlyRetentionDays: 4000 },
      'backup.monthlyRetentionDays: expected at most backup.vaultLock.maxRetentionDays (3653): the locked vault fails a backup job with a longer retention; received 4000',
    ],
  ])('in production: %s', (_what, backup, message) => {
    expect(problemsAfter((c) => (c.backup = backup), prodLike)).toEqual([message]);
  });

  test('outside production the same settings pass (no lock, no floors)', () => {
    expect(
      problemsAfter(
        (c) =>
          (c.backup = {
            s3ContinuousBackup: false,
            dailyRetentionDays: 1,
            monthlyRetentionDays: 4000,
            vaultLock: { enabled: false },
            restoreTesting: { enabled: false },
          }),
      ),
    ).toEqual([]);
  });

  test("a continuous retention under the lock's minimum is not reported while continuous backup is off", () => {
    expect(
      problemsAfter((c) => (c.backup = { continuousRetentionDays: 1, s3ContinuousBackup: false }), prodLike),
    ).toEqual([
      'backup.s3ContinuousBackup: expected true in a production environment (the lake must be restorable to any second of the last weeks); received false',
    ]);
  });
});
