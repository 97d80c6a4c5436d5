import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface DmsSecretAccessRoleProps {
  /** The secret (username, password, host, port) a DMS endpoint logs in with. */
  readonly secret: secretsmanager.ISecret;
  /** Customer-managed key of the secret. @default - the AWS managed key, which needs no grant */
  readonly secretKey?: kms.IKey;
  /** What the endpoint is, for the role's description. */
  readonly purpose: string;
}

/**
 * The role an AWS DMS endpoint reads its credentials with (SecretsManagerAccessRoleArn).
 * Trusted by the regional DMS service principal, dms.<region>.amazonaws.com, as the DMS
 * guide asks (https://docs.aws.amazon.com/dms/latest/userguide/security_iam_secretsmanager.html),
 * for this account only (aws:SourceAccount; DMS documents no source ARN for this role).
 * It may read that one secret and decrypt with that one key, nothing else.
 */
export class DmsSecretAccessRole extends Construct {
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: DmsSecretAccessRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      description: `AWS DMS reads the credentials of ${props.purpose}`,
      assumedBy: new iam.ServicePrincipal(`dms.${stack.region}.amazonaws.com`, {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    // grantRead would add DescribeSecret and, for a key, kms:Decrypt through a ViaService
    // condition; DMS needs GetSecretValue and Decrypt only.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [props.secret.secretFullArn ?? props.secret.secretArn],
      }),
    );
    if (props.secretKey !== undefined) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.secretKey.keyArn] }),
      );
    }
  }
}
