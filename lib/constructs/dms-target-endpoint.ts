import * as dms from 'aws-cdk-lib/aws-dms';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DmsSecretAccessRole } from './dms-secret-access-role';

export interface DmsPostgresTargetEndpointProps {
  /** The database the replicated tables land in. */
  readonly databaseName: string;
  /** Secret with username, password, host and port of the user DMS writes with. */
  readonly secret: secretsmanager.ISecret;
  /** Customer-managed key of that secret. @default - the AWS managed key */
  readonly secretKey?: kms.IKey;
  /** What the database is, for descriptions. */
  readonly description: string;
}

/**
 * A PostgreSQL database as an AWS DMS target endpoint: credentials from Secrets Manager
 * through an access role (host and port come from the secret too) and TLS required. The
 * network rules between DMS's security group and the database (ingress and egress on its
 * port) belong to the database's stack, which owns that group's rules for its port.
 */
export class DmsPostgresTargetEndpoint extends Construct {
  public readonly endpoint: dms.CfnEndpoint;
  public readonly endpointArn: string;
  public readonly accessRole: DmsSecretAccessRole;

  constructor(scope: Construct, id: string, props: DmsPostgresTargetEndpointProps) {
    super(scope, id);
    this.accessRole = new DmsSecretAccessRole(this, 'SecretAccess', {
      secret: props.secret,
      secretKey: props.secretKey,
      purpose: `the ${props.description} target endpoint`,
    });
    this.endpoint = new dms.CfnEndpoint(this, 'Endpoint', {
      endpointType: 'target',
      engineName: 'postgres',
      databaseName: props.databaseName,
      // The database forces TLS; verify-full would also need a DMS certificate of the RDS CA.
      sslMode: 'require',
      postgreSqlSettings: {
        secretsManagerSecretId: props.secret.secretArn,
        secretsManagerAccessRoleArn: this.accessRole.role.roleArn,
      },
    });
    this.endpointArn = this.endpoint.ref;
    // The access role's policy must exist before DMS first uses the endpoint.
    this.endpoint.node.addDependency(this.accessRole);
  }
}
