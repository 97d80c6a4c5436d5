import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { SourceConfig } from '../config';

export interface SourceConnectionProps {
  readonly source: SourceConfig;
  /** The data subnets; one connection is made per subnet, in order. */
  readonly subnets: readonly ec2.ISubnet[];
  /** The data services security group the jobs' network interfaces get. */
  readonly securityGroup: ec2.ISecurityGroup;
}

/** JDBC URL of a source: the read replica when one is configured, so the lake never loads the writer. */
export function jdbcUrl(source: SourceConfig): string {
  const host = source.readReplicaHost ?? source.host;
  const scheme = source.engine === 'postgres' ? 'postgresql' : 'mysql';
  return `jdbc:${scheme}://${host}:${source.port}/${source.database}`;
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

  constructor(scope: Construct, id: string, props: SourceConnectionProps) {
    super(scope, id);
    const { source } = props;
    this.subnets = props.subnets;
    this.securityGroup = props.securityGroup;

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
      Validations.of(connection).acknowledge({
        id: 'W3010',
        reason:
          "A Glue connection must name the Availability Zone of its subnet; it is that subnet's zone, not a choice.",
      });
    }

    // The source admits the jobs on its port, and the jobs may reach it there.
    new ec2.CfnSecurityGroupIngress(this, 'SourceIngress', {
      groupId: source.securityGroupId,
      sourceSecurityGroupId: props.securityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: source.port,
      toPort: source.port,
      description: `Trackman lake ingestion jobs read ${source.name}`,
    });
    new ec2.CfnSecurityGroupEgress(this, 'JobsToSource', {
      groupId: props.securityGroup.securityGroupId,
      destinationSecurityGroupId: source.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: source.port,
      toPort: source.port,
      description: `Lake ingestion jobs read ${source.name}`,
    });
  }
}
