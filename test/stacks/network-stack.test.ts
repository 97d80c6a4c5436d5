import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { validateConfig } from '../../lib/config';
import { INTERFACE_ENDPOINT_SERVICES } from '../../lib/constructs/data-network';
import { NetworkStack } from '../../lib/stacks/network-stack';
import { devLike as dev, FIXTURE_LOOKUPS, prodLike as prod } from '../fixtures/configs';
import { buildStageWith, logicalIdsOf, projectContext, snapshotOf } from '../helpers/synth';

/** Behaviour on the fixtures; the shipped environments' settings are theirs to change. */
const templates = {
  dev: Template.fromStack(buildStageWith(dev).network),
  prod: Template.fromStack(buildStageWith(prod).network),
};

describe.each([
  ['dev', 2, 14, 'Delete'],
  ['prod', 3, 365, 'RetainExceptOnCreate'],
] as const)('network stack (%s)', (env, azs, retentionDays, deletionPolicy) => {
  const template = templates[env];

  test(`spans ${azs} Availability Zones with isolated data subnets only`, () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::Subnet', azs);
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet'));
    const zones = new Set(subnets.map((s) => JSON.stringify(s.Properties.AvailabilityZone)));
    expect(zones.size).toBe(azs);
    for (const subnet of subnets) {
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    }
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  test('has an S3 gateway endpoint on every data route table', () => {
    const gateway = template.findResources('AWS::EC2::VPCEndpoint', {
      Properties: { VpcEndpointType: 'Gateway' },
    });
    expect(Object.keys(gateway)).toHaveLength(1);
    const [endpoint] = Object.values(gateway);
    expect(JSON.stringify(endpoint.Properties.ServiceName)).toContain('.s3');
    expect(endpoint.Properties.RouteTableIds).toHaveLength(azs);
  });

  test('has private-DNS interface endpoints for every AWS API the jobs call', () => {
    const interfaces = Object.values(
      template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }),
    );
    const services = interfaces.map((e) => JSON.stringify(e.Properties.ServiceName)).sort();
    const expected = ['glue', 'secretsmanager', 'kms', 'logs', 'monitoring', 'sts', 'states', 'sns'];
    expect(interfaces).toHaveLength(expected.length);
    expect(Object.keys(INTERFACE_ENDPOINT_SERVICES)).toHaveLength(expected.length);
    for (const service of expected) {
      expect(services.filter((s) => s.includes(`.${service}"`))).toHaveLength(1);
    }
    for (const endpoint of interfaces) {
      expect(endpoint.Properties.PrivateDnsEnabled).toBe(true);
      expect(endpoint.Properties.SubnetIds).toHaveLength(azs);
    }
  });

  test('endpoints admit only HTTPS from the VPC range and send nothing out', () => {
    const cidr = env === 'dev' ? '10.40.0.0/20' : '10.41.0.0/20';
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Interface endpoints: HTTPS from inside the VPC',
      SecurityGroupIngress: [{ CidrIp: cidr, FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }],
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
    });
  });

  test('data services reach each other on all TCP ports and AWS APIs on HTTPS only', () => {
    const [groupId] = Object.keys(
      template.findResources('AWS::EC2::SecurityGroup', {
        Properties: { GroupDescription: Match.stringLikeRegexp('^Glue job workers and DMS') },
      }),
    );
    expect(groupId).toBeDefined();
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Glue job workers and DMS'),
      SecurityGroupEgress: [
        { CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp', Description: Match.anyValue() },
      ],
    });
    const self = { 'Fn::GetAtt': [groupId, 'GroupId'] };
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: self,
      SourceSecurityGroupId: self,
      IpProtocol: 'tcp',
      FromPort: 0,
      ToPort: 65535,
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: self,
      DestinationSecurityGroupId: self,
      IpProtocol: 'tcp',
      FromPort: 0,
      ToPort: 65535,
    });
  });

  test("peers with trackman-backend's VPC and routes to it from every data subnet, and back", () => {
    const peering = (env === 'dev' ? dev : prod).network;
    if (peering.mode !== 'create' || peering.sourceVpcPeering === undefined)
      throw new Error('expected peering');
    const peer = peering.sourceVpcPeering;
    const [peeringId] = logicalIdsOf(template, 'AWS::EC2::VPCPeeringConnection');
    template.hasResourceProperties('AWS::EC2::VPCPeeringConnection', {
      VpcId: { Ref: 'NetworkVpc7FB7348F' },
      PeerVpcId: peer.vpcId,
    });
    const routes = Object.values(
      template.findResources('AWS::EC2::Route', {
        Properties: { VpcPeeringConnectionId: { 'Fn::GetAtt': [peeringId, 'Id'] } },
      }),
    ).map((route) => route.Properties);
    const outbound = routes.filter((route) => route.DestinationCidrBlock === peer.cidr);
    expect(outbound).toHaveLength(azs);
    expect(new Set(outbound.map((route) => JSON.stringify(route.RouteTableId))).size).toBe(azs);
    const inbound = routes.filter((route) => route.DestinationCidrBlock === peering.cidr);
    expect(inbound.map((route) => route.RouteTableId)).toEqual(peer.routeTableIds);
  });

  test('restricts the default security group', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });

  test(`logs all traffic to a KMS-encrypted log group kept ${retentionDays} days`, () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    const [keyId] = logicalIdsOf(template, 'AWS::KMS::Key');
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: retentionDays, KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      DeletionPolicy: deletionPolicy,
    });
    template.hasResource('AWS::KMS::Key', {
      Properties: {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
              Condition: {
                ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.stringLikeRegexp(':log-group:\\*$') },
              },
            }),
          ]),
        },
      },
      DeletionPolicy: deletionPolicy,
    });
  });

  test('logical ids of its retained resources are pinned (renaming one orphans the old one)', () => {
    expect(logicalIdsOf(template, 'AWS::KMS::Key')).toEqual(['NetworkFlowLogsKey5BEDC61C']);
    expect(logicalIdsOf(template, 'AWS::Logs::LogGroup')).toEqual(['NetworkFlowLogGroup4F8CEEEF']);
    expect(logicalIdsOf(template, 'AWS::EC2::VPC')).toEqual(['NetworkVpc7FB7348F']);
  });

  test('matches the snapshot (asset hashes normalised)', () => {
    expect(snapshotOf(template)).toMatchSnapshot();
  });
});

describe('network stack with NAT egress', () => {
  const config = validateConfig(
    {
      ...dev,
      network: {
        mode: 'create',
        cidr: '10.40.0.0/20',
        maxAzs: 2,
        natGateways: 1,
        // Without peering the sources are named by range (a source outside AWS, reached through NAT).
        sourceTransitGateway: { sourceCidr: '203.0.113.0/24' },
      },
    },
    'dev',
  );
  const template = Template.fromStack(
    new NetworkStack(
      new App({
        context: { ...projectContext(), ...FIXTURE_LOOKUPS },
        builtinCloudFormationValidation: false,
      }),
      'Nat',
      {
        config,
        env: { account: config.account, region: config.region },
      },
    ),
  );

  test('adds public subnets and one NAT gateway, data subnets route through it', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.resourceCountIs('AWS::EC2::InternetGateway', 1);
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.resourceCountIs('AWS::EC2::Route', 4);
  });
});

describe('network stack importing an existing VPC', () => {
  const network = {
    mode: 'import' as const,
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    vpcCidr: '172.31.0.0/16',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    privateSubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-1a1b2c3d4e5f60718'],
    privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60718', 'rtb-1a1b2c3d4e5f60718'],
  };
  const synth = (createEndpoints: boolean) => {
    const config = validateConfig({ ...dev, network: { ...network, createEndpoints } }, 'dev');
    const stack = new NetworkStack(
      new App({
        context: { ...projectContext(), ...FIXTURE_LOOKUPS },
        builtinCloudFormationValidation: false,
      }),
      `Import${createEndpoints}`,
      {
        config,
        env: { account: config.account, region: config.region },
      },
    );
    return { stack, template: Template.fromStack(stack) };
  };

  test('creates no VPC and puts the endpoints in the given subnets and route tables', () => {
    const { stack, template } = synth(true);
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::EC2::Subnet', 0);
    template.resourceCountIs('AWS::EC2::FlowLog', 0);
    expect(stack.vpc.vpcId).toBe(network.vpcId);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      VpcId: network.vpcId,
      RouteTableIds: network.privateSubnetRouteTableIds,
    });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      SubnetIds: network.privateSubnetIds,
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ CidrIp: network.vpcCidr, FromPort: 443 })],
    });
  });

  // A stack with no resources cannot be deployed; this one always keeps the security group.
  test('creates only the data services security group when the VPC already has its endpoints', () => {
    const { template } = synth(false);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    const types = Object.values(template.toJSON().Resources as Record<string, { Type: string }>).map(
      (r) => r.Type,
    );
    expect(new Set(types)).toEqual(
      new Set(['AWS::EC2::SecurityGroup', 'AWS::EC2::SecurityGroupIngress', 'AWS::EC2::SecurityGroupEgress']),
    );
  });
});
