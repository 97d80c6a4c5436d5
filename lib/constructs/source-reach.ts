import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { EnvironmentConfig, SourceConfig } from '../config';

/**
 * How the source databases' network reaches the data VPC (the Glue jobs, AWS DMS and the
 * freshness probe all run there).
 * - `peering`: the same VPC or a peered one, where rules may name the other security group.
 * - `transitGateway`: a Transit Gateway. Security group referencing across a gateway is an
 *   option of the gateway and its attachments, off by default on the gateway
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-ec2-transitgatewayattachment-options.html),
 *   and not something this app controls, so the rules name address ranges instead: the source
 *   admits the data VPC's range, and each client reaches the source's range or prefix list.
 */
export type SourceReach =
  | { readonly kind: 'peering' }
  | {
      readonly kind: 'transitGateway';
      /** The range the clients' network interfaces get their addresses from (the data VPC). */
      readonly jobsCidr: string;
      /** The source databases' range, or a managed prefix list of it; exactly one. */
      readonly sourceCidr?: string;
      readonly sourcePrefixListId?: string;
    };

/** How the sources reach the data VPC: by security group (same or peered VPC), or by range without peering. */
export function sourceReach(network: EnvironmentConfig['network']): SourceReach {
  if (network.mode === 'import' || network.sourceTransitGateway === undefined) return { kind: 'peering' };
  return {
    kind: 'transitGateway',
    jobsCidr: network.cidr,
    sourceCidr: network.sourceTransitGateway.sourceCidr,
    sourcePrefixListId: network.sourceTransitGateway.sourcePrefixListId,
  };
}

/** Where a client's egress rule to a source points: its security group, prefix list or range. */
export function sourceDestination(
  reach: SourceReach,
  sourceGroupId: string,
):
  | { destinationSecurityGroupId: string }
  | { destinationPrefixListId: string }
  | { cidrIp: string | undefined } {
  if (reach.kind === 'peering') return { destinationSecurityGroupId: sourceGroupId };
  if (reach.sourcePrefixListId !== undefined) return { destinationPrefixListId: reach.sourcePrefixListId };
  return { cidrIp: reach.sourceCidr };
}

/**
 * Across a Transit Gateway, the source groups admit the data VPC's range on their ports: one
 * rule per group and port, owned here and shared by every client in the VPC. EC2 refuses a
 * second identical rule (InvalidPermission.Duplicate), so the jobs, DMS and the probe cannot
 * each add their own. Nothing with peering: there each client's group is admitted by name.
 */
export function admitDataVpcToSources(
  scope: Construct,
  reach: SourceReach,
  sources: readonly SourceConfig[],
): ec2.CfnSecurityGroupIngress[] {
  if (reach.kind !== 'transitGateway') return [];
  const admitted = new Map<string, ec2.CfnSecurityGroupIngress>();
  for (const source of sources) {
    const groups = [source.securityGroupId, source.readReplicaSecurityGroupId ?? source.securityGroupId];
    for (const groupId of groups) {
      const key = `${groupId}:${source.port}`;
      if (admitted.has(key)) continue;
      admitted.set(
        key,
        new ec2.CfnSecurityGroupIngress(scope, `SourceAdmitsDataVpc${admitted.size + 1}`, {
          groupId,
          cidrIp: reach.jobsCidr,
          ipProtocol: 'tcp',
          fromPort: source.port,
          toPort: source.port,
          description: `Trackman data VPC (lake jobs, AWS DMS, freshness probe) reads ${source.name}`,
        }),
      );
    }
  }
  return [...admitted.values()];
}

/** Which of one client's rules to a source this source creates (false: an earlier source's rule serves it). */
export interface SourceRuleShare {
  readonly ingress: boolean;
  readonly egress: boolean;
  readonly replicaIngress: boolean;
  readonly replicaEgress: boolean;
}

/**
 * For one client group (the jobs, or DMS), which source creates each of its rules. Sources often
 * share a security group and port (two databases behind one group), and across a Transit Gateway
 * share a destination range; EC2 refuses a second identical rule (InvalidPermission.Duplicate),
 * so the first source that needs a rule creates it and the others rely on it.
 */
export function sourceRuleShares(
  sources: readonly SourceConfig[],
  reach: SourceReach,
  options: { readonly replicas: boolean },
): ReadonlyMap<string, SourceRuleShare> {
  const ingress = new Set<string>();
  const egress = new Set<string>();
  const first = (seen: Set<string>, key: string): boolean => !seen.has(key) && seen.add(key) !== undefined;
  const shares = new Map<string, SourceRuleShare>();
  for (const source of sources) {
    const groupKey = (groupId: string) => `${groupId}:${source.port}`;
    const destinationKey = (groupId: string) =>
      `${JSON.stringify(sourceDestination(reach, groupId))}:${source.port}`;
    const replicaGroup = options.replicas ? source.readReplicaSecurityGroupId : undefined;
    const ownReplica = replicaGroup !== undefined && replicaGroup !== source.securityGroupId;
    shares.set(source.name, {
      ingress: first(ingress, groupKey(source.securityGroupId)),
      egress: first(egress, destinationKey(source.securityGroupId)),
      replicaIngress: ownReplica && first(ingress, groupKey(replicaGroup)),
      replicaEgress: ownReplica && reach.kind === 'peering' && first(egress, destinationKey(replicaGroup)),
    });
  }
  return shares;
}

export interface SourceAccessProps {
  readonly source: SourceConfig;
  /** The client's security group (the jobs', or DMS's). */
  readonly clientGroupId: string;
  readonly reach: SourceReach;
  /** Which of the two rules this source creates (sourceRuleShares). */
  readonly share: Pick<SourceRuleShare, 'ingress' | 'egress'>;
  /** What the source's ingress rule says, e.g. "AWS DMS reads trackman-backend (Trackman replication)". */
  readonly ingressDescription: string;
  /** Construct id and description of the client's egress rule. */
  readonly egress: { readonly id: string; readonly description: string };
}

/**
 * The client may reach the source on its port, and the source admits it: by security group within a
 * VPC or across a peering. Across a Transit Gateway the source admits the data VPC's range instead,
 * one rule for every client there (admitDataVpcToSources, network stack). Each rule only where `share`
 * says this source creates it. The ingress rule's construct id is `SourceIngress`.
 */
export function allowClientToSource(scope: Construct, props: SourceAccessProps): void {
  const { source, reach, share } = props;
  const port = { ipProtocol: 'tcp', fromPort: source.port, toPort: source.port };
  if (reach.kind === 'peering' && share.ingress) {
    new ec2.CfnSecurityGroupIngress(scope, 'SourceIngress', {
      groupId: source.securityGroupId,
      sourceSecurityGroupId: props.clientGroupId,
      ...port,
      description: props.ingressDescription,
    });
  }
  if (share.egress) {
    new ec2.CfnSecurityGroupEgress(scope, props.egress.id, {
      groupId: props.clientGroupId,
      ...sourceDestination(reach, source.securityGroupId),
      ...port,
      description: props.egress.description,
    });
  }
}
