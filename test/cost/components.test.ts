/**
 * The arithmetic of each component, against figures worked out by hand from the fixture configs
 * and the round prices of support/prices.ts. In the dev-like fixture a month is 730 hours, so the
 * 15-minute schedule runs 2920 times over 4 tables (3 of them replicated, 1 source), and the
 * probe runs 730 x 12 + 730 = 9490 times.
 */
import {
  backupCost,
  cloudTrailCost,
  cloudWatchCost,
  cloudWatchLogsCost,
  dmsCost,
  glueCost,
  kmsCost,
  lakeStorageGiB,
  lambdaCost,
  networkCost,
  rdsCost,
  s3Cost,
  schedulerCost,
  stepFunctionsCost,
} from '../../lib/cost/components';
import { inventoryOf } from '../../lib/cost/inventory';
import { CostEstimateError } from '../../lib/cost/prices';
import { devLike, importedVpc, prodLike, twoSources } from '../fixtures/configs';
import { contextOf } from './support/prices';

const RUNS = 2920;
const TABLES = 4;
const PROBE_RUNS = 9490;

describe('Glue job runs', () => {
  test('runs x tables x billed minutes x workers x DPU-hour price', () => {
    // 2920 runs x 4 tables x 2 min / 60 x 2 DPU = 778.67 DPU-hours at 0.5 USD
    expect(glueCost(contextOf(devLike)).monthlyUsd).toBeCloseTo(((RUNS * TABLES * 2) / 60) * 2 * 0.5, 6);
    expect(glueCost(contextOf(devLike)).monthlyUsd).toBeCloseTo(389.33, 2);
  });

  test('a run shorter than the minimum is billed the minimum (1 minute)', () => {
    const halfMinute = glueCost(
      contextOf(devLike, (c) => (c.ingestion = { ...c.ingestion, expectedTableMinutes: 0.5 })),
    );
    const oneMinute = glueCost(
      contextOf(devLike, (c) => (c.ingestion = { ...c.ingestion, expectedTableMinutes: 1 })),
    );
    // 2920 x 4 x 1 min / 60 x 2 DPU x 0.5 USD, not half of it
    expect(halfMinute.monthlyUsd).toBeCloseTo(((RUNS * TABLES * 1) / 60) * 2 * 0.5, 6);
    expect(halfMinute.monthlyUsd).toBeCloseTo(194.67, 2);
    expect(halfMinute.monthlyUsd).toBe(oneMinute.monthlyUsd);
    expect(halfMinute.formula).toContain('1 min billed (expectedTableMinutes 0.5, at least 1)');
  });

  test('more workers, a longer interval, a paused ingestion', () => {
    const fourWorkers = contextOf(devLike, (c) => (c.cost = { glueWorkersPerRun: 4 }));
    expect(glueCost(fourWorkers).monthlyUsd).toBeCloseTo(((RUNS * TABLES * 2) / 60) * 4 * 0.5, 6);
    const halfHourly = contextOf(
      devLike,
      (c) => (c.ingestion = { ...c.ingestion, scheduleIntervalMinutes: 30 }),
    );
    expect(glueCost(halfHourly).monthlyUsd).toBeCloseTo(((1460 * TABLES * 2) / 60) * 2 * 0.5, 6);
    const paused = glueCost(contextOf(devLike, (c) => (c.ingestion = { ...c.ingestion, enabled: false })));
    expect(paused).toMatchObject({ monthlyUsd: 0, formula: 'ingestion.enabled is false: no scheduled runs' });
    expect(paused.prices).toEqual([]);
  });
});

describe('Step Functions, Lambda and Scheduler', () => {
  test('transitions: 4 per run, 1 per source and 2 per table', () => {
    // 2920 x (4 + 1 + 2 x 4) = 37960 transitions at 0.02 USD per 1000
    expect(stepFunctionsCost(contextOf(devLike)).monthlyUsd).toBeCloseTo(37_960 * 0.00002, 9);
    // two sources, six tables: 2920 x (4 + 2 + 12) = 52560
    expect(stepFunctionsCost(contextOf(twoSources)).monthlyUsd).toBeCloseTo(52_560 * 0.00002, 9);
  });

  test("Lambda: the probe's invocations and GB-seconds at 256 MiB", () => {
    // 9490 x 0.2 USD per million + 9490 x 5 s x 0.25 GB x 0.00001 USD
    expect(lambdaCost(contextOf(devLike)).monthlyUsd).toBeCloseTo(
      PROBE_RUNS * 0.0000002 + 11_862.5 * 0.00001,
      9,
    );
  });

  test('Scheduler: the ingestion schedule and the probe schedules', () => {
    expect(schedulerCost(contextOf(devLike)).monthlyUsd).toBeCloseTo((RUNS + PROBE_RUNS) * 0.000001, 9);
  });
});

describe('DMS', () => {
  test('serverless: minimum capacity around the clock, per replicated source', () => {
    // 1 replication x 1 DCU x 730 h x 0.2 USD
    expect(dmsCost(contextOf(devLike)).monthlyUsd).toBeCloseTo(146, 6);
  });

  test('a Multi-AZ standby doubles the capacity hours', () => {
    // 1 replication x 2 DCU x 730 h x 2 x 0.2 USD
    expect(dmsCost(contextOf(prodLike)).monthlyUsd).toBeCloseTo(584, 6);
  });

  /** Replication through a provisioned instance: prod-like when Multi-AZ (production requires it), else dev-like. */
  const instance = (instanceClass: string, allocatedStorageGiB: number, multiAz: boolean) =>
    contextOf(multiAz ? prodLike : devLike, (c) => {
      c.replication!.dms = { mode: 'instance', instanceClass, allocatedStorageGiB, multiAz };
    });

  test('instance: class hours, both doubled for Multi-AZ; the 100 GB an r-class instance includes are free', () => {
    // 730 h x 2 x 0.3 USD; 100 GiB allocated - 100 included = nothing billed
    const dms = dmsCost(instance('dms.r6i.large', 100, true));
    expect(dms.monthlyUsd).toBeCloseTo(438, 6);
    expect(dms.formula).toContain(
      '2 instance(s) x (100 GB allocated - 100 GB included in class family r, at least 0) = 0 GB-months',
    );
    expect(dms.prices.map((use) => use.name)).toEqual([
      'dms.instanceHour.dms.r6i.large',
      'dms.includedStorageGb.r',
    ]);
  });

  test('instance storage above what the class includes is billed, for each instance', () => {
    // 438 + (250 - 100) GiB x 2 instances x 0.1 USD
    expect(dmsCost(instance('dms.r6i.large', 250, true)).monthlyUsd).toBeCloseTo(438 + 30, 6);
    // t-class includes 50 GB: 730 h x 0.1 USD + (60 - 50) GiB x 0.1 USD
    expect(dmsCost(instance('dms.t3.medium', 60, false)).monthlyUsd).toBeCloseTo(73 + 1, 6);
    // less than included is not a credit
    expect(dmsCost(instance('dms.t3.medium', 40, false)).monthlyUsd).toBeCloseTo(73, 6);
  });

  test('a class of a family with no included-storage figure fails with the class and the families there are', () => {
    const context = instance('dms.m5.large', 100, false);
    const book = {
      ...context.prices,
      dms: {
        ...context.prices.dms,
        instanceHour: { 'dms.m5.large': context.prices.dms.instanceHour['dms.r6i.large'] },
      },
    };
    expect(() => dmsCost({ ...context, prices: book })).toThrow(
      new CostEstimateError(
        'no included storage for DMS replication instance class dms.m5.large (family "m") in region eu-west-1 (lib/cost/prices.ts): expected a class of family t, c, r (add its family\'s figure)',
      ),
    );
  });

  test('none when the replication is off or replicates no table', () => {
    expect(dmsCost(contextOf(devLike, (c) => (c.replication = { enabled: false }))).monthlyUsd).toBe(0);
    const noReplicatedTable = contextOf(devLike, (c) => {
      for (const table of c.sources[0].tables) table.replicate = false;
    });
    expect(dmsCost(noReplicatedTable)).toMatchObject({
      monthlyUsd: 0,
      formula: 'no source has a table with replicate: true',
    });
  });

  test('an instance class without a price fails with the class and the classes priced', () => {
    const context = contextOf(devLike, (c) => {
      c.replication!.dms = { mode: 'instance', instanceClass: 'dms.c5.xlarge' };
    });
    expect(() => dmsCost(context)).toThrow(CostEstimateError);
    expect(() => dmsCost(context)).toThrow(
      'no price for DMS replication instance class dms.c5.xlarge in region eu-west-1 (lib/cost/prices.ts): expected one of dms.r6i.large, dms.t3.medium (add its price)',
    );
  });
});

describe('RDS dataengineering-db', () => {
  test('Single-AZ: instance hours and allocated gp3', () => {
    // 730 h x 0.1 USD + 20 GiB x 0.1 USD
    expect(rdsCost(contextOf(devLike)).monthlyUsd).toBeCloseTo(73 + 2, 6);
  });

  test('Multi-AZ doubles both', () => {
    // 730 h x 2 x 0.25 USD + 100 GiB x 2 x 0.1 USD
    expect(rdsCost(contextOf(prodLike)).monthlyUsd).toBeCloseTo(365 + 20, 6);
  });

  test('an existing database costs this environment nothing', () => {
    const existing = contextOf(devLike, (c) => {
      c.replication!.database = {
        mode: 'existing',
        host: 'dataengineering-db.example.eu-west-1.rds.amazonaws.com',
        databaseName: 'dataengineering',
        credentialsSecretArn:
          'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dataengineering/dms-AbCdEf',
        securityGroupId: 'sg-0aaaabbbbcccc1111',
      };
      c.backup = { restoreTesting: { enabled: false } };
    });
    expect(rdsCost(existing)).toMatchObject({
      monthlyUsd: 0,
      formula: 'an existing database: billed to its owner',
    });
  });
});

describe('S3 lake', () => {
  test('storage by class over the lifecycle: 1 GiB a day, two years old', () => {
    // 96 runs a day x 4 tables = 384 objects a day of 1 GiB / 384 = 2730.67 KiB, above 128 KiB.
    // Standard for 30 days; Intelligent-Tiering for the next 335 (30 frequent, 60 infrequent, 245
    // archive instant); Deep Archive after 365 days.
    expect(lakeStorageGiB(contextOf(devLike).config, contextOf(devLike).assumptions)).toEqual({
      standard: 30,
      frequent: 30,
      infrequent: 60,
      archiveInstant: 245,
      deepArchive: 365,
      intelligentTieringDays: 335,
      transitioned: true,
    });
  });

  test('storage, monitoring, transitions and requests at their prices', () => {
    const storage = 30 * 0.02 + 30 * 0.02 + 60 * 0.01 + 245 * 0.004 + 365 * 0.001;
    // 96 runs a day x 4 tables = 384 objects a day of 2.7 MiB: 384 x 335 monitored, 11680 new a month
    const monitoring = ((384 * 335) / 1000) * 0.0025;
    const transitions = (11_680 / 1000) * (0.01 + 0.05);
    const puts = ((RUNS * TABLES * 3) / 1000) * 0.005;
    const gets = ((RUNS * TABLES * 4 + PROBE_RUNS * TABLES) / 1000) * 0.0004;
    expect(s3Cost(contextOf(devLike)).monthlyUsd).toBeCloseTo(
      storage + monitoring + transitions + puts + gets,
      6,
    );
  });

  test('a young lake is all Standard and has no transition yet', () => {
    const young = contextOf(devLike, (c) => (c.cost = { dailyLakeGiB: 2, lakeAgeDays: 20 }));
    expect(lakeStorageGiB(young.config, young.assumptions)).toMatchObject({
      standard: 40,
      frequent: 0,
      deepArchive: 0,
    });
    expect(s3Cost(young).formula).not.toContain('transitions');
  });

  test('objects just under 128 KiB: the lifecycle moves none, the whole lake is Standard', () => {
    // 0.04 GiB a day over 384 objects = 109.23 KiB each. 730 days x 0.04 GiB = 29.2 GiB x 0.02 USD
    // = 0.584; no monitoring, no transition; PUTs 35040 x 0.005 / 1000 = 0.1752; GETs
    // (2920 x 4 x 4 + 9490 x 4) = 84680 x 0.0004 / 1000 = 0.033872.
    const small = contextOf(devLike, (c) => (c.cost = { dailyLakeGiB: 0.04 }));
    const s3 = s3Cost(small);
    expect(s3.monthlyUsd).toBeCloseTo(0.584 + 0.1752 + 0.033872, 9);
    expect(s3.formula).toMatch(
      /^objects of 109\.227 KiB on average \(0\.04 GiB a day over 384 objects a day\), under 128 KiB: /,
    );
    expect(s3.formula).toContain('29.2 GB Standard x 0.02 USD/unit');
    expect(s3.formula).not.toContain('Intelligent-Tiering');
    expect(s3.formula).not.toContain('transitions');
    expect(s3.formula).not.toContain('objects monitored');
  });

  test('objects just over 128 KiB follow the lifecycle rules', () => {
    // 0.05 GiB a day over 384 objects = 136.53 KiB each.
    // Storage: 1.5 GiB Standard x 0.02 + 1.5 frequent x 0.02 + 3 infrequent x 0.01 + 12.25 archive
    // instant x 0.004 + 18.25 Deep Archive x 0.001 = 0.15725; monitoring 128640 x 0.0025 / 1000 =
    // 0.3216; transitions 11680 x (0.01 + 0.05) / 1000 = 0.7008; PUTs 0.1752; GETs 0.033872.
    const large = contextOf(devLike, (c) => (c.cost = { dailyLakeGiB: 0.05 }));
    expect(s3Cost(large).monthlyUsd).toBeCloseTo(0.15725 + 0.3216 + 0.7008 + 0.1752 + 0.033872, 9);
    expect(s3Cost(large).formula).toMatch(/^objects of 136\.533 KiB on average .*, at least 128 KiB: /);
  });

  test('objects under 128 KiB that reach Intelligent-Tiering stay in its frequent tier', () => {
    // As if the lifecycle moved objects of 64 KiB or more: the 109 KiB objects reach
    // Intelligent-Tiering after 30 days and stay frequent for all of their 335 days there.
    const small = contextOf(devLike, (c) => (c.cost = { dailyLakeGiB: 0.04 }));
    const assumptions = {
      ...small.assumptions,
      lakeMinTransitionObjectKiB: { ...small.assumptions.lakeMinTransitionObjectKiB, value: 64 },
    };
    const gib = lakeStorageGiB(small.config, assumptions);
    expect(gib.standard).toBeCloseTo(1.2, 9);
    expect(gib.frequent).toBeCloseTo(13.4, 9);
    expect(gib.infrequent).toBe(0);
    expect(gib.archiveInstant).toBe(0);
    expect(gib.deepArchive).toBeCloseTo(14.6, 9);
    expect(s3Cost({ ...small, assumptions }).formula).not.toContain('objects monitored');
  });

  test("the probe's watermark reads are a named assumption of the GETs and the data events", () => {
    const twice = contextOf(devLike);
    const assumptions = {
      ...twice.assumptions,
      probeWatermarkReadsPerTable: { ...twice.assumptions.probeWatermarkReadsPerTable, value: 2 },
    };
    // GETs: 2920 x 4 x 4 + 9490 x 4 x 2 = 46720 + 75920 = 122640
    expect(s3Cost({ ...twice, assumptions }).formula).toContain('122640 GETs');
    // data events: 35040 writes + 46720 reads + 75920 watermark reads = 157680
    expect(cloudTrailCost({ ...twice, assumptions }).monthlyUsd).toBeCloseTo(0.15768, 9);
    expect(s3Cost(twice).assumptions).toContain('probeWatermarkReadsPerTable');
    expect(cloudTrailCost(twice).assumptions).toContain('probeWatermarkReadsPerTable');
  });
});

describe('AWS Backup', () => {
  test('lake points, database snapshots and weekly restore tests', () => {
    // lake: 1 GiB x (365 days warm + 365 days of monthly points) = 730 GiB x 0.05 USD
    // database: 20 GiB + 1 GiB x 365 days = 385 GiB x 0.1 USD
    // restore tests: 730 / 24 / 7 a month x 1 h x 0.1 USD
    expect(backupCost(contextOf(devLike)).monthlyUsd).toBeCloseTo(
      730 * 0.05 + 385 * 0.1 + (730 / 24 / 7) * 0.1,
      6,
    );
  });

  test('copies to another region add their retention', () => {
    const copied = contextOf(devLike, (c) => {
      c.backup = { crossRegionCopy: { region: 'eu-central-1', retentionDays: 30 } };
    });
    const base = backupCost(contextOf(devLike)).monthlyUsd;
    // lake copies: 1 GiB x (365 + 30) x 0.05; database copies: (20 + 30) GiB x 0.1
    expect(backupCost(copied).monthlyUsd - base).toBeCloseTo(395 * 0.05 + 50 * 0.1, 6);
  });

  test('only the lake when the replication is off', () => {
    const lakeOnly = contextOf(devLike, (c) => {
      c.replication = { enabled: false };
      c.backup = { restoreTesting: { enabled: false } };
    });
    expect(backupCost(lakeOnly).monthlyUsd).toBeCloseTo(730 * 0.05, 6);
    expect(backupCost(lakeOnly).assumptions).toEqual(['cost.dailyLakeGiB', 'cost.lakeAgeDays']);
  });
});

describe('CloudTrail data events', () => {
  test("reads and writes: the runs' writes and reads and the probe's watermark reads", () => {
    const events = RUNS * TABLES * 3 + RUNS * TABLES * 4 + PROBE_RUNS * TABLES; // 119720
    expect(cloudTrailCost(contextOf(devLike)).monthlyUsd).toBeCloseTo((events / 100_000) * 0.1, 9);
  });

  test('writes only', () => {
    const writes = contextOf(
      devLike,
      (c) => (c.audit = { trail: { mode: 'create', lakeDataEvents: 'writes' } }),
    );
    expect(cloudTrailCost(writes).monthlyUsd).toBeCloseTo(((RUNS * TABLES * 3) / 100_000) * 0.1, 9);
  });

  test('nothing when the environment creates no trail', () => {
    const organization = contextOf(devLike, (c) => (c.audit = { trail: { mode: 'organization' } }));
    expect(cloudTrailCost(organization)).toMatchObject({
      monthlyUsd: 0,
      formula: "trail mode 'organization': the environment creates no trail",
    });
  });
});

describe('network', () => {
  test('8 interface endpoints in each of 2 AZs, around the clock, and their traffic', () => {
    // 16 endpoint-AZs x 730 h x 0.01 USD + 5 GiB x 0.01 USD
    expect(networkCost(contextOf(devLike)).monthlyUsd).toBeCloseTo(116.8 + 0.05, 6);
    // 3 AZs
    expect(networkCost(contextOf(prodLike)).monthlyUsd).toBeCloseTo(175.2 + 0.05, 6);
  });

  test("NAT gateways add their hours, their traffic and their Elastic IPs' public IPv4 hours", () => {
    const nat = (natGateways: number) =>
      contextOf(devLike, (c) => {
        if (c.network.mode === 'create') c.network.natGateways = natGateways;
      });
    // + 730 h x 0.05 USD + 5 GiB x 0.05 USD + 730 h x 1 address x 0.005 USD
    expect(networkCost(nat(1)).monthlyUsd).toBeCloseTo(116.85 + 36.5 + 0.25 + 3.65, 6);
    // + 2 x 730 h x 0.05 USD + 5 GiB x 0.05 USD + 2 x 730 h x 0.005 USD
    expect(networkCost(nat(2)).monthlyUsd).toBeCloseTo(116.85 + 73 + 0.25 + 7.3, 6);
    expect(networkCost(nat(2)).formula).toContain(
      '1460 public IPv4 address-hours (2 Elastic IP(s), one a NAT gateway) x 0.005 USD/unit',
    );
    expect(networkCost(contextOf(devLike)).formula).not.toContain('IPv4');
  });

  test('an imported VPC whose endpoints exist costs nothing here', () => {
    const imported = contextOf(devLike, (c) => {
      c.network = { ...importedVpc(), createEndpoints: false };
    });
    expect(networkCost(imported).monthlyUsd).toBe(0);
  });
});

describe('KMS and CloudWatch', () => {
  test('KMS: 14 keys and the requests of the runs and the probe', () => {
    // 14 x 1 USD + (2920 x 4 x 10 + 9490 x 5) requests x 0.03 USD per 10000
    expect(kmsCost(contextOf(devLike)).monthlyUsd).toBeCloseTo(14 + ((116_800 + 47_450) / 10_000) * 0.03, 9);
  });

  test('CloudWatch: 37 alarms, 16 probe metrics, 1 dashboard', () => {
    // metrics: the lag of 4 tables + the lake summary 5 + the lag of 3 replicated tables + the replica summary 4
    expect(inventoryOf(contextOf(devLike).config)).toMatchObject({
      alarms: 37,
      customMetrics: 16,
      dashboards: 1,
    });
    expect(cloudWatchCost(contextOf(devLike)).monthlyUsd).toBeCloseTo(37 * 0.1 + 16 * 0.3 + 3, 9);
  });

  test('CloudWatch Logs: what is written, and what is kept for logRetentionDays', () => {
    const KiB = 1 / 1024 / 1024; // GiB
    const ingested =
      (RUNS * TABLES * 0.5) / 1024 + // job logs
      RUNS * 13 * 2 * KiB + // workflow events
      PROBE_RUNS * TABLES * 1 * KiB + // probe
      2 * 1 + // flow logs of 2 AZs
      (RUNS * TABLES * 10 + 119_720) * 1.5 * KiB; // trail events
    const stored = ingested * (14 / (730 / 24)) * 0.2;
    expect(cloudWatchLogsCost(contextOf(devLike)).monthlyUsd).toBeCloseTo(ingested * 0.5 + stored * 0.03, 9);
  });
});
