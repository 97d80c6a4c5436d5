import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { DataNetwork } from '../constructs/data-network';
import { admitDataVpcToSources, sourceReach } from '../constructs/source-reach';
import { logRetention, removalPolicy } from './policies';

export interface NetworkStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/** The VPC the data services run in, or the imported one trackman-backend lives in. */
export class NetworkStack extends Stack {
  public readonly vpc: ec2.IVpc;
  public readonly dataSubnets: ec2.SubnetSelection;
  public readonly dataServicesSecurityGroup: ec2.ISecurityGroup;
  /** AWS DMS's group; dataengineering-db admits it. */
  public readonly replicationSecurityGroup: ec2.ISecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const network = new DataNetwork(this, 'Network', {
      network: props.config.network,
      logRetention: logRetention(props.config),
      removalPolicy: removalPolicy(props.config),
    });
    this.vpc = network.vpc;
    this.dataSubnets = network.dataSubnets;
    this.dataServicesSecurityGroup = network.dataServicesSecurityGroup;
    this.replicationSecurityGroup = network.replicationSecurityGroup;
    admitDataVpcToSources(this, sourceReach(props.config.network), props.config.sources);
  }
}
