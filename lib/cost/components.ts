/**
 * The monthly cost of each component of an environment, one pure function each: the config says
 * how much of a thing there is, the price book what it costs, and the named assumptions fill in
 * what neither says. Each result carries its arithmetic as text, the assumptions and the prices it
 * used, so the estimate can show its working (docs/cost.md).
 */
import type { EnvironmentConfig } from '../config';
import { PROBE_INTERVAL_MINUTES, RECONCILIATION_INTERVAL_MINUTES } from '../constructs/freshness-probe';
import { FUNCTION_MEMORY_MIB } from '../constructs/node-function';
import type { AssumptionName, Assumptions } from './assumptions';
import { availabilityZoneCount, inventoryOf, replicatedSourceCount } from './inventory';
import { classPrice, costOf, includedDmsStorage, type Figure, type Price, type PriceBook } from './prices';

/** The config fields of `cost` (lib/config/cost-schema.ts): estimates the config holds. */
export type CostInputName = 'cost.dailyLakeGiB' | 'cost.lakeAgeDays' | 'cost.glueWorkersPerRun';

export interface PriceUse {
  /** Its path in the price book, such as `glue.dpuHour` or `rds.postgresInstanceHour.db.r7g.large`. */
  readonly name: string;
  readonly figure: Price | Figure;
}

export interface ComponentCost {
  readonly id: string;
  readonly name: string;
  readonly monthlyUsd: number;
  /** The arithmetic, with the numbers that went in. */
  readonly formula: string;
  readonly assumptions: readonly (AssumptionName | CostInputName)[];
  readonly prices: readonly PriceUse[];
}

/** What every component reads. */
export interface CostContext {
  readonly config: EnvironmentConfig;
  readonly prices: PriceBook;
  readonly assumptions: Assumptions;
}

const KIB_PER_GIB = 1024 * 1024;
const MIB_PER_GIB = 1024;

/** A number for a formula: at most six significant digits, no trailing zeros. */
export function num(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/** A price for a formula: `0.44 USD/DPU-hour`, `0.025 USD/1,000 state transitions`. */
export function priced(price: Price): string {
  return `${num(price.usd)} USD/${price.per === 1 ? '' : `${price.per.toLocaleString('en-US')} `}${price.unit}`;
}

/** `quantity unit x price`, for a formula. */
function line(quantity: number, unit: string, price: Price): string {
  return `${num(quantity)} ${unit} x ${priced(price)}`;
}

function component(
  id: string,
  name: string,
  parts: readonly { readonly usd: number; readonly text: string }[],
  assumptions: readonly (AssumptionName | CostInputName)[],
  prices: readonly PriceUse[],
  emptyText = 'nothing deployed',
): ComponentCost {
  // A component with nothing to price uses no assumption and no price.
  const hasParts = parts.length > 0;
  return {
    id,
    name,
    monthlyUsd: parts.reduce((sum, item) => sum + item.usd, 0),
    formula: hasParts ? parts.map((item) => item.text).join(' + ') : emptyText,
    assumptions: hasParts ? assumptions : [],
    prices: hasParts ? prices : [],
  };
}

const part = (quantity: number, unit: string, price: Price) => ({
  usd: costOf(quantity, price),
  text: line(quantity, unit, price),
});

// ---- Quantities more than one component reads ----

export function tableCount(config: Pick<EnvironmentConfig, 'sources'>): number {
  return config.sources.reduce((sum, source) => sum + source.tables.length, 0);
}

/** Scheduled workflow runs a month; none while ingestion is paused. */
export function ingestionRunsPerMonth(config: Pick<EnvironmentConfig, 'ingestion'>, a: Assumptions): number {
  if (!config.ingestion.enabled) return 0;
  return (a.hoursPerMonth.value * 60) / config.ingestion.scheduleIntervalMinutes;
}

/** Invocations of the freshness probe a month: freshness runs and reconciliation runs. */
export function probeInvocationsPerMonth(a: Assumptions): number {
  const minutes = a.hoursPerMonth.value * 60;
  return minutes / PROBE_INTERVAL_MINUTES + minutes / RECONCILIATION_INTERVAL_MINUTES;
}

/** State transitions of one workflow run over every table (lib/constructs/ingestion-workflow.ts). */
export function transitionsPerRun(config: Pick<EnvironmentConfig, 'sources'>, a: Assumptions): number {
  return (
    a.workflowTransitionsPerRun.value +
    a.workflowTransitionsPerSource.value * config.sources.length +
    a.workflowTransitionsPerTable.value * tableCount(config)
  );
}

/** S3 data events of the lake bucket the trail records a month, by what it selects. */
export function lakeDataEventsPerMonth(config: EnvironmentConfig, a: Assumptions): number {
  const trail = config.audit.trail;
  if (trail.mode !== 'create' || trail.lakeDataEvents === 'none') return 0;
  const tableRuns = ingestionRunsPerMonth(config, a) * tableCount(config);
  const writes = tableRuns * a.lakeWritesPerTableRun.value;
  if (trail.lakeDataEvents === 'writes') return writes;
  return writes + tableRuns * a.lakeReadsPerTableRun.value + probeLakeReadsPerMonth(config, a);
}

/** GetObject requests of the probe on the lake a month: each run reads every lake table's watermark. */
export function probeLakeReadsPerMonth(config: Pick<EnvironmentConfig, 'sources'>, a: Assumptions): number {
  return probeInvocationsPerMonth(a) * tableCount(config) * a.probeWatermarkReadsPerTable.value;
}

/**
 * Objects the runs land under raw/ a day and their average size in KiB: the GiB landed a day over
 * the objects landed a day. No size when no run lands an object (ingestion paused).
 */
export function lakeObjectsPerDay(
  config: Pick<EnvironmentConfig, 'cost' | 'sources' | 'ingestion'>,
  a: Assumptions,
): { readonly count: number; readonly averageKiB?: number } {
  const runsPerDay = ingestionRunsPerMonth(config, a) / (a.hoursPerMonth.value / 24);
  const count = runsPerDay * tableCount(config) * a.lakeObjectsPerTableRun.value;
  return count > 0 ? { count, averageKiB: (config.cost.dailyLakeGiB * KIB_PER_GIB) / count } : { count };
}

/**
 * GiB of the lake in each storage class in the month the estimate prices (lib/constructs/lake-bucket.ts).
 * The lifecycle moves no object under lakeMinTransitionObjectKiB (the bucket's default
 * TransitionDefaultMinimumObjectSize), so a lake whose average object is smaller stays all in
 * Standard; Intelligent-Tiering keeps an object under intelligentTieringMinObjectKiB in its
 * frequent tier.
 */
export function lakeStorageGiB(
  config: Pick<EnvironmentConfig, 'cost' | 'lake' | 'sources' | 'ingestion'>,
  a: Assumptions,
): {
  readonly standard: number;
  readonly frequent: number;
  readonly infrequent: number;
  readonly archiveInstant: number;
  readonly deepArchive: number;
  /** Days an object spends in Intelligent-Tiering, as far as the lake's age reaches. */
  readonly intelligentTieringDays: number;
  /** Whether the lifecycle rules move the objects at all (false: too small, all Standard). */
  readonly transitioned: boolean;
} {
  const daily = config.cost.dailyLakeGiB;
  const age = config.cost.lakeAgeDays;
  const { averageKiB } = lakeObjectsPerDay(config, a);
  if (averageKiB !== undefined && averageKiB < a.lakeMinTransitionObjectKiB.value) {
    return {
      standard: daily * age,
      frequent: 0,
      infrequent: 0,
      archiveInstant: 0,
      deepArchive: 0,
      intelligentTieringDays: 0,
      transitioned: false,
    };
  }
  const toTiering = config.lake.intelligentTieringAfterDays;
  const toArchive = config.lake.deepArchiveAfterDays;
  const tieringDays = Math.max(0, Math.min(age, toArchive) - toTiering);
  const tiered = averageKiB === undefined || averageKiB >= a.intelligentTieringMinObjectKiB.value;
  const infrequentAfter = tiered ? a.intelligentTieringInfrequentAfterDays.value : tieringDays;
  const archiveInstantAfter = tiered ? a.intelligentTieringArchiveInstantAfterDays.value : tieringDays;
  return {
    standard: daily * Math.min(age, toTiering),
    frequent: daily * Math.min(tieringDays, infrequentAfter),
    infrequent: daily * Math.max(0, Math.min(tieringDays, archiveInstantAfter) - infrequentAfter),
    archiveInstant: daily * Math.max(0, tieringDays - archiveInstantAfter),
    deepArchive: daily * Math.max(0, age - toArchive),
    intelligentTieringDays: tieringDays,
    transitioned: true,
  };
}

// ---- The components ----

/** Glue: every scheduled run starts each table's job, billed per second above the minimum. */
export function glueCost({ config, prices, assumptions: a }: CostContext): ComponentCost {
  const runs = ingestionRunsPerMonth(config, a);
  const tables = tableCount(config);
  const minimum = prices.glue.minimumBilledMinutes.value;
  const billedMinutes = Math.max(minimum, config.ingestion.expectedTableMinutes);
  const dpu = config.cost.glueWorkersPerRun * a.dpuPerWorker.value;
  const dpuHours = ((runs * tables * billedMinutes) / 60) * dpu;
  const text =
    `${num(runs)} runs x ${tables} tables x ${num(billedMinutes)} min billed ` +
    `(expectedTableMinutes ${num(config.ingestion.expectedTableMinutes)}, at least ${num(minimum)}) ` +
    `x ${num(dpu)} DPU = ${line(dpuHours, 'DPU-hours', prices.glue.dpuHour)}`;
  return component(
    'glue',
    'Glue job runs',
    runs === 0 ? [] : [{ usd: costOf(dpuHours, prices.glue.dpuHour), text }],
    ['hoursPerMonth', 'dpuPerWorker', 'cost.glueWorkersPerRun'],
    [
      { name: 'glue.dpuHour', figure: prices.glue.dpuHour },
      { name: 'glue.minimumBilledMinutes', figure: prices.glue.minimumBilledMinutes },
    ],
    'ingestion.enabled is false: no scheduled runs',
  );
}

/** Step Functions (Standard): the state transitions of every scheduled run. */
export function stepFunctionsCost({ config, prices, assumptions: a }: CostContext): ComponentCost {
  const runs = ingestionRunsPerMonth(config, a);
  const perRun = transitionsPerRun(config, a);
  const price = prices.stepFunctions.stateTransitions;
  return component(
    'stepFunctions',
    'Step Functions transitions',
    runs === 0
      ? []
      : [
          {
            usd: costOf(runs * perRun, price),
            text: `${num(runs)} runs x ${perRun} transitions = ${line(runs * perRun, 'transitions', price)}`,
          },
        ],
    [
      'hoursPerMonth',
      'workflowTransitionsPerRun',
      'workflowTransitionsPerSource',
      'workflowTransitionsPerTable',
    ],
    [{ name: 'stepFunctions.stateTransitions', figure: price }],
    'ingestion.enabled is false: no scheduled runs',
  );
}

/** Lambda: the freshness probe's scheduled runs (the other functions run on demand). */
export function lambdaCost({ prices, assumptions: a }: CostContext): ComponentCost {
  const invocations = probeInvocationsPerMonth(a) + a.onDemandInvocationsPerMonth.value;
  const gbSeconds = invocations * a.probeSecondsPerInvocation.value * (FUNCTION_MEMORY_MIB / 1024);
  return component(
    'lambda',
    'Lambda',
    [
      part(invocations, 'invocations', prices.lambda.requests),
      part(gbSeconds, 'GB-seconds', prices.lambda.armGbSeconds),
    ],
    ['hoursPerMonth', 'probeSecondsPerInvocation', 'onDemandInvocationsPerMonth'],
    [
      { name: 'lambda.requests', figure: prices.lambda.requests },
      { name: 'lambda.armGbSeconds', figure: prices.lambda.armGbSeconds },
    ],
  );
}

/** EventBridge Scheduler: the ingestion schedule and the probe's two schedules. */
export function schedulerCost({ config, prices, assumptions: a }: CostContext): ComponentCost {
  const invocations = ingestionRunsPerMonth(config, a) + probeInvocationsPerMonth(a);
  return component(
    'scheduler',
    'EventBridge Scheduler',
    [part(invocations, 'invocations', prices.scheduler.invocations)],
    ['hoursPerMonth'],
    [{ name: 'scheduler.invocations', figure: prices.scheduler.invocations }],
  );
}

/** DMS: Serverless at its minimum capacity, or the replication instance; a Multi-AZ standby doubles it. */
export function dmsCost({ config, prices, assumptions: a }: CostContext): ComponentCost {
  const hours = a.hoursPerMonth.value;
  const dms = config.replication.dms;
  const azs = dms.multiAz ? 2 : 1;
  if (!config.replication.enabled) {
    return component('dms', 'DMS replication', [], [], [], 'replication.enabled is false');
  }
  if (dms.mode === 'serverless') {
    const replications = replicatedSourceCount(config);
    const dcuHours = replications * dms.minCapacityUnits * hours * azs;
    return component(
      'dms',
      'DMS replication',
      replications === 0
        ? []
        : [
            {
              usd: costOf(dcuHours, prices.dms.serverlessDcuHour),
              text:
                `${replications} replication(s) x ${dms.minCapacityUnits} DCU (minCapacityUnits) x ${hours} h x ${azs} ` +
                `(${dms.multiAz ? 'Multi-AZ' : 'Single-AZ'}) = ${line(dcuHours, 'DCU-hours', prices.dms.serverlessDcuHour)}`,
            },
          ],
      ['hoursPerMonth'],
      [{ name: 'dms.serverlessDcuHour', figure: prices.dms.serverlessDcuHour }],
      'no source has a table with replicate: true',
    );
  }
  const instanceHour = classPrice(
    prices.dms.instanceHour,
    dms.instanceClass,
    'DMS replication instance class',
    prices.region,
  );
  const included = includedDmsStorage(prices.dms.includedStorageGb, dms.instanceClass, prices.region);
  const billedGiB = Math.max(0, dms.allocatedStorageGiB - included.figure.value);
  const storage =
    `${azs} instance(s) x (${dms.allocatedStorageGiB} GB allocated - ${num(included.figure.value)} GB ` +
    `included in class family ${included.family}, at least 0)`;
  return component(
    'dms',
    'DMS replication',
    [
      part(hours * azs, `instance-hours (${dms.instanceClass}, ${azs} instance(s))`, instanceHour),
      billedGiB === 0
        ? { usd: 0, text: `${storage} = 0 GB-months of instance storage billed` }
        : {
            usd: costOf(billedGiB * azs, prices.dms.storageGbMonth),
            text: `${storage} = ${line(billedGiB * azs, 'GB-months of instance storage', prices.dms.storageGbMonth)}`,
          },
    ],
    ['hoursPerMonth'],
    [
      { name: `dms.instanceHour.${dms.instanceClass}`, figure: instanceHour },
      { name: `dms.includedStorageGb.${included.family}`, figure: included.figure },
      ...(billedGiB === 0 ? [] : [{ name: 'dms.storageGbMonth', figure: prices.dms.storageGbMonth }]),
    ],
  );
}

/** RDS for PostgreSQL: dataengineering-db when this app creates it; a Multi-AZ standby doubles it. */
export function rdsCost({ config, prices, assumptions: a }: CostContext): ComponentCost {
  const database = config.replication.database;
  if (!config.replication.enabled || database.mode !== 'create') {
    return component(
      'rds',
      'RDS dataengineering-db',
      [],
      [],
      [],
      config.replication.enabled
        ? 'an existing database: billed to its owner'
        : 'replication.enabled is false',
    );
  }
  const azs = database.multiAz ? 2 : 1;
  const instanceHour = classPrice(
    prices.rds.postgresInstanceHour,
    database.instanceClass,
    'RDS for PostgreSQL instance class',
    prices.region,
  );
  return component(
    'rds',
    'RDS dataengineering-db',
    [
      part(
        a.hoursPerMonth.value * azs,
        `instance-hours (${database.instanceClass}, ${azs} instance(s))`,
        instanceHour,
      ),
      part(
        database.allocatedStorageGiB * azs,
        'GB-months of gp3 (allocatedStorageGiB)',
        prices.rds.gp3GbMonth,
      ),
    ],
    ['hoursPerMonth'],
    [
      { name: `rds.postgresInstanceHour.${database.instanceClass}`, figure: instanceHour },
      { name: 'rds.gp3GbMonth', figure: prices.rds.gp3GbMonth },
    ],
  );
}

/** S3: the lake by storage class over its lifecycle, its requests and its lifecycle transitions. */
export function s3Cost({ config, prices, assumptions: a }: CostContext): ComponentCost {
  const s3 = prices.s3;
  const gib = lakeStorageGiB(config, a);
  const tables = tableCount(config);
  const runs = ingestionRunsPerMonth(config, a);
  const daysPerMonth = a.hoursPerMonth.value / 24;
  const objects = lakeObjectsPerDay(config, a);
  const objectKiB = objects.averageKiB ?? 0;
  const monitored =
    objectKiB >= a.intelligentTieringMinObjectKiB.value ? objects.count * gib.intelligentTieringDays : 0;
  const age = config.cost.lakeAgeDays;
  const newObjects = gib.transitioned ? objects.count * daysPerMonth : 0;
  // [quantity, what, price]: the price books name each S3 price, and only those that add to the total count.
  const items: [number, string, keyof PriceBook['s3']][] = [
    [gib.standard, 'GB Standard', 'standardGbMonth'],
    [gib.frequent, 'GB Intelligent-Tiering frequent', 'intelligentTieringFrequentGbMonth'],
    [gib.infrequent, 'GB Intelligent-Tiering infrequent', 'intelligentTieringInfrequentGbMonth'],
    [gib.archiveInstant, 'GB Intelligent-Tiering archive instant', 'intelligentTieringArchiveInstantGbMonth'],
    [gib.deepArchive, 'GB Deep Archive', 'deepArchiveGbMonth'],
    [monitored, 'objects monitored', 'intelligentTieringMonitoring'],
    [
      age > config.lake.intelligentTieringAfterDays ? newObjects : 0,
      'transitions to Intelligent-Tiering',
      'transitionsToIntelligentTiering',
    ],
    [
      age > config.lake.deepArchiveAfterDays ? newObjects : 0,
      'transitions to Deep Archive',
      'transitionsToDeepArchive',
    ],
    [runs * tables * a.lakeWritesPerTableRun.value, 'PUTs', 'putRequests'],
    [runs * tables * a.lakeReadsPerTableRun.value + probeLakeReadsPerMonth(config, a), 'GETs', 'getRequests'],
  ];
  const counted = items.filter(([quantity]) => quantity > 0);
  const priced = component(
    's3',
    'S3 lake',
    counted.map(([quantity, what, name]) => part(quantity, what, s3[name])),
    [
      'cost.dailyLakeGiB',
      'cost.lakeAgeDays',
      'hoursPerMonth',
      'lakeObjectsPerTableRun',
      'lakeMinTransitionObjectKiB',
      'intelligentTieringInfrequentAfterDays',
      'intelligentTieringArchiveInstantAfterDays',
      'intelligentTieringMinObjectKiB',
      'lakeWritesPerTableRun',
      'lakeReadsPerTableRun',
      'probeWatermarkReadsPerTable',
    ],
    counted.map(([, , name]) => ({ name: `s3.${name}`, figure: s3[name] })),
  );
  const minimum = num(a.lakeMinTransitionObjectKiB.value);
  const sizing =
    objects.averageKiB === undefined
      ? 'no object landed a day (ingestion.enabled is false): priced by the lifecycle rules'
      : `objects of ${num(objects.averageKiB)} KiB on average (${num(config.cost.dailyLakeGiB)} GiB a day over ` +
        `${num(objects.count)} objects a day), ` +
        (gib.transitioned
          ? `at least ${minimum} KiB: the lifecycle rules move them`
          : `under ${minimum} KiB: the lifecycle moves none of them (the bucket's TransitionDefaultMinimumObjectSize is all_storage_classes_128K), so the whole lake is Standard`);
  return { ...priced, formula: `${sizing}; ${priced.formula}` };
}

/**
 * AWS Backup: recovery points of the lake bucket (continuous, daily, monthly) and of a created
 * dataengineering-db, their copies in another region, and the restore tests' instance hours.
 *
 * Recovery points after the first are incremental. A point of the lake holds the objects not yet in
 * Deep Archive, so the points kept hold every object written in the last deepArchiveAfterDays +
 * the longest retention. A database snapshot chain holds one full copy (allocatedStorageGiB) and each
 * day's change over the longest retention.
 */
export function backupCost({ config, prices, assumptions: a }: CostContext): ComponentCost {
  const backup = config.backup;
  const daily = config.cost.dailyLakeGiB;
  const age = config.cost.lakeAgeDays;
  const warmDays = config.lake.deepArchiveAfterDays;
  const longest = Math.max(
    backup.dailyRetentionDays,
    backup.monthlyRetentionDays,
    backup.s3ContinuousBackup ? backup.continuousRetentionDays : 0,
  );
  const copy = backup.crossRegionCopy;
  const parts = [
    part(daily * Math.min(age, warmDays + longest), 'GB of lake recovery points', prices.backup.s3GbMonth),
  ];
  if (copy !== undefined) {
    parts.push(
      part(
        daily * Math.min(age, warmDays + copy.retentionDays),
        `GB of lake copies in ${copy.region}`,
        prices.backup.s3GbMonth,
      ),
    );
  }
  const used: PriceUse[] = [{ name: 'backup.s3GbMonth', figure: prices.backup.s3GbMonth }];
  const assumed: (AssumptionName | CostInputName)[] = ['cost.dailyLakeGiB', 'cost.lakeAgeDays'];
  const database = config.replication.database;
  if (config.replication.enabled && database.mode === 'create') {
    assumed.push('databaseDailyChangeShare');
    const change = daily * a.databaseDailyChangeShare.value;
    const dbLongest = Math.max(backup.dailyRetentionDays, backup.monthlyRetentionDays);
    parts.push(
      part(
        database.allocatedStorageGiB + change * Math.min(age, dbLongest),
        'GB of database snapshots',
        prices.rds.snapshotGbMonth,
      ),
    );
    if (copy !== undefined) {
      parts.push(
        part(
          database.allocatedStorageGiB + change * Math.min(age, copy.retentionDays),
          `GB of database snapshot copies in ${copy.region}`,
          prices.rds.snapshotGbMonth,
        ),
      );
    }
    used.push({ name: 'rds.snapshotGbMonth', figure: prices.rds.snapshotGbMonth });
    if (backup.restoreTesting.enabled) {
      const daysPerMonth = a.hoursPerMonth.value / 24;
      const testsPerMonth = { daily: daysPerMonth, weekly: daysPerMonth / 7, monthly: 1 }[
        backup.restoreTesting.frequency
      ];
      const instanceHour = classPrice(
        prices.rds.postgresInstanceHour,
        database.instanceClass,
        'RDS for PostgreSQL instance class',
        prices.region,
      );
      parts.push(part(testsPerMonth * a.restoreTestHours.value, 'restore-test instance-hours', instanceHour));
      assumed.push('restoreTestHours', 'hoursPerMonth');
      used.push({ name: `rds.postgresInstanceHour.${database.instanceClass}`, figure: instanceHour });
    }
  }
  return component('backup', 'AWS Backup', parts, assumed, used);
}

/** CloudTrail: the lake's data events, when the environment creates its trail (management events are free). */
export function cloudTrailCost({ config, prices, assumptions: a }: CostContext): ComponentCost {
  const trail = config.audit.trail;
  const events = lakeDataEventsPerMonth(config, a);
  const why =
    trail.mode === 'create'
      ? "lakeDataEvents 'none'"
      : `trail mode '${trail.mode}': the environment creates no trail`;
  return component(
    'cloudTrail',
    'CloudTrail data events',
    events === 0
      ? []
      : [
          part(
            events,
            `lake data events (${trail.mode === 'create' ? trail.lakeDataEvents : ''})`,
            prices.cloudTrail.dataEvents,
          ),
        ],
    trail.mode === 'create' && trail.lakeDataEvents === 'writes'
      ? ['hoursPerMonth', 'lakeWritesPerTableRun']
      : ['hoursPerMonth', 'lakeWritesPerTableRun', 'lakeReadsPerTableRun', 'probeWatermarkReadsPerTable'],
    [{ name: 'cloudTrail.dataEvents', figure: prices.cloudTrail.dataEvents }],
    why,
  );
}

/**
 * Network: interface endpoints (per endpoint and AZ) and NAT gateways, whichever the network has; a
 * NAT gateway's Elastic IP is a public IPv4 address, billed by the hour.
 */
export function networkCost({ config, prices, assumptions: a }: CostContext): ComponentCost {
  const inventory = inventoryOf(config);
  const hours = a.hoursPerMonth.value;
  const net = prices.network;
  const parts = [];
  const used: PriceUse[] = [];
  const assumed: AssumptionName[] = ['hoursPerMonth'];
  if (inventory.interfaceEndpointAzs > 0) {
    assumed.push('interfaceEndpointGiBPerMonth');
    parts.push(
      part(
        inventory.interfaceEndpointAzs * hours,
        `endpoint-AZ-hours (${inventory.interfaceEndpointAzs / inventory.availabilityZones} endpoints x ${inventory.availabilityZones} AZs)`,
        net.interfaceEndpointHour,
      ),
      part(a.interfaceEndpointGiBPerMonth.value, 'GB through the endpoints', net.interfaceEndpointGb),
    );
    used.push(
      { name: 'network.interfaceEndpointHour', figure: net.interfaceEndpointHour },
      { name: 'network.interfaceEndpointGb', figure: net.interfaceEndpointGb },
    );
  }
  if (inventory.natGateways > 0) {
    assumed.push('natGatewayGiBPerMonth');
    parts.push(
      part(inventory.natGateways * hours, 'NAT gateway-hours', net.natGatewayHour),
      part(a.natGatewayGiBPerMonth.value, 'GB through NAT', net.natGatewayGb),
      part(
        inventory.publicIpv4Addresses * hours,
        `public IPv4 address-hours (${inventory.publicIpv4Addresses} Elastic IP(s), one a NAT gateway)`,
        net.publicIpv4AddressHour,
      ),
    );
    used.push(
      { name: 'network.natGatewayHour', figure: net.natGatewayHour },
      { name: 'network.natGatewayGb', figure: net.natGatewayGb },
      { name: 'network.publicIpv4AddressHour', figure: net.publicIpv4AddressHour },
    );
  }
  return component(
    'network',
    'VPC endpoints and NAT',
    parts,
    assumed,
    used,
    'an imported VPC whose endpoints exist already, and no NAT gateway',
  );
}

/** KMS: the keys the environment creates and the requests the runs and the probe make. */
export function kmsCost({ config, prices, assumptions: a }: CostContext): ComponentCost {
  const keys = inventoryOf(config).kmsKeys;
  const requests =
    ingestionRunsPerMonth(config, a) * tableCount(config) * a.kmsRequestsPerTableRun.value +
    probeInvocationsPerMonth(a) * a.kmsRequestsPerProbeInvocation.value;
  return component(
    'kms',
    'KMS keys and requests',
    [part(keys, 'keys', prices.kms.keyMonth), part(requests, 'requests', prices.kms.requests)],
    ['hoursPerMonth', 'kmsRequestsPerTableRun', 'kmsRequestsPerProbeInvocation'],
    [
      { name: 'kms.keyMonth', figure: prices.kms.keyMonth },
      { name: 'kms.requests', figure: prices.kms.requests },
    ],
  );
}

/** CloudWatch: alarms (one metric each), the probe's custom metrics and the dashboard. */
export function cloudWatchCost({ config, prices }: CostContext): ComponentCost {
  const inventory = inventoryOf(config);
  const cw = prices.cloudWatch;
  return component(
    'cloudWatch',
    'CloudWatch alarms, metrics, dashboard',
    [
      part(inventory.alarms, 'alarms', cw.alarmMetricMonth),
      part(inventory.customMetrics, 'custom metrics', cw.customMetricMonth),
      part(inventory.dashboards, 'dashboard', cw.dashboardMonth),
    ],
    [],
    [
      { name: 'cloudWatch.alarmMetricMonth', figure: cw.alarmMetricMonth },
      { name: 'cloudWatch.customMetricMonth', figure: cw.customMetricMonth },
      { name: 'cloudWatch.dashboardMonth', figure: cw.dashboardMonth },
    ],
  );
}

/** CloudWatch Logs: what the jobs, the workflow, the probe, the flow logs and the trail write, and its storage. */
export function cloudWatchLogsCost({ config, prices, assumptions: a }: CostContext): ComponentCost {
  const runs = ingestionRunsPerMonth(config, a);
  const tables = tableCount(config);
  const trail = config.audit.trail;
  const trailEvents =
    trail.mode === 'create' && trail.cloudWatchLogs
      ? runs * tables * a.managementEventsPerTableRun.value + lakeDataEventsPerMonth(config, a)
      : 0;
  const ingested =
    (runs * tables * a.glueLogMiBPerTableRun.value) / MIB_PER_GIB +
    (runs * transitionsPerRun(config, a) * a.workflowLogKiBPerTransition.value) / KIB_PER_GIB +
    (probeInvocationsPerMonth(a) * tables * a.probeLogKiBPerTable.value) / KIB_PER_GIB +
    (config.network.mode === 'create'
      ? availabilityZoneCount(config.network) * a.flowLogGiBPerAzMonth.value
      : 0) +
    (trailEvents * a.trailEventKiB.value) / KIB_PER_GIB;
  const keptMonths =
    Math.min(config.logRetentionDays, config.cost.lakeAgeDays) / (a.hoursPerMonth.value / 24);
  const stored = ingested * keptMonths * a.logsStoredShare.value;
  return component(
    'cloudWatchLogs',
    'CloudWatch Logs',
    [
      part(ingested, 'GB ingested', prices.cloudWatch.logsIngestedGb),
      part(stored, 'GB stored', prices.cloudWatch.logsStoredGbMonth),
    ],
    [
      'hoursPerMonth',
      'glueLogMiBPerTableRun',
      'workflowLogKiBPerTransition',
      'probeLogKiBPerTable',
      'flowLogGiBPerAzMonth',
      'managementEventsPerTableRun',
      'trailEventKiB',
      'logsStoredShare',
    ],
    [
      { name: 'cloudWatch.logsIngestedGb', figure: prices.cloudWatch.logsIngestedGb },
      { name: 'cloudWatch.logsStoredGbMonth', figure: prices.cloudWatch.logsStoredGbMonth },
    ],
  );
}

/** Every component, in the order the estimate lists them. */
export const COMPONENTS: readonly ((context: CostContext) => ComponentCost)[] = [
  glueCost,
  stepFunctionsCost,
  lambdaCost,
  schedulerCost,
  dmsCost,
  rdsCost,
  s3Cost,
  backupCost,
  cloudTrailCost,
  networkCost,
  kmsCost,
  cloudWatchCost,
  cloudWatchLogsCost,
];
