/**
 * What an environment deploys that is priced per item, counted from its config: KMS keys,
 * CloudWatch alarms, dashboards, interface endpoints, NAT gateways and their public IPv4 addresses,
 * and the custom metrics the probe publishes. The counts follow the stacks (lib/stacks/) and their constructs;
 * test/cost/environment-stage.test.ts checks them against synthesized stages, so a construct that
 * adds a key or an alarm fails that test until the count here follows.
 */
import type { EnvironmentConfig } from '../config';
import { INTERFACE_ENDPOINT_SERVICES } from '../constructs/data-network';

/** The parts of the config the counts read. */
export type InventoryInput = Pick<
  EnvironmentConfig,
  'network' | 'sources' | 'replication' | 'audit' | 'backup'
>;

export interface Inventory {
  readonly kmsKeys: number;
  readonly alarms: number;
  readonly dashboards: number;
  /** Availability Zones the data subnets span. */
  readonly availabilityZones: number;
  /** Interface endpoints times the Availability Zones each is in (each is billed per AZ). */
  readonly interfaceEndpointAzs: number;
  readonly natGateways: number;
  /** AWS-provided public IPv4 addresses: the Elastic IP of each NAT gateway. */
  readonly publicIpv4Addresses: number;
  /** Metric series the freshness probe publishes every run (per table and destination, and the summaries). */
  readonly customMetrics: number;
}

/** Sources with a table that DMS replicates: each has a replication of its own. */
export function replicatedSourceCount(config: Pick<EnvironmentConfig, 'sources' | 'replication'>): number {
  if (!config.replication.enabled) return 0;
  return config.sources.filter((source) => source.tables.some((table) => table.replicate)).length;
}

export function availabilityZoneCount(network: EnvironmentConfig['network']): number {
  return network.mode === 'create' ? network.maxAzs : network.availabilityZones.length;
}

export function inventoryOf(config: InventoryInput): Inventory {
  const replication = config.replication.enabled;
  const createdDatabase = replication && config.replication.database.mode === 'create';
  const trail = config.audit.trail.mode === 'create';
  const createdVpc = config.network.mode === 'create';
  const endpoints = createdVpc || (config.network.mode === 'import' && config.network.createEndpoints);
  const azs = availabilityZoneCount(config.network);
  const natGateways = config.network.mode === 'create' ? config.network.natGateways : 0;

  const kmsKeys =
    (createdVpc ? 1 : 0) + // network: the flow logs key
    1 + // lake storage: the lake key
    (createdDatabase ? 3 : 0) + // replica database: storage, secret and logs keys
    1 + // alerting: the alarm topic key
    (replication ? 1 : 0) + // replication: the logs key of the start/stop functions
    4 + // ingestion: job, logs, schedule dead-letter and failed-invocation keys
    2 + // operations: the probe's logs key and the backup vault key
    (trail ? 1 : 0); // operations: the trail key

  const alarms =
    replicatedSourceCount(config) * 5 + // replication: latency x2, validation, state-change dead letters x2
    (replication && config.replication.dms.mode === 'instance' ? 2 : 0) + // replication instance: CPU, free storage
    6 + // ingestion: three dead-letter queues, two alarms each
    (replication ? 9 : 5) + // probe: lag, failures, gap, heartbeat per destination, and lake lag unknown
    3 * 2 + // errors and throttles of start-ingestion, the failure notifier and the probe
    4 + // workflow: failed, timed out, aborted, heartbeat
    1 + // failed job runs
    (createdDatabase ? 3 : 0) + // dataengineering-db: CPU, free storage, connections
    3 + // backup: backup jobs, restore jobs, no completed backup
    (config.backup.crossRegionCopy === undefined ? 0 : 1); // backup: copy jobs

  // lambda/freshness-probe/metrics.ts: LagSeconds per lake table and per replicated table; per
  // destination a summary (LagSeconds, ProbeFailures, ReconciliationGapRows, ReconciliationRuns, and
  // LakeLagUnknown for the lake).
  const tables = config.sources.flatMap((source) => source.tables);
  const replicated = replication ? tables.filter((table) => table.replicate).length : 0;
  const customMetrics = tables.length + 5 + (replication ? replicated + 4 : 0);

  return {
    kmsKeys,
    alarms,
    dashboards: 1,
    availabilityZones: azs,
    interfaceEndpointAzs: endpoints ? Object.keys(INTERFACE_ENDPOINT_SERVICES).length * azs : 0,
    natGateways,
    publicIpv4Addresses: natGateways, // the VPC gives each NAT gateway an Elastic IP of its own
    customMetrics,
  };
}
