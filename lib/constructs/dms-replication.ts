import { Fn, Stack, Token } from 'aws-cdk-lib';
import * as dms from 'aws-cdk-lib/aws-dms';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { settingsHash, type TableMappings } from '../config/replication-mapping';
import type { DmsReplicationInstance } from './dms-replication-instance';

/** Where a replication runs: DMS Serverless, or a task on a provisioned instance. */
export type DmsCompute =
  | {
      readonly kind: 'serverless';
      readonly minCapacityUnits: number;
      readonly maxCapacityUnits: number;
      /** A standby replication in another Availability Zone. */
      readonly multiAz: boolean;
      readonly subnetGroupIdentifier: string;
      readonly securityGroup: ec2.ISecurityGroup;
    }
  | { readonly kind: 'instance'; readonly instance: DmsReplicationInstance };

export interface DmsReplicationProps {
  /**
   * Fixed identifier of the replication config (serverless) or task (instance), e.g.
   * trackman-prod-trackman-backend; operators and the start/stop control use it.
   */
  readonly identifier: string;
  /** The source endpoint, shared by every replication that reads the source. */
  readonly sourceEndpointArn: string;
  readonly targetEndpointArn: string;
  readonly tableMappings: TableMappings;
  /** Task settings JSON (lib/config/replication-mapping.ts). */
  readonly settings: Record<string, unknown>;
  readonly compute: DmsCompute;
  /**
   * Construct paths of the source and target endpoints: a replaced endpoint gets a new ARN,
   * which a started serverless replication cannot take in place either.
   * @default - none
   */
  readonly endpointPaths?: readonly string[];
}

/**
 * One full-load-and-CDC replication from a source endpoint to a target endpoint: a DMS
 * Serverless replication config, or a replication task on a provisioned instance. It knows
 * nothing of the target's kind, so the lake's S3 target can be a second DmsReplication of the
 * same source endpoint.
 *
 * CloudFormation creates the replication but does not start it; the replication-control
 * custom resource does (identifier, ARN and settingsHash are public for it).
 */
export class DmsReplication extends Construct {
  public readonly kind: 'serverless' | 'instance';
  /** ARN of the replication config (serverless) or of the replication task (instance). */
  public readonly replicationArn: string;
  /** The replication config's identifier (serverless only). */
  public readonly replicationConfigIdentifier?: string;
  /** The replication task's ARN and identifier (instance only). */
  public readonly replicationTaskArn?: string;
  public readonly replicationTaskIdentifier?: string;
  /** sha256 of the mappings and settings JSON: changes when the replication must be modified. */
  public readonly settingsHash: string;
  /** Dimensions of the replication's AWS/DMS CloudWatch metrics. */
  public readonly metricDimensions: Record<string, string>;
  public readonly resource: dms.CfnReplicationConfig | dms.CfnReplicationTask;

  constructor(scope: Construct, id: string, props: DmsReplicationProps) {
    super(scope, id);
    // Everything of the replication CloudFormation would otherwise modify in place, which a started
    // DMS Serverless replication refuses: mappings, settings, capacity and where it runs. Literals
    // only (construct paths stand for the endpoints and groups): a token's text is not stable.
    this.settingsHash = settingsHash(props.tableMappings, {
      settings: props.settings,
      compute:
        props.compute.kind === 'serverless'
          ? {
              minCapacityUnits: props.compute.minCapacityUnits,
              maxCapacityUnits: props.compute.maxCapacityUnits,
              multiAz: props.compute.multiAz,
              // The subnet group is referenced by its (fixed) identifier: a change of its subnets
              // updates it in place, and the replication keeps pointing at it.
              subnetGroup: literalOrNone(props.compute.subnetGroupIdentifier),
              securityGroup: props.compute.securityGroup.node.path,
            }
          : { instance: literalOrNone(props.compute.instance.identifier) },
      endpoints: props.endpointPaths ?? [],
    });
    const compute = props.compute;
    this.kind = compute.kind;
    // The last field of a DMS ARN (arn:aws:dms:<region>:<account>:<type>:<id>) is the resource id.
    const resourceId = (arn: string) => Fn.select(6, Fn.split(':', arn));

    if (compute.kind === 'serverless') {
      // A DMS Serverless replication cannot be modified once it has started, even when stopped
      // (API reference, ModifyReplicationConfig), and CloudFormation updates these properties in
      // place. So its logical id and identifier carry the settings hash: new tables or settings make
      // a new replication (a full load of the source's tables), which the control resources start
      // after stopping the old one; CloudFormation deletes the old one after the update.
      const generation = this.settingsHash.slice(0, 8);
      const identifier = `${props.identifier}-${generation}`;
      const config = new dms.CfnReplicationConfig(this, `Replication${generation}`, {
        replicationConfigIdentifier: identifier,
        replicationType: 'full-load-and-cdc',
        sourceEndpointArn: props.sourceEndpointArn,
        targetEndpointArn: props.targetEndpointArn,
        computeConfig: {
          minCapacityUnits: compute.minCapacityUnits,
          maxCapacityUnits: compute.maxCapacityUnits,
          multiAz: compute.multiAz,
          replicationSubnetGroupId: compute.subnetGroupIdentifier,
          vpcSecurityGroupIds: [compute.securityGroup.securityGroupId],
        },
        tableMappings: props.tableMappings,
        replicationSettings: props.settings,
      });
      this.resource = config;
      this.replicationArn = config.attrReplicationConfigArn;
      this.replicationConfigIdentifier = identifier;
      // DMS Serverless publishes per replication under ReplicationConfigId, "<account>:<resource id>".
      this.metricDimensions = {
        ReplicationConfigId: Fn.join(':', [Stack.of(this).account, resourceId(this.replicationArn)]),
      };
    } else {
      const task = new dms.CfnReplicationTask(this, 'Replication', {
        replicationTaskIdentifier: props.identifier,
        migrationType: 'full-load-and-cdc',
        replicationInstanceArn: compute.instance.instanceArn,
        sourceEndpointArn: props.sourceEndpointArn,
        targetEndpointArn: props.targetEndpointArn,
        tableMappings: JSON.stringify(props.tableMappings),
        replicationTaskSettings: JSON.stringify(props.settings),
      });
      this.resource = task;
      this.replicationArn = task.ref;
      this.replicationTaskArn = task.ref;
      this.replicationTaskIdentifier = props.identifier;
      // Task metrics carry the instance's identifier and the task's resource id (the end of its ARN).
      this.metricDimensions = {
        ReplicationInstanceIdentifier: compute.instance.identifier,
        ReplicationTaskIdentifier: resourceId(this.replicationArn),
      };
    }
  }
}

/** A value for the settings hash: a literal as it is, a token as nothing (its text changes between synths). */
function literalOrNone(value: string): string | null {
  return Token.isUnresolved(value) ? null : value;
}
