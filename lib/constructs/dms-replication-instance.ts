import * as dms from 'aws-cdk-lib/aws-dms';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface DmsReplicationInstanceProps {
  /** Fixed identifier: the CloudWatch metrics of its tasks carry it as ReplicationInstanceIdentifier. */
  readonly identifier: string;
  /** e.g. dms.r6i.large */
  readonly instanceClass: string;
  readonly allocatedStorageGiB: number;
  /** A synchronous standby in another Availability Zone that DMS fails over to. */
  readonly multiAz: boolean;
  readonly subnetGroupIdentifier: string;
  readonly securityGroup: ec2.ISecurityGroup;
}

/**
 * A provisioned AWS DMS replication instance (replication.dms.mode 'instance'), private, in the
 * data subnets. Its tasks are DmsReplication constructs. Storage is encrypted with the
 * aws/dms key, DMS's default.
 */
export class DmsReplicationInstance extends Construct {
  public readonly instance: dms.CfnReplicationInstance;
  public readonly identifier: string;
  /** The instance's ARN. */
  public readonly instanceArn: string;

  constructor(scope: Construct, id: string, props: DmsReplicationInstanceProps) {
    super(scope, id);
    this.identifier = props.identifier;
    this.instance = new dms.CfnReplicationInstance(this, 'Instance', {
      replicationInstanceIdentifier: props.identifier,
      replicationInstanceClass: props.instanceClass,
      allocatedStorage: props.allocatedStorageGiB,
      multiAz: props.multiAz,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      replicationSubnetGroupIdentifier: props.subnetGroupIdentifier,
      vpcSecurityGroupIds: [props.securityGroup.securityGroupId],
    });
    this.instanceArn = this.instance.ref;
  }
}
