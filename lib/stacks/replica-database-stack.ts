import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import type { DatabaseRestoreTarget } from '../constructs/backup-restore-testing';
import { ExistingReplicaDatabase } from '../constructs/existing-replica-database';
import { ReplicaDatabase, type ReplicaDatabaseTarget } from '../constructs/replica-database';
import { logRetention, removalPolicy } from './policies';

export interface ReplicaDatabaseStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly dataSubnets: ec2.SubnetSelection;
  /** AWS DMS's security group (network stack); the database admits it. */
  readonly replicationSecurityGroup: ec2.ISecurityGroup;
}

/**
 * Stateful: dataengineering-db, the target of the replication and the internal application's
 * backend. Created as RDS for PostgreSQL (replication.database.mode 'create'), or an existing
 * database that only gets an ingress rule for AWS DMS ('existing'). Either way it exposes what the
 * replication needs: endpoint, database name, credentials secret (and key) and security group.
 *
 * Construct ids here are a contract: renaming one replaces the database (tests pin the logical ids).
 */
/** A dataengineering-db this app created: what operations monitors, backs up and restore-tests. */
export interface CreatedReplicaDatabase {
  readonly instance: rds.IDatabaseInstance;
  /** Where its restore tests put a restored copy. */
  readonly restoreTarget: DatabaseRestoreTarget;
}

export class ReplicaDatabaseStack extends Stack implements ReplicaDatabaseTarget {
  public readonly endpoint: { readonly host: string; readonly port: number };
  public readonly databaseName: string;
  public readonly secret: secretsmanager.ISecret;
  public readonly secretKey?: kms.IKey;
  public readonly securityGroup: ec2.ISecurityGroup;
  /** The database this app created; undefined when it exists already. */
  public readonly created?: CreatedReplicaDatabase;

  constructor(scope: Construct, id: string, props: ReplicaDatabaseStackProps) {
    super(scope, id, props);
    const { config } = props;
    const database = config.replication.database;

    let target: ReplicaDatabaseTarget;
    if (database.mode === 'create') {
      const created = new ReplicaDatabase(this, 'Database', {
        database,
        instanceIdentifier: `trackman-${config.name}-dataengineering-db`,
        vpc: props.vpc,
        subnets: props.dataSubnets,
        replicationSecurityGroup: props.replicationSecurityGroup,
        logRetention: logRetention(config),
        removalPolicy: removalPolicy(config),
      });
      this.created = created;
      target = created;
    } else {
      target = new ExistingReplicaDatabase(this, 'Database', {
        database,
        replicationSecurityGroup: props.replicationSecurityGroup,
      });
    }

    this.endpoint = target.endpoint;
    this.databaseName = target.databaseName;
    this.secret = target.secret;
    this.secretKey = target.secretKey;
    this.securityGroup = target.securityGroup;
  }
}
