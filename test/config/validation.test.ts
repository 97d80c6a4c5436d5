import {
  ConfigError,
  ENVIRONMENTS,
  loadConfig,
  validateConfig,
  type EnvironmentConfigInput,
} from '../../lib/config';
import { devLike, importedVpc, prodLike, twoSources } from '../fixtures/configs';

type NetworkInput = EnvironmentConfigInput['network'];

/** Problems listed for a copy of a valid fixture (dev-like unless given) after one change; fails when it still validates. */
function problemsAfter(
  mutate: (config: EnvironmentConfigInput) => void,
  base: EnvironmentConfigInput = devLike,
): readonly string[] {
  return configErrorAfter(mutate, base).problems;
}

function configErrorAfter(
  mutate: (config: EnvironmentConfigInput) => void,
  base: EnvironmentConfigInput = devLike,
): ConfigError {
  const config = structuredClone(base);
  mutate(config);
  try {
    validateConfig(config, config.name);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the changed config to be invalid, but it validated');
}

/** The first table of the fixture's first source (public.sessions, incremental). */
const firstTable = (config: EnvironmentConfigInput) => config.sources[0].tables[0];
/** The fourth table of the fixture's first source (public.facilities, snapshot). */
const snapshotTable = (config: EnvironmentConfigInput) => config.sources[0].tables[3];

/** The network of a config, narrowed to the mode the test expects. */
function network<M extends NetworkInput['mode']>(
  config: EnvironmentConfigInput,
  mode: M,
): Extract<NetworkInput, { mode: M }> {
  if (config.network.mode !== mode) throw new Error(`expected a network in ${mode} mode`);
  return config.network as Extract<NetworkInput, { mode: M }>;
}

/** The dev-like fixture in a valid imported VPC of its region: the base of the import-mode cases. */
const devInImportedVpc: EnvironmentConfigInput = { ...devLike, network: importedVpc() };

describe('the shipped environments (invariants only: their settings are theirs to change)', () => {
  test.each(Object.keys(ENVIRONMENTS))(
    '%s validates, and its name is the key it is registered under',
    (name) => {
      expect(loadConfig(name).name).toBe(name);
    },
  );

  it('declares exactly one of them as production, and it is retained', () => {
    const production = Object.keys(ENVIRONMENTS).filter((name) => loadConfig(name).production);
    expect(production).toHaveLength(1);
    expect(loadConfig(production[0]).removalPolicy).toBe('retain');
  });

  it('does not change the input it validates', () => {
    const before = structuredClone(devLike);
    validateConfig(devLike, 'dev');
    expect(devLike).toEqual(before);
  });

  it('names the known environments for an unknown one', () => {
    expect(() => loadConfig('staging', { dev: devLike, prod: prodLike })).toThrow(
      new Error('Unknown environment "staging": expected one of dev, prod'),
    );
  });

  it('treats names of built-in object properties as unknown environments', () => {
    expect(() => loadConfig('toString', { dev: devLike })).toThrow(
      new Error('Unknown environment "toString": expected one of dev'),
    );
  });
});

describe('defaults', () => {
  it('fills in the defaults of a dev-like config', () => {
    const config = validateConfig(devLike, 'dev');
    expect(config.network).toEqual({
      mode: 'create',
      cidr: '10.40.0.0/20',
      maxAzs: 2,
      natGateways: 0,
      sourceVpcPeering: {
        vpcId: 'vpc-0a1b2c3d4e5f60001',
        cidr: '10.20.0.0/16',
        routeTableIds: ['rtb-0a1b2c3d4e5f60001'],
      },
    });
    expect(config.lake).toEqual({
      intelligentTieringAfterDays: 30,
      deepArchiveAfterDays: 365,
      noncurrentVersionExpirationDays: 7,
      abortIncompleteMultipartUploadDays: 7,
      manageCatalogEncryption: false,
      accessLogExpirationDays: 30,
      athena: { bytesScannedCutoffPerQuery: 10 * 1024 ** 3, resultsExpirationDays: 7 },
    });
    expect(config.ingestion.maxWorkers).toBe(4);
    expect(config.ingestion.scheduleIntervalMinutes).toBe(15);
    expect(config.slo).toEqual({ lakeFreshnessMinutes: 60, replicationFreshnessMinutes: 30 });
    expect(config.features).toEqual({ warehouse: false, streaming: false });
    expect(config.sources[0].credentialsCrossAccount).toBe(false);
    expect(config.sources[0].maxConnections).toBe(50);
    expect(config.sources[0].tableGroups).toBe(8);
  });

  it('fills in the defaults of a prod-like config', () => {
    const config = validateConfig(prodLike, 'prod');
    expect(config.lake).toEqual({
      bucketName: 'trackman-lake',
      intelligentTieringAfterDays: 30,
      deepArchiveAfterDays: 365,
      noncurrentVersionExpirationDays: 90,
      abortIncompleteMultipartUploadDays: 7,
      manageCatalogEncryption: true,
      accessLogExpirationDays: 365,
      athena: { bytesScannedCutoffPerQuery: 107_374_182_400, resultsExpirationDays: 30 },
    });
    expect(config.ingestion).toEqual({
      enabled: true,
      scheduleIntervalMinutes: 15,
      jobTimeoutMinutes: 5,
      expectedTableMinutes: 2,
      startupAllowanceMinutes: 2,
      maxAttempts: 2,
      retryIntervalSeconds: 60,
      retryBackoffRate: 2,
      retryMaxDelaySeconds: 300,
      maxConcurrency: 40,
      maxWorkers: 10,
    });
  });

  it('accepts an imported VPC and creates its endpoints by default', () => {
    expect(validateConfig(devInImportedVpc, 'dev').network).toMatchObject({
      mode: 'import',
      createEndpoints: true,
    });
  });

  it('accepts two sources, one of them MySQL', () => {
    const config = validateConfig(twoSources, 'dev');
    expect(config.sources.map((source) => [source.name, source.engine, source.tables.length])).toEqual([
      ['trackman-backend', 'postgres', 4],
      ['booking-service', 'mysql', 2],
    ]);
  });
});

describe('an invalid config', () => {
  it('is reported with the environment and one problem a line', () => {
    const error = configErrorAfter((config) => {
      config.account = '12345';
      config.monthlyBudgetUsd = 0;
    });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.name).toBe('ConfigError');
    expect(error.environment).toBe('dev');
    expect(error.message).toBe(
      'Invalid config for environment "dev":\n' +
        '  - account: expected a 12-digit AWS account id; received "12345"\n' +
        '  - monthlyBudgetUsd: expected a budget greater than 0 USD; received 0',
    );
  });

  it('lists every problem, not just the first', () => {
    expect(
      problemsAfter((config) => {
        Object.assign(config, { account: 123456789012 });
        Object.assign(config.sources[0], { engine: 'oracle' });
        firstTable(config).primaryKey = [];
        config.alarmEmails = ['data-platform'];
      }),
    ).toEqual([
      'account: expected a 12-digit AWS account id as a string; received 123456789012',
      "sources[0].engine: expected 'postgres' or 'mysql'; received \"oracle\"",
      'sources[0].tables[0].primaryKey: expected at least one primary key column; received []',
      'alarmEmails[0]: expected an e-mail address; received "data-platform"',
    ]);
  });

  it('lists every cross-field problem once all fields parse', () => {
    expect(
      problemsAfter((config) => {
        config.lake!.deepArchiveAfterDays = 30;
        config.lake!.bucketName = 'trackman-lake-dev';
        config.ingestion = { retryMaxDelaySeconds: 30 };
      }),
    ).toEqual([
      'lake.deepArchiveAfterDays: expected more days than lake.intelligentTieringAfterDays (30): objects reach Intelligent-Tiering before Deep Archive; received 30',
      "removalPolicy: expected 'retain' while lake.bucketName (trackman-lake-dev) adopts a named bucket: 'destroy' would delete it; received \"destroy\"",
      'ingestion.retryMaxDelaySeconds: expected at least ingestion.retryIntervalSeconds (60); received 30',
    ]);
  });

  it('runs no cross-field check while a field has the wrong type', () => {
    // zod skips superRefine after a type error (here an unknown enum value) ...
    expect(
      problemsAfter((config) => {
        config.lake!.deepArchiveAfterDays = 30;
        Object.assign(config.sources[0], { engine: 'oracle' });
      }),
    ).toEqual(["sources[0].engine: expected 'postgres' or 'mysql'; received \"oracle\""]);
  });

  it('still runs the cross-field checks when a field only fails a range check', () => {
    // ... but not after a failed range or format check, whose value still has the right type.
    expect(
      problemsAfter((config) => {
        config.lake!.deepArchiveAfterDays = 30;
        config.monthlyBudgetUsd = -1;
      }),
    ).toEqual([
      'monthlyBudgetUsd: expected a budget greater than 0 USD; received -1',
      'lake.deepArchiveAfterDays: expected more days than lake.intelligentTieringAfterDays (30): objects reach Intelligent-Tiering before Deep Archive; received 30',
    ]);
  });
});

describe('environment fields', () => {
  it('rejects an account id that is not 12 digits', () => {
    expect(problemsAfter((config) => (config.account = '12345'))).toEqual([
      'account: expected a 12-digit AWS account id; received "12345"',
    ]);
  });

  it('rejects an account id written as a number', () => {
    expect(problemsAfter((config) => Object.assign(config, { account: 123456789012 }))).toEqual([
      'account: expected a 12-digit AWS account id as a string; received 123456789012',
    ]);
  });

  it('rejects a log retention CloudWatch does not offer', () => {
    expect(problemsAfter((config) => Object.assign(config, { logRetentionDays: 10 }))).toEqual([
      'logRetentionDays: expected a CloudWatch Logs retention period: one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653; received 10',
    ]);
  });

  it('rejects a bad alarm e-mail address', () => {
    expect(problemsAfter((config) => (config.alarmEmails = ['data-platform@']))).toEqual([
      'alarmEmails[0]: expected an e-mail address; received "data-platform@"',
    ]);
  });

  it('names the expected type once for a value of the wrong type', () => {
    expect(problemsAfter((config) => Object.assign(config, { region: 5 }))).toEqual([
      'region: expected string; received 5',
    ]);
  });

  it('rejects a zero budget', () => {
    expect(problemsAfter((config) => (config.monthlyBudgetUsd = 0))).toEqual([
      'monthlyBudgetUsd: expected a budget greater than 0 USD; received 0',
    ]);
  });

  it('rejects a negative budget', () => {
    expect(problemsAfter((config) => (config.monthlyBudgetUsd = -300))).toEqual([
      'monthlyBudgetUsd: expected a budget greater than 0 USD; received -300',
    ]);
  });

  it('rejects an unknown field, such as a misspelt feature flag', () => {
    expect(problemsAfter((config) => Object.assign(config, { features: { warehose: true } }))).toEqual([
      'features.warehose: expected no such field (misspelt or misplaced?); received true',
    ]);
  });

  it("rejects 'destroy' for a named bucket", () => {
    expect(problemsAfter((config) => (config.lake!.bucketName = 'trackman-lake-dev'))).toEqual([
      "removalPolicy: expected 'retain' while lake.bucketName (trackman-lake-dev) adopts a named bucket: 'destroy' would delete it; received \"destroy\"",
    ]);
  });
});

describe('sources and tables', () => {
  it('rejects a source listed twice', () => {
    expect(problemsAfter((config) => config.sources.push(structuredClone(config.sources[0])))).toEqual([
      'sources[1].name: expected a source name not used by another source; received "trackman-backend"',
    ]);
  });

  it('rejects a table listed twice in a source', () => {
    expect(
      problemsAfter((config) => config.sources[0].tables.push(structuredClone(firstTable(config)))),
    ).toEqual([
      'sources[0].tables[4].name: expected a table not listed twice in source trackman-backend (compared as public_sessions, the name of its lake prefix and Glue job); received "public.sessions"',
    ]);
  });

  it('rejects a table listed twice in different letter case', () => {
    expect(
      problemsAfter((config) =>
        config.sources[0].tables.push({
          ...structuredClone(firstTable(config)),
          schema: 'Public',
          name: 'SESSIONS',
        }),
      ),
    ).toEqual([
      'sources[0].tables[4].name: expected a table not listed twice in source trackman-backend (compared as public_sessions, the name of its lake prefix and Glue job); received "Public.SESSIONS"',
    ]);
  });

  it('rejects two tables whose lake names collide', () => {
    // public.shot_data and public_shot.data both land under public_shot_data/.
    expect(
      problemsAfter((config) =>
        config.sources[0].tables.push(
          { ...structuredClone(firstTable(config)), schema: 'public', name: 'shot_data' },
          { ...structuredClone(firstTable(config)), schema: 'public_shot', name: 'data' },
        ),
      ),
    ).toEqual([
      'sources[0].tables[5].name: expected a table not listed twice in source trackman-backend (compared as public_shot_data, the name of its lake prefix and Glue job); received "public_shot.data"',
    ]);
  });

  it('accepts the same table name in another schema', () => {
    const config = structuredClone(devLike);
    config.sources[0].tables.push({ ...structuredClone(firstTable(config)), schema: 'archive' });
    expect(validateConfig(config, 'dev').sources[0].tables).toHaveLength(5);
  });

  it('rejects an empty primary key', () => {
    expect(problemsAfter((config) => (firstTable(config).primaryKey = []))).toEqual([
      'sources[0].tables[0].primaryKey: expected at least one primary key column; received []',
    ]);
  });

  it('rejects an unknown engine', () => {
    expect(problemsAfter((config) => Object.assign(config.sources[0], { engine: 'oracle' }))).toEqual([
      "sources[0].engine: expected 'postgres' or 'mysql'; received \"oracle\"",
    ]);
  });

  it('rejects a secret name where the secret ARN belongs', () => {
    expect(
      problemsAfter((config) => (config.sources[0].credentialsSecretArn = 'trackman-backend/lake-reader')),
    ).toEqual([
      'sources[0].credentialsSecretArn: expected the full ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>); received "trackman-backend/lake-reader"',
    ]);
  });

  it('rejects a secret ARN without the 6-character suffix', () => {
    expect(
      problemsAfter(
        (config) =>
          (config.sources[0].credentialsSecretArn =
            'arn:aws:secretsmanager:eu-west-1:111111111111:secret:trackman-backend/lake_reader'),
      ),
    ).toEqual([
      'sources[0].credentialsSecretArn: expected the full ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>); received "arn:aws:secretsmanager:eu-west-1:111111111111:secret:trackman-backend/lake_reader"',
    ]);
  });

  it('rejects a bad security group id', () => {
    expect(problemsAfter((config) => (config.sources[0].securityGroupId = 'sg-123'))).toEqual([
      'sources[0].securityGroupId: expected a security group id (sg-...); received "sg-123"',
    ]);
  });

  it('rejects an incremental table without bookmark keys', () => {
    expect(
      problemsAfter((config) => Reflect.deleteProperty(firstTable(config).lake, 'bookmarkKeys')),
    ).toEqual([
      'sources[0].tables[0].lake.bookmarkKeys: expected a list of bookmark key columns; received nothing',
    ]);
  });

  it('rejects an incremental table with an empty list of bookmark keys', () => {
    expect(problemsAfter((config) => Object.assign(firstTable(config).lake, { bookmarkKeys: [] }))).toEqual([
      'sources[0].tables[0].lake.bookmarkKeys: expected at least one bookmark key column for an incremental table; received []',
    ]);
  });

  it('rejects bookmark keys on a snapshot table', () => {
    expect(
      problemsAfter((config) => Object.assign(snapshotTable(config).lake, { bookmarkKeys: ['id'] })),
    ).toEqual([
      'sources[0].tables[3].lake.bookmarkKeys: expected no such field (misspelt or misplaced?); received ["id"]',
    ]);
  });
});

describe('network', () => {
  it('rejects a VPC in one Availability Zone', () => {
    expect(problemsAfter((config) => (network(config, 'create').maxAzs = 1))).toEqual([
      'network.maxAzs: expected at least 2 Availability Zones; received 1',
    ]);
  });

  it('rejects a peered VPC whose range overlaps this one', () => {
    expect(
      problemsAfter((config) =>
        Object.assign(config, {
          network: {
            mode: 'create',
            cidr: '10.40.0.0/20',
            maxAzs: 2,
            sourceVpcPeering: { vpcId: 'vpc-0a1b2c3d4e5f60001', cidr: '10.40.8.0/21' },
          },
        }),
      ),
    ).toEqual([
      'network.sourceVpcPeering.cidr: expected a range that does not overlap network.cidr (10.40.0.0/20): peered VPCs cannot overlap; received "10.40.8.0/21"',
    ]);
  });

  it('accepts a peered VPC right next to this one', () => {
    expect(() =>
      validateConfig(
        {
          ...structuredClone(devLike),
          network: {
            mode: 'create',
            cidr: '10.40.0.0/20',
            maxAzs: 2,
            sourceVpcPeering: { vpcId: 'vpc-0a1b2c3d4e5f60001', cidr: '10.40.16.0/20' },
          },
        },
        'dev',
      ),
    ).not.toThrow();
  });

  it('rejects more NAT gateways than Availability Zones', () => {
    expect(problemsAfter((config) => (network(config, 'create').natGateways = 3))).toEqual([
      'network.natGateways: expected at most one NAT gateway per Availability Zone (network.maxAzs = 2); received 3',
    ]);
  });

  it('accepts one NAT gateway per Availability Zone', () => {
    const config = structuredClone(devLike);
    network(config, 'create').natGateways = 2;
    expect(validateConfig(config, 'dev').network).toMatchObject({ natGateways: 2 });
  });

  it('rejects an imported VPC with fewer Availability Zones than subnets', () => {
    expect(
      problemsAfter(
        (config) => (network(config, 'import').availabilityZones = ['eu-west-1a', 'eu-west-1b']),
        devInImportedVpc,
      ),
    ).toEqual([
      'network.privateSubnetIds: expected one subnet per Availability Zone (2); received ["subnet-0a1b2c3d4e5f60711","subnet-0a1b2c3d4e5f60712","subnet-0a1b2c3d4e5f60713"]',
    ]);
  });

  it('rejects an imported VPC with fewer route tables than subnets', () => {
    expect(
      problemsAfter(
        (config) => (network(config, 'import').privateSubnetRouteTableIds = ['rtb-0a1b2c3d4e5f60711']),
        devInImportedVpc,
      ),
    ).toEqual([
      'network.privateSubnetRouteTableIds: expected one route table per private subnet (3); received ["rtb-0a1b2c3d4e5f60711"]',
    ]);
  });

  it('rejects an imported Availability Zone of another region', () => {
    expect(
      problemsAfter(
        (config) => (network(config, 'import').availabilityZones[1] = 'eu-central-1b'),
        devInImportedVpc,
      ),
    ).toEqual([
      'network.availabilityZones: expected Availability Zones of region eu-west-1; received "eu-central-1b"',
    ]);
  });
});

describe('lake and ingestion', () => {
  it('rejects Deep Archive before Intelligent-Tiering', () => {
    expect(problemsAfter((config) => (config.lake!.deepArchiveAfterDays = 20))).toEqual([
      'lake.deepArchiveAfterDays: expected more days than lake.intelligentTieringAfterDays (30): objects reach Intelligent-Tiering before Deep Archive; received 20',
    ]);
  });

  it('rejects Deep Archive on the same day as Intelligent-Tiering', () => {
    expect(problemsAfter((config) => (config.lake!.deepArchiveAfterDays = 30))).toEqual([
      'lake.deepArchiveAfterDays: expected more days than lake.intelligentTieringAfterDays (30): objects reach Intelligent-Tiering before Deep Archive; received 30',
    ]);
  });

  it('accepts Deep Archive one day after Intelligent-Tiering', () => {
    const config = structuredClone(devLike);
    config.lake!.deepArchiveAfterDays = 31;
    expect(validateConfig(config, 'dev').lake.deepArchiveAfterDays).toBe(31);
  });

  it('rejects a schedule interval that cannot meet the lake SLO', () => {
    expect(problemsAfter((config) => (config.ingestion = { scheduleIntervalMinutes: 60 }))).toEqual([
      'ingestion.scheduleIntervalMinutes: expected settings whose worst-case lake latency fits slo.lakeFreshnessMinutes (60); ' +
        'these give 76.6 min for trackman-backend = 1 x interval 60 + latest start 0.6 + table 15 + commit lag 1, ' +
        'where table = 2 attempt(s) x (jobTimeoutMinutes 5 + startupAllowanceMinutes 2) + retry waits 1 min and ' +
        'latest start = (4 - 1) x expectedTableMinutes 2 / 10 at a time; received 60',
    ]);
  });

  it('reports a zero schedule interval once, without a budget line over it', () => {
    expect(problemsAfter((config) => (config.ingestion = { scheduleIntervalMinutes: 0 }))).toEqual([
      'ingestion.scheduleIntervalMinutes: expected minutes greater than 0; received 0',
    ]);
  });

  it('rejects a max retry delay below the retry interval', () => {
    expect(
      problemsAfter((config) => (config.ingestion = { retryIntervalSeconds: 120, retryMaxDelaySeconds: 90 })),
    ).toEqual([
      'ingestion.retryMaxDelaySeconds: expected at least ingestion.retryIntervalSeconds (120); received 90',
    ]);
  });
});
