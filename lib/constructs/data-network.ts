import { Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { NetworkConfig } from '../config';
import { LogsKey } from './logs-key';

/** AWS services the data services call, reached through interface endpoints instead of the internet. */
export const INTERFACE_ENDPOINT_SERVICES: Readonly<Record<string, ec2.InterfaceVpcEndpointAwsService>> = {
  Glue: ec2.InterfaceVpcEndpointAwsService.GLUE,
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  CloudWatchLogs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  CloudWatchMonitoring: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
  Sts: ec2.InterfaceVpcEndpointAwsService.STS,
  StepFunctions: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
  Sns: ec2.InterfaceVpcEndpointAwsService.SNS,
};

export interface DataNetworkProps {
  readonly network: NetworkConfig;
  /** Retention of the VPC flow log group. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the flow log group and its key when removed. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The network the data services run in: private subnets across Availability
 * Zones, VPC endpoints for S3 and the AWS APIs the jobs call, flow logs, and a
 * default security group that admits nothing. Either a new VPC or an existing
 * one (where trackman-backend lives).
 */
export class DataNetwork extends Construct {
  public readonly vpc: ec2.IVpc;
  /** The subnets Glue connections, DMS and in-VPC functions use. */
  public readonly dataSubnets: ec2.SubnetSelection;
  /** The flow log group; undefined for an imported VPC, whose owner governs its flow logs. */
  public readonly flowLogGroup?: logs.LogGroup;
  /**
   * The security group of the data services (Glue job workers, DMS). Members
   * reach each other on every TCP port (Glue requires it between the workers of
   * a job) and AWS APIs on HTTPS; each source admits it on its database port.
   */
  public readonly dataServicesSecurityGroup: ec2.SecurityGroup;
  /**
   * AWS DMS replication (instance or serverless). Apart from the Glue workers'
   * group: DMS needs no all-TCP self rule, and dataengineering-db admits this
   * group alone (with the application's). The database and replication stacks
   * add the rules to the source and target ports.
   */
  public readonly replicationSecurityGroup: ec2.SecurityGroup;
  /** The peering with the source databases' VPC, when configured. */
  public readonly sourcePeering?: ec2.CfnVPCPeeringConnection;

  constructor(scope: Construct, id: string, props: DataNetworkProps) {
    super(scope, id);
    const network = props.network;

    if (network.mode === 'create') {
      const egress = network.natGateways > 0;
      this.dataSubnets = { subnetGroupName: 'Data' };
      const vpc = new ec2.Vpc(this, 'Vpc', {
        ipAddresses: ec2.IpAddresses.cidr(network.cidr),
        maxAzs: network.maxAzs,
        natGateways: network.natGateways,
        subnetConfiguration: [
          ...(egress ? [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 26 }] : []),
          {
            name: 'Data',
            subnetType: egress ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
            cidrMask: 24,
          },
        ],
        createInternetGateway: egress,
        restrictDefaultSecurityGroup: true,
        enableDnsHostnames: true,
        enableDnsSupport: true,
      });
      this.vpc = vpc;

      const key = new LogsKey(this, 'FlowLogsKey', {
        purpose: 'VPC flow',
        removalPolicy: props.removalPolicy,
      });
      this.flowLogGroup = new logs.LogGroup(this, 'FlowLogGroup', {
        encryptionKey: key.key,
        retention: props.logRetention,
        removalPolicy: props.removalPolicy,
      });
      // Confused deputy: the flow logs service sends the owner account and the flow log's ARN
      // (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html).
      const stack = Stack.of(this);
      const flowLogRole = new iam.Role(this, 'FlowLogRole', {
        assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com').withConditions({
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({ service: 'ec2', resource: 'vpc-flow-log', resourceName: '*' }),
          },
        }),
        description: 'VPC flow logs: writes the data VPC flow log group',
      });
      vpc.addFlowLog('FlowLog', {
        destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup, flowLogRole),
        trafficType: ec2.FlowLogTrafficType.ALL,
      });

      const peer = network.sourceVpcPeering;
      if (peer !== undefined) {
        // Same account and region: CloudFormation creates and accepts the connection.
        this.sourcePeering = new ec2.CfnVPCPeeringConnection(this, 'SourcePeering', {
          vpcId: vpc.vpcId,
          peerVpcId: peer.vpcId,
        });
        const peeringId = this.sourcePeering.attrId;
        vpc.selectSubnets(this.dataSubnets).subnets.forEach((subnet, i) => {
          new ec2.CfnRoute(this, `ToSourceVpc${i + 1}`, {
            routeTableId: subnet.routeTable.routeTableId,
            destinationCidrBlock: peer.cidr,
            vpcPeeringConnectionId: peeringId,
          });
        });
        peer.routeTableIds.forEach((routeTableId, i) => {
          new ec2.CfnRoute(this, `FromSourceVpc${i + 1}`, {
            routeTableId,
            destinationCidrBlock: network.cidr,
            vpcPeeringConnectionId: peeringId,
          });
        });
      }
    } else {
      this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: network.vpcId,
        vpcCidrBlock: network.vpcCidr,
        availabilityZones: network.availabilityZones,
        privateSubnetIds: network.privateSubnetIds,
        privateSubnetRouteTableIds: network.privateSubnetRouteTableIds,
      });
      this.dataSubnets = { subnets: this.vpc.privateSubnets };
    }

    this.dataServicesSecurityGroup = new ec2.SecurityGroup(this, 'DataServicesSecurityGroup', {
      vpc: this.vpc,
      // The description predates the replication group below; changing it would replace the group, and
      // with it the exported id the ingestion stack imports, which CloudFormation refuses while in use.
      description: 'Glue job workers and DMS: each other, AWS APIs over HTTPS, the source databases',
      allowAllOutbound: false,
    });
    const self = this.dataServicesSecurityGroup;
    self.addIngressRule(self, ec2.Port.allTcp(), 'Glue workers of a job talk to each other');
    self.addEgressRule(self, ec2.Port.allTcp(), 'Glue workers of a job talk to each other');
    // The data subnets route nowhere but the VPC and the S3 gateway endpoint (unless NAT is configured).
    self.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'AWS APIs: interface endpoints and the S3 gateway endpoint',
    );

    this.replicationSecurityGroup = new ec2.SecurityGroup(this, 'ReplicationSecurityGroup', {
      vpc: this.vpc,
      description: 'AWS DMS: AWS APIs over HTTPS, the source databases and dataengineering-db',
      allowAllOutbound: false,
    });
    this.replicationSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'AWS APIs (Secrets Manager, KMS, CloudWatch Logs): interface endpoints',
    );

    if (network.mode === 'create' || network.createEndpoints) {
      this.addEndpoints(network.mode === 'create' ? network.cidr : network.vpcCidr);
    }
  }

  /** @param vpcCidr the VPC range as a literal, so the ingress rule can be checked at synth */
  private addEndpoints(vpcCidr: string): void {
    this.vpc.addGatewayEndpoint('S3Endpoint', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [this.dataSubnets],
    });
    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface endpoints: HTTPS from inside the VPC',
      allowAllOutbound: false,
    });
    endpointSecurityGroup.addIngressRule(
      ec2.Peer.ipv4(vpcCidr),
      ec2.Port.tcp(443),
      'HTTPS to AWS APIs from the VPC',
    );
    for (const [name, service] of Object.entries(INTERFACE_ENDPOINT_SERVICES)) {
      this.vpc.addInterfaceEndpoint(`${name}Endpoint`, {
        service,
        subnets: this.dataSubnets,
        securityGroups: [endpointSecurityGroup],
        privateDnsEnabled: true,
        open: false,
      });
    }
  }
}
