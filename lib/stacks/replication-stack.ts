import { Stack, type StackProps } from 'aws-cdk-lib';
import * as dms from 'aws-cdk-lib/aws-dms';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { replicationBudget } from '../config/replication-budget';
import {
  replicatedTables,
  replicationIdentifier,
  replicationSettings,
  tableMappings,
} from '../config/replication-mapping';
import { ReplicationInstanceAlarms } from '../constructs/component-alarms';
import { DmsReplication, type DmsCompute } from '../constructs/dms-replication';
import { DmsReplicationInstance } from '../constructs/dms-replication-instance';
import { DmsSourceEndpoint } from '../constructs/dms-source-endpoint';
import { DmsPostgresTargetEndpoint } from '../constructs/dms-target-endpoint';
import { LogsKey } from '../constructs/logs-key';
import type { ReplicaDatabaseTarget } from '../constructs/replica-database';
import { ReplicationAlarms } from '../constructs/replication-alarms';
import { ReplicationControl } from '../constructs/replication-control';
import { sourceReach, sourceRuleShares } from '../constructs/source-reach';
import { logRetention, removalPolicy } from './policies';

export interface ReplicationStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  /** The data subnets; the replication subnet group spans them. */
  readonly dataSubnets: ec2.SubnetSelection;
  /** AWS DMS's security group (network stack). */
  readonly replicationSecurityGroup: ec2.ISecurityGroup;
  /** dataengineering-db (replica database stack). */
  readonly database: ReplicaDatabaseTarget;
  readonly alarmTopic: sns.ITopic;
}

/**
 * Stateless: AWS DMS from each source to dataengineering-db, full load then CDC. A
 * replication subnet group over the data subnets, one source endpoint per source with
 * replicated tables, one target endpoint, one replication per source (DMS Serverless, or a
 * task on a provisioned instance), and the alarms that watch each against the SLO.
 * Replications hold no data of their own: deleting this stack loses no rows, only the
 * position in the change stream (a new replication starts with a full load).
 */
export class ReplicationStack extends Stack {
  public readonly subnetGroup: dms.CfnReplicationSubnetGroup;
  /** Source endpoints by source name; a later replication to the lake reuses them. */
  public readonly sourceEndpoints: ReadonlyMap<string, DmsSourceEndpoint>;
  public readonly targetEndpoint: DmsPostgresTargetEndpoint;
  /** The provisioned instance, in mode 'instance'. */
  public readonly instance?: DmsReplicationInstance;
  /** One replication per source with replicated tables, in config order. */
  public readonly replications: readonly DmsReplication[];

  constructor(scope: Construct, id: string, props: ReplicationStackProps) {
    super(scope, id, props);
    const { config } = props;
    const dmsConfig = config.replication.dms;
    const budget = replicationBudget(config);

    this.subnetGroup = new dms.CfnReplicationSubnetGroup(this, 'SubnetGroup', {
      replicationSubnetGroupIdentifier: `trackman-${config.name}-replication`,
      replicationSubnetGroupDescription: `Trackman ${config.name}: AWS DMS in the data subnets`,
      subnetIds: props.vpc.selectSubnets(props.dataSubnets).subnetIds,
    });
    const subnetGroupIdentifier = this.subnetGroup.ref;

    this.targetEndpoint = new DmsPostgresTargetEndpoint(this, 'Target', {
      databaseName: props.database.databaseName,
      secret: props.database.secret,
      secretKey: props.database.secretKey,
      description: 'dataengineering-db',
    });

    let compute: DmsCompute;
    if (dmsConfig.mode === 'serverless') {
      compute = {
        kind: 'serverless',
        minCapacityUnits: dmsConfig.minCapacityUnits,
        maxCapacityUnits: dmsConfig.maxCapacityUnits,
        multiAz: dmsConfig.multiAz,
        subnetGroupIdentifier,
        securityGroup: props.replicationSecurityGroup,
      };
    } else {
      this.instance = new DmsReplicationInstance(this, 'Instance', {
        identifier: `trackman-${config.name}-replication`,
        instanceClass: dmsConfig.instanceClass,
        allocatedStorageGiB: dmsConfig.allocatedStorageGiB,
        multiAz: dmsConfig.multiAz,
        subnetGroupIdentifier,
        securityGroup: props.replicationSecurityGroup,
      });
      compute = { kind: 'instance', instance: this.instance };
      new ReplicationInstanceAlarms(this, 'InstanceAlarms', {
        identifier: this.instance.identifier,
        allocatedStorageGiB: dmsConfig.allocatedStorageGiB,
        description: `The DMS replication instance of ${config.name}`,
        alarmTopic: props.alarmTopic,
      });
    }

    const sourceEndpoints = new Map<string, DmsSourceEndpoint>();
    const replications: DmsReplication[] = [];
    const controlLogsKey = new LogsKey(this, 'ControlLogsKey', {
      purpose: 'the replication start/stop function',
      removalPolicy: removalPolicy(config),
    });
    const replicatedSources = config.sources.filter((s) => replicatedTables(s).length > 0);
    const shares = sourceRuleShares(replicatedSources, sourceReach(config.network), { replicas: false });
    for (const source of replicatedSources) {
      const sourceEndpoint = new DmsSourceEndpoint(this, `Source-${source.name}`, {
        source,
        replicationSecurityGroup: props.replicationSecurityGroup,
        reach: sourceReach(config.network),
        share: shares.get(source.name),
      });
      sourceEndpoints.set(source.name, sourceEndpoint);

      const replication = new DmsReplication(this, `Replication-${source.name}`, {
        identifier: replicationIdentifier(config.name, source.name),
        sourceEndpointArn: sourceEndpoint.endpointArn,
        targetEndpointArn: this.targetEndpoint.endpointArn,
        tableMappings: tableMappings(source),
        settings: replicationSettings({ ...config.replication, engine: source.engine }),
        compute,
        endpointPaths: [sourceEndpoint.endpoint.node.path, this.targetEndpoint.endpoint.node.path],
      });
      replications.push(replication);

      // CloudFormation creates a replication but never starts it, and cannot modify a running one:
      // the control resources stop it before a settings change, start or resume it after, and stop
      // it before it is deleted.
      new ReplicationControl(this, `Control-${source.name}`, {
        replication: replication.resource,
        settingsHash: replication.settingsHash,
        tables: replicatedTables(source).map((table) => ({
          SchemaName: table.schema,
          TableName: table.name,
        })),
        logsKey: controlLogsKey,
        logRetention: logRetention(config),
        removalPolicy: removalPolicy(config),
      });

      new ReplicationAlarms(this, `Alarms-${source.name}`, {
        replication,
        description: `${source.name} to dataengineering-db (${config.name})`,
        budget,
        alarmTopic: props.alarmTopic,
        removalPolicy: removalPolicy(config),
      });
    }
    this.sourceEndpoints = sourceEndpoints;
    this.replications = replications;
  }
}
