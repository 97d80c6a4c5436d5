import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { BackupConfig } from '../config/backup-schema';

export interface LockedBackupVaultProps {
  /** The `vaultLock` settings of the `backup` section. */
  readonly vaultLock: BackupConfig['vaultLock'];
  /** Whether the environment is production: only production vaults are locked. */
  readonly production: boolean;
  /** What happens to the vault and its key when they leave the app. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * The vault's name. A fixed name keeps the vault's identity out of the construct tree: a new
   * name is a new vault, without the recovery points, which a locked vault never gives up.
   * @default - a name CloudFormation generates from the construct path
   */
  readonly vaultName?: string;
}

/**
 * The backup vault of an environment, encrypted with a rotating customer-managed key of its
 * own, and in production locked with AWS Backup Vault Lock: changeable for
 * `changeableForDays` (at least 3, AWS's cooling-off period), in compliance mode after that,
 * when no one can delete a recovery point before its retention ends or change the lock
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-backup-backupvault-lockconfigurationtype.html).
 * A vault that holds recovery points cannot be deleted, whatever its removal policy.
 */
export class LockedBackupVault extends Construct {
  public readonly key: kms.Key;
  public readonly vault: backup.BackupVault;
  /** Whether the vault carries a lock configuration. */
  public readonly locked: boolean;

  constructor(scope: Construct, id: string, props: LockedBackupVaultProps) {
    super(scope, id);
    const { vaultLock, production, removalPolicy } = props;
    this.locked = production && vaultLock.enabled;

    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the AWS Backup vault of the lake bucket and dataengineering-db',
      enableKeyRotation: true,
      removalPolicy,
    });

    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: props.vaultName,
      encryptionKey: this.key,
      removalPolicy,
      lockConfiguration: this.locked
        ? {
            minRetention: Duration.days(vaultLock.minRetentionDays),
            maxRetention: Duration.days(vaultLock.maxRetentionDays),
            changeableFor: Duration.days(vaultLock.changeableForDays),
          }
        : undefined,
    });
  }
}
