import * as dms from 'aws-cdk-lib/aws-dms';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { SourceConfig } from '../config';
import { DmsSecretAccessRole } from './dms-secret-access-role';
import {
  allowClientToSource,
  sourceRuleShares,
  type SourceReach,
  type SourceRuleShare,
} from './source-reach';

/** WAL heartbeat interval of PostgreSQL sources (minutes; DMS's default). */
export const HEARTBEAT_FREQUENCY_MINUTES = 5;

export interface DmsSourceEndpointProps {
  /** The source; its `replication` entry names the DMS user's secret. */
  readonly source: SourceConfig;
  /** DMS's security group (network stack): it reaches the source port, the source admits it. */
  readonly replicationSecurityGroup: ec2.ISecurityGroup;
  /** How the source's network reaches ours. @default { kind: 'peering' } - rules by security group */
  readonly reach?: SourceReach;
  /** Which network rules this source creates (sourceRuleShares). @default - both, as if it were the only source */
  readonly share?: Pick<SourceRuleShare, 'ingress' | 'egress'>;
}

/**
 * One source database as an AWS DMS source endpoint, with what it takes to reach it: the
 * credentials role and the network rules. It belongs to no replication, so every replication
 * that reads this source (dataengineering-db now, the lake's S3 target later) uses the same
 * endpoint and the same rules.
 *
 * The endpoint names no host and no password: with SecretsManagerSecretId, DMS takes user,
 * password, host and port from the secret (a property set and a secret are exclusive,
 * https://docs.aws.amazon.com/dms/latest/userguide/security_iam_secretsmanager.html). For a
 * PostgreSQL source that host must be the writer: change data capture reads a logical
 * replication slot, which exists only on the writer, and DMS cannot use an RDS read replica for
 * CDC (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.PostgreSQL.html).
 */
export class DmsSourceEndpoint extends Construct {
  public readonly endpoint: dms.CfnEndpoint;
  /** The endpoint's ARN, for the replications that read it. */
  public readonly endpointArn: string;
  public readonly secret: secretsmanager.ISecret;
  public readonly accessRole: DmsSecretAccessRole;

  constructor(scope: Construct, id: string, props: DmsSourceEndpointProps) {
    super(scope, id);
    const { source } = props;
    if (source.replication === undefined) {
      throw new Error(
        `Source ${source.name}: expected replication.credentialsSecretArn (the DMS user's secret); received nothing`,
      );
    }
    this.secret = secretsmanager.Secret.fromSecretAttributes(this, 'Credentials', {
      secretCompleteArn: source.replication.credentialsSecretArn,
    });
    const key =
      source.replication.credentialsKmsKeyArn === undefined
        ? undefined
        : kms.Key.fromKeyArn(this, 'CredentialsKey', source.replication.credentialsKmsKeyArn);
    this.accessRole = new DmsSecretAccessRole(this, 'SecretAccess', {
      secret: this.secret,
      secretKey: key,
      purpose: `the ${source.name} source endpoint`,
    });

    const credentials = {
      secretsManagerSecretId: this.secret.secretArn,
      secretsManagerAccessRoleArn: this.accessRole.role.roleArn,
    };
    this.endpoint = new dms.CfnEndpoint(this, 'Endpoint', {
      endpointType: 'source',
      engineName: source.engine,
      databaseName: source.database,
      // TLS without a CA bundle to verify against (verify-full needs a DMS certificate of the RDS CA).
      sslMode: 'require',
      ...(source.engine === 'postgres'
        ? {
            postgreSqlSettings: {
              ...credentials,
              // A heartbeat transaction every few minutes moves the slot's restart_lsn on an idle
              // source, so the slot does not hold WAL until the source's storage fills.
              heartbeatEnable: true,
              heartbeatFrequency: HEARTBEAT_FREQUENCY_MINUTES,
              // test_decoding, whether or not pglogical is installed: DMS would otherwise switch to
              // pglogical when it finds it, which does not support REPLICA IDENTITY FULL.
              pluginName: 'test-decoding',
              // A LOB larger than the task's LobMaxSize fails the task instead of being truncated.
              failTasksOnLobTruncation: true,
              // No DDL capture: it would need the awsdms_ddl_audit table and an event trigger in
              // production trackman-backend, created by an rds_superuser. Schema changes are handled
              // by the runbook (a changed table is reloaded).
              captureDdls: false,
            },
          }
        : {
            // MySQL's own prerequisites (binlog_format ROW, binlog_row_image FULL, binlog
            // retention) are server settings; the preflight checks them.
            mySqlSettings: credentials,
          }),
    });
    this.endpointArn = this.endpoint.ref;
    // DMS tests the connection when the endpoint is used: its access role's policy (GetSecretValue,
    // kms:Decrypt) must exist by then, not only the role.
    this.endpoint.node.addDependency(this.accessRole);

    // DMS may reach the source on its port, and the source admits it.
    const reach = props.reach ?? { kind: 'peering' };
    allowClientToSource(this, {
      source,
      clientGroupId: props.replicationSecurityGroup.securityGroupId,
      reach,
      share: props.share ?? sourceRuleShares([source], reach, { replicas: false }).get(source.name)!,
      ingressDescription: `AWS DMS reads ${source.name} (Trackman replication)`,
      egress: { id: 'ReplicationToSource', description: `AWS DMS reads ${source.name}` },
    });
  }
}
