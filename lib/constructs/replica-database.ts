import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ReplicaDatabaseConfig } from '../config';
import type { DatabaseRestoreTarget } from './backup-restore-testing';
import { LogsKey } from './logs-key';

/** What the replication (and the internal application) need to reach dataengineering-db. */
/**
 * Characters a generated or rotated password never contains: RDS forbids / @ " and space, the
 * rest upsets shells and connection strings, and AWS DMS rejects ; . : + in endpoint passwords
 * (https://docs.aws.amazon.com/dms/latest/userguide/security_iam_secretsmanager.html).
 */
export const PASSWORD_EXCLUDED_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\.,=';

export interface ReplicaDatabaseTarget {
  /** Writer endpoint; tokens when the database is created here. */
  readonly endpoint: { readonly host: string; readonly port: number };
  /** The database the replicated tables land in. */
  readonly databaseName: string;
  /**
   * Secrets Manager secret with username, password, host and port of the user DMS writes with.
   * AWS DMS needs host and port in the secret it reads (an RDS-managed master secret lacks them).
   */
  readonly secret: secretsmanager.ISecret;
  /** Customer-managed key of that secret; readers need kms:Decrypt on it. Undefined: the AWS managed key. */
  readonly secretKey?: kms.IKey;
  /** The database's security group. */
  readonly securityGroup: ec2.ISecurityGroup;
}

/** PostgreSQL's port; the created database listens on it. */
export const POSTGRES_PORT = 5432;

/**
 * The master user of a created dataengineering-db, and the user DMS writes with. As a PostgreSQL
 * target, DMS needs a user that can connect to the database, create schemas and tables in it
 * (CREATE on the database and schemas) and insert, update, delete and truncate their rows; to
 * hold foreign keys back during the full load it sets session_replication_role, which on RDS
 * takes rds_superuser (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Target.PostgreSQL.html).
 * The master user has all of that. A narrower user with its own rotated secret can replace it
 * later without touching the instance.
 */
export const MASTER_USERNAME = 'dataengineering_admin';

/**
 * The newest minor version aws-cdk-lib 2.276 knows of each major the config admits. RDS applies
 * newer minors itself (autoMinorVersionUpgrade); raise these when it has, since a template
 * cannot move an instance to an older minor.
 */
export const POSTGRES_VERSIONS: Readonly<Record<'16' | '17', rds.PostgresEngineVersion>> = {
  '16': rds.PostgresEngineVersion.VER_16_13,
  '17': rds.PostgresEngineVersion.VER_17_9,
};

export interface ReplicaDatabaseProps {
  /** The 'create' variant of replication.database. */
  readonly database: Extract<ReplicaDatabaseConfig, { mode: 'create' }>;
  /**
   * The DB instance identifier. A fixed name on purpose: the CloudWatch log groups RDS exports
   * to are named after it, so they can be created (encrypted, with retention) before the instance.
   */
  readonly instanceIdentifier: string;
  readonly vpc: ec2.IVpc;
  /** The data subnets; the subnet group spans them (one per Availability Zone). */
  readonly subnets: ec2.SubnetSelection;
  /** AWS DMS's security group: admitted on the database port. */
  readonly replicationSecurityGroup: ec2.ISecurityGroup;
  /** Retention of the exported PostgreSQL logs. */
  readonly logRetention: logs.RetentionDays;
  /** RETAIN_ON_UPDATE_OR_DELETE keeps the instance, its keys and secret; DESTROY only in dev. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * dataengineering-db created as RDS for PostgreSQL: in the data subnets, encrypted with a
 * rotating key of its own, TLS forced, master credentials generated in Secrets Manager and
 * rotated by the single-user rotation function, enhanced monitoring, Performance Insights and
 * log exports on. It admits AWS DMS, the internal application and its own rotation function.
 *
 * Construct ids here are a contract: renaming one replaces the database (tests pin them).
 */
export class ReplicaDatabase extends Construct implements ReplicaDatabaseTarget {
  public readonly instance: rds.DatabaseInstance;
  /** Encrypts the storage and Performance Insights data. */
  public readonly key: kms.Key;
  /** Encrypts the credentials secret only, so whoever reads the secret decrypts nothing else. */
  public readonly secretKey: kms.Key;
  public readonly secret: secretsmanager.ISecret;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly endpoint: { readonly host: string; readonly port: number };
  public readonly databaseName: string;
  /** Where a restored copy goes (restore testing): the same subnets and parameter group. */
  public readonly restoreTarget: DatabaseRestoreTarget;

  constructor(scope: Construct, id: string, props: ReplicaDatabaseProps) {
    super(scope, id);
    const { database, removalPolicy } = props;
    const stack = Stack.of(this);
    const retain = removalPolicy !== RemovalPolicy.DESTROY;
    const engine = rds.DatabaseInstanceEngine.postgres({
      version: POSTGRES_VERSIONS[database.engineVersion],
    });

    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts dataengineering-db storage and Performance Insights',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.secretKey = new kms.Key(this, 'SecretKey', {
      description: 'Encrypts the dataengineering-db master credentials secret',
      enableKeyRotation: true,
      removalPolicy,
    });

    // Generated by Secrets Manager rather than RDS-managed (manageMasterUserPassword): an RDS-managed
    // secret holds only username and password, and AWS DMS needs host and port in the secret it reads
    // (https://docs.aws.amazon.com/dms/latest/userguide/security_iam_secretsmanager.html). Attached to the
    // instance, this one also holds host, port, dbname and engine.
    const secret = new rds.DatabaseSecret(this, 'Secret', {
      username: MASTER_USERNAME,
      encryptionKey: this.secretKey,
      excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
    });
    // A retained instance without its secret would leave no one knowing the master password.
    secret.applyRemovalPolicy(removalPolicy);

    // Retained with the instance in prod: CloudFormation cannot delete a security group, subnet group
    // or parameter group that a (retained) instance still uses.
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'dataengineering-db: PostgreSQL from AWS DMS, the internal application and its rotation',
      allowAllOutbound: false,
    });
    this.securityGroup.applyRemovalPolicy(removalPolicy);
    new ec2.CfnSecurityGroupIngress(this, 'FromReplication', {
      groupId: this.securityGroup.securityGroupId,
      sourceSecurityGroupId: props.replicationSecurityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      description: 'AWS DMS writes the replicated tables',
    });
    // In this stack, not the network stack's: the database stack depends on the network stack, never the reverse.
    new ec2.CfnSecurityGroupEgress(this, 'ReplicationToDatabase', {
      groupId: props.replicationSecurityGroup.securityGroupId,
      destinationSecurityGroupId: this.securityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      description: 'AWS DMS writes to dataengineering-db',
    });
    database.applicationSecurityGroupIds.forEach((groupId, i) => {
      new ec2.CfnSecurityGroupIngress(this, `FromApplication${i + 1}`, {
        groupId: this.securityGroup.securityGroupId,
        sourceSecurityGroupId: groupId,
        ipProtocol: 'tcp',
        fromPort: POSTGRES_PORT,
        toPort: POSTGRES_PORT,
        description: 'The internal application reads dataengineering-db',
      });
    });

    const subnetGroup = new rds.SubnetGroup(this, 'SubnetGroup', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      description: 'dataengineering-db: the data subnets',
      removalPolicy,
    });
    const parameterGroup = new rds.ParameterGroup(this, 'ParameterGroup', {
      engine,
      description: 'dataengineering-db: TLS only',
      // 1 is the default from PostgreSQL 15 on; set here so it cannot drift back to 0
      // (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html).
      parameters: { 'rds.force_ssl': '1' },
      removalPolicy,
    });

    // RDS creates /aws/rds/instance/<id>/<log> on the first export; creating them first gives them
    // encryption and retention without CDK's log-retention function.
    const logsKey = new LogsKey(this, 'LogsKey', { purpose: 'dataengineering-db', removalPolicy });
    const exports = ['postgresql', 'upgrade'];
    const logGroups = exports.map(
      (log) =>
        new logs.LogGroup(this, `${log[0].toUpperCase()}${log.slice(1)}LogGroup`, {
          logGroupName: `/aws/rds/instance/${props.instanceIdentifier}/${log}`,
          encryptionKey: logsKey.key,
          retention: props.logRetention,
          removalPolicy,
        }),
    );

    // Confused deputy: RDS sends the instance's ARN and account when it assumes the role
    // (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html).
    const monitoringRole = new iam.Role(this, 'MonitoringRole', {
      assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'rds',
            resource: 'db',
            resourceName: props.instanceIdentifier,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      }),
      description: 'RDS enhanced monitoring of dataengineering-db: writes OS metrics to CloudWatch Logs',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonRDSEnhancedMonitoringRole'),
      ],
    });
    Validations.of(monitoringRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      reason:
        'The policy AWS maintains for RDS enhanced monitoring: it writes only to the RDSOSMetrics log group, ' +
        'and AWS extends it when the agent needs more.',
    });

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      instanceIdentifier: props.instanceIdentifier,
      engine,
      instanceType: new ec2.InstanceType(database.instanceClass.replace(/^db\./, '')),
      vpc: props.vpc,
      subnetGroup,
      securityGroups: [this.securityGroup],
      port: POSTGRES_PORT,
      publiclyAccessible: false,
      multiAz: database.multiAz,
      storageType: rds.StorageType.GP3,
      allocatedStorage: database.allocatedStorageGiB,
      maxAllocatedStorage: database.maxAllocatedStorageGiB,
      storageEncryptionKey: this.key,
      credentials: rds.Credentials.fromSecret(secret),
      databaseName: database.databaseName,
      parameterGroup,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      iamAuthentication: true,
      backupRetention: Duration.days(database.backupRetentionDays),
      // UTC; the backup window ends before the maintenance window starts.
      preferredBackupWindow: '01:00-02:00',
      preferredMaintenanceWindow: 'sun:03:00-sun:04:00',
      copyTagsToSnapshot: true,
      deleteAutomatedBackups: !retain,
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: false,
      monitoringInterval: Duration.seconds(60),
      monitoringRole,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: this.key,
      performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
      cloudwatchLogsExports: exports,
      deletionProtection: retain,
      // RETAIN_ON_UPDATE_OR_DELETE in prod (lib/stacks/policies.ts), not SNAPSHOT: deleting the stack or
      // replacing the instance leaves the live database, so nothing needs restoring and no data after the
      // last snapshot is lost. DESTROY in dev, where the data is a copy DMS can load again.
      removalPolicy,
    });
    for (const logGroup of logGroups) this.instance.node.addDependency(logGroup);

    if (!database.multiAz) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS3',
        reason:
          'Single-AZ only where the config says so (multiAz: false); the schema requires Multi-AZ in production.',
      });
    }
    if (!retain) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason:
          "Deletion protection follows the config's removalPolicy: off where the environment is 'destroy' " +
          '(dev), whose data DMS loads again from trackman-backend.',
      });
    }
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason:
        "PostgreSQL's default port: the database is reachable only from the security groups it admits, in " +
        'subnets without a route to the internet; another port would hide nothing from them.',
    });

    // Single-user rotation by Secrets Manager's PostgreSQL rotation function, which runs in the data
    // subnets: it reaches the database (admitted below) and Secrets Manager through its interface
    // endpoint with private DNS, the only routes the isolated subnets have
    // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda.html).
    const rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: props.vpc,
      description: 'dataengineering-db credential rotation: Secrets Manager over HTTPS and the database',
      allowAllOutbound: false,
    });
    rotationSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'Secrets Manager: interface endpoint (the subnets route nowhere else)',
    );
    this.instance.addRotationSingleUser({
      automaticallyAfter: Duration.days(database.credentialsRotationDays),
      excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
      vpcSubnets: props.subnets,
      securityGroup: rotationSecurityGroup,
    });

    this.secret = this.instance.secret!;
    this.endpoint = { host: this.instance.instanceEndpoint.hostname, port: POSTGRES_PORT };
    this.databaseName = database.databaseName;
    this.restoreTarget = {
      vpc: props.vpc,
      subnetGroupName: subnetGroup.subnetGroupName,
      parameterGroupName: parameterGroup.bindToInstance({}).parameterGroupName,
    };
  }
}
