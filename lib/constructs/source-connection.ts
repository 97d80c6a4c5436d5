import { Validations, type CfnResource } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { SourceConfig } from '../config';
import {
  allowClientToSource,
  sourceRuleShares,
  type SourceReach,
  type SourceRuleShare,
} from './source-reach';

export interface SourceConnectionProps {
  readonly source: SourceConfig;
  /** The VPC of the data subnets: the job role's network-interface permissions are conditioned on it. */
  readonly vpc: ec2.IVpc;
  /** How the source's network reaches the jobs. @default { kind: 'peering' } - rules by security group */
  readonly reach?: SourceReach;
  /** The data subnets; one connection is made per subnet, in order. */
  readonly subnets: readonly ec2.ISubnet[];
  /** The data services security group the jobs' network interfaces get. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** Which network rules this source creates (sourceRuleShares). @default - every rule it needs, as if it were the only source */
  readonly share?: SourceRuleShare;
}

/** JDBC URL of a source: the read replica when one is configured, so the lake never loads the writer. */
export function jdbcUrl(source: SourceConfig): string {
  const host = source.readReplicaHost ?? source.host;
  const scheme = source.engine === 'postgres' ? 'postgresql' : 'mysql';
  return `jdbc:${scheme}://${host}:${source.port}/${source.database}`;
}

/**
 * The URL the job's own JDBC reads use (Spark's JDBC reader and the horizon
 * probes), to `host`: TLS required, and for MySQL cursor fetch so the driver
 * streams. glue-scripts/pylib/ingest_helpers.py accepts exactly this shape.
 */
export function jobJdbcUrl(source: SourceConfig, host: string): string {
  return source.engine === 'postgres'
    ? `jdbc:postgresql://${host}:${source.port}/${source.database}?sslmode=require`
    : `jdbc:mysql://${host}:${source.port}/${source.database}?sslMode=REQUIRED&useCursorFetch=true`;
}

/**
 * How the Glue jobs reach one source database: a JDBC connection with SSL
 * enforced whose credentials stay in Secrets Manager, one per data subnet so a
 * job can run in another Availability Zone when one fails (Glue takes the
 * first usable connection of a job), and the network rules that let the jobs'
 * security group reach the database port and nothing else.
 */
export class SourceConnection extends Construct {
  /** The connections, first one first; the job reads through `primary`. */
  public readonly connections: glue.Connection[];
  public readonly primary: glue.Connection;
  public readonly secret: secretsmanager.ISecret;
  /** The subnets of the connections, in order. */
  public readonly subnets: readonly ec2.ISubnet[];
  /** The security group the jobs' network interfaces get. */
  public readonly securityGroup: ec2.ISecurityGroup;
  /** The VPC of the data subnets. */
  public readonly vpc: ec2.IVpc;

  constructor(scope: Construct, id: string, props: SourceConnectionProps) {
    super(scope, id);
    const { source } = props;
    this.subnets = props.subnets;
    this.securityGroup = props.securityGroup;
    this.vpc = props.vpc;

    this.secret = secretsmanager.Secret.fromSecretAttributes(this, 'Credentials', {
      secretCompleteArn: source.credentialsSecretArn,
      encryptionKey:
        source.credentialsKmsKeyArn === undefined
          ? undefined
          : kms.Key.fromKeyArn(this, 'CredentialsKey', source.credentialsKmsKeyArn),
    });

    this.connections = props.subnets.map(
      (subnet, i) =>
        new glue.Connection(this, `Connection${i + 1}`, {
          type: glue.ConnectionType.JDBC,
          description: `${source.name} (${source.engine}) from ${subnet.availabilityZone}, SSL enforced`,
          properties: {
            JDBC_CONNECTION_URL: jdbcUrl(source),
            JDBC_ENFORCE_SSL: 'true',
          },
          secret: this.secret,
          securityGroups: [props.securityGroup],
          network: glue.ConnectionNetwork.subnet(subnet),
        }),
    );
    this.primary = this.connections[0];
    for (const connection of this.connections) {
      // cfn-lint 1.51's schema of AWS::Glue::Connection has no Tags property, which CloudFormation
      // now accepts (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-glue-connection.html;
      // aws-cdk-lib's CfnConnection, generated from the registry schema, is taggable). Its E3002
      // ("Additional properties are not allowed ('Tags' was unexpected)") is ignored on these resources only.
      (connection.node.defaultChild as CfnResource).addMetadata('cfn-lint', {
        config: { ignore_checks: ['E3002'] },
      });
      Validations.of(connection).acknowledge({
        id: 'W3010',
        reason:
          "A Glue connection must name the Availability Zone of its subnet; it is that subnet's zone, not a choice.",
      });
    }

    // The jobs may reach the source on its port, and the source admits them.
    const reach = props.reach ?? { kind: 'peering' };
    const port = { ipProtocol: 'tcp', fromPort: source.port, toPort: source.port };
    const share = props.share ?? sourceRuleShares([source], reach, { replicas: true }).get(source.name)!;
    allowClientToSource(this, {
      source,
      clientGroupId: props.securityGroup.securityGroupId,
      reach,
      share,
      ingressDescription: `Trackman lake ingestion jobs read ${source.name}`,
      egress: { id: 'JobsToSource', description: `Lake ingestion jobs read ${source.name}` },
    });
    // A replica in a group of its own must admit the jobs too: they read it and probe the writer.
    const replicaGroup = source.readReplicaSecurityGroupId;
    if (reach.kind !== 'peering' || replicaGroup === undefined) return;
    if (share.replicaIngress) {
      new ec2.CfnSecurityGroupIngress(this, 'ReplicaIngress', {
        groupId: replicaGroup,
        sourceSecurityGroupId: props.securityGroup.securityGroupId,
        ...port,
        description: `Trackman lake ingestion jobs read the replica of ${source.name}`,
      });
    }
    if (share.replicaEgress) {
      new ec2.CfnSecurityGroupEgress(this, 'JobsToReplica', {
        groupId: props.securityGroup.securityGroupId,
        destinationSecurityGroupId: replicaGroup,
        ...port,
        description: `Lake ingestion jobs read the replica of ${source.name}`,
      });
    }
  }
}
