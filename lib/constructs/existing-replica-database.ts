import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ReplicaDatabaseConfig } from '../config';
import type { ReplicaDatabaseTarget } from './replica-database';

export interface ExistingReplicaDatabaseProps {
  /** The 'existing' variant of replication.database. */
  readonly database: Extract<ReplicaDatabaseConfig, { mode: 'existing' }>;
  /** AWS DMS's security group: the database's group admits it on the database port. */
  readonly replicationSecurityGroup: ec2.ISecurityGroup;
}

/**
 * dataengineering-db as a PostgreSQL database that exists already: its secret (with its key)
 * and security group imported from config, and one ingress rule that admits AWS DMS. Nothing
 * else of the database is managed here; its owner keeps backups, rotation and monitoring.
 *
 * The secret must hold host and port besides username and password: AWS DMS reads them from
 * the secret (an RDS-managed master user secret lacks them and cannot be used).
 */
export class ExistingReplicaDatabase extends Construct implements ReplicaDatabaseTarget {
  public readonly endpoint: { readonly host: string; readonly port: number };
  public readonly databaseName: string;
  public readonly secret: secretsmanager.ISecret;
  public readonly secretKey?: kms.IKey;
  public readonly securityGroup: ec2.ISecurityGroup;

  constructor(scope: Construct, id: string, props: ExistingReplicaDatabaseProps) {
    super(scope, id);
    const { database } = props;

    this.secretKey =
      database.credentialsKmsKeyArn === undefined
        ? undefined
        : kms.Key.fromKeyArn(this, 'SecretKey', database.credentialsKmsKeyArn);
    this.secret = secretsmanager.Secret.fromSecretAttributes(this, 'Secret', {
      secretCompleteArn: database.credentialsSecretArn,
      encryptionKey: this.secretKey,
    });
    // Not mutable: rules are added explicitly below, never by a grant or connection elsewhere.
    this.securityGroup = ec2.SecurityGroup.fromSecurityGroupId(
      this,
      'SecurityGroup',
      database.securityGroupId,
      {
        mutable: false,
        allowAllOutbound: false,
      },
    );

    new ec2.CfnSecurityGroupIngress(this, 'FromReplication', {
      groupId: database.securityGroupId,
      sourceSecurityGroupId: props.replicationSecurityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: database.port,
      toPort: database.port,
      description: 'AWS DMS writes the replicated tables (trackman data platform)',
    });
    new ec2.CfnSecurityGroupEgress(this, 'ReplicationToDatabase', {
      groupId: props.replicationSecurityGroup.securityGroupId,
      destinationSecurityGroupId: database.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: database.port,
      toPort: database.port,
      description: 'AWS DMS writes to dataengineering-db',
    });

    this.endpoint = { host: database.host, port: database.port };
    this.databaseName = database.databaseName;
  }
}
