import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { ConfigError, ENVIRONMENTS, validateConfig, type EnvironmentConfigInput } from '../../lib/config';
import { definedIn, fileOf } from '../../lib/config/provenance';
import {
  AWS_REGIONS,
  ipv4CidrProblem,
  JOB_ADDED_COLUMNS,
  PRODUCTION_MIN_ACCESS_LOG_DAYS,
  PRODUCTION_MIN_LOG_RETENTION_DAYS,
  PRODUCTION_MIN_NONCURRENT_VERSION_DAYS,
} from '../../lib/config/rules';
import { devLike, prodLike, twoSources } from '../fixtures/configs';
import { brokenSharedSource } from '../fixtures/shared-source';
import { problemsAfter } from '../helpers/config-problems';

const ROOT = join(__dirname, '..', '..');

const validates = (mutate: (config: EnvironmentConfigInput) => void, base = devLike) => {
  const config = structuredClone(base);
  mutate(config);
  return validateConfig(config, config.name);
};

const createNetwork = (config: EnvironmentConfigInput) => {
  if (config.network.mode !== 'create') throw new Error('expected a network in create mode');
  return config.network;
};

describe('the environment name', () => {
  test('must be the key the config is registered under', () => {
    expect(problemsAfter(() => undefined, devLike, 'staging')).toEqual([
      'name: expected "staging", the key this config is registered under in ENVIRONMENTS (lib/config/index.ts); received "dev"',
    ]);
  });

  test('is a required production flag', () => {
    expect(problemsAfter((config) => Reflect.deleteProperty(config, 'production'))).toEqual([
      'production: expected true or false: whether this environment is production; received nothing',
    ]);
  });
});

describe('a production environment', () => {
  test("rejects removalPolicy 'destroy'", () => {
    expect(
      problemsAfter((config) => {
        config.removalPolicy = 'destroy';
        // Without the named bucket and the catalog encryption, whose own rules also reject 'destroy'.
        config.lake = { manageCatalogEncryption: false };
      }, prodLike),
    ).toEqual([
      "removalPolicy: expected 'retain' in a production environment: 'destroy' deletes the lake, its keys and logs when they leave the app; received \"destroy\"",
    ]);
  });

  test('rejects log and version retention below the floors', () => {
    expect(
      problemsAfter((config) => {
        config.logRetentionDays = 180;
        config.lake = { ...config.lake, accessLogExpirationDays: 364, noncurrentVersionExpirationDays: 29 };
      }, prodLike),
    ).toEqual([
      'logRetentionDays: expected at least 365 days in a production environment (logs are what an incident or audit review reads); received 180',
      'lake.accessLogExpirationDays: expected at least 365 days in a production environment (the record of who read or changed lake objects); received 364',
      'lake.noncurrentVersionExpirationDays: expected at least 30 days in a production environment (previous versions are how an overwritten or deleted lake object is restored); received 29',
    ]);
  });

  test('accepts retention exactly at the floors, and short Athena results', () => {
    const config = validates((c) => {
      c.logRetentionDays = 365;
      c.lake = {
        ...c.lake,
        accessLogExpirationDays: PRODUCTION_MIN_ACCESS_LOG_DAYS,
        noncurrentVersionExpirationDays: PRODUCTION_MIN_NONCURRENT_VERSION_DAYS,
        athena: { resultsExpirationDays: 1 },
      };
    }, prodLike);
    expect(config.logRetentionDays).toBe(PRODUCTION_MIN_LOG_RETENTION_DAYS);
    expect(config.lake.athena.resultsExpirationDays).toBe(1);
  });

  test('rejects SLOs looser than 60 minutes (lake) and 30 minutes (replication)', () => {
    expect(
      problemsAfter(
        (config) => (config.slo = { lakeFreshnessMinutes: 61, replicationFreshnessMinutes: 31 }),
        prodLike,
      ),
    ).toEqual([
      'slo.lakeFreshnessMinutes: expected at most 60 minutes in a production environment (the promised freshness); received 61',
      'slo.replicationFreshnessMinutes: expected at most 30 minutes in a production environment (the promised freshness); received 31',
    ]);
  });

  test('the same settings are fine outside production', () => {
    const config = validates((c) => {
      c.logRetentionDays = 1;
      c.slo = { lakeFreshnessMinutes: 120, replicationFreshnessMinutes: 90 };
      c.lake = { ...c.lake, accessLogExpirationDays: 1, noncurrentVersionExpirationDays: 1 };
    });
    expect(config.production).toBe(false);
  });
});

describe('credentials of a source', () => {
  const otherAccountSecret = 'arn:aws:secretsmanager:eu-west-1:333333333333:secret:shared/lake-reader-AbCdEf';
  const kmsKey = (region: string, account: string) =>
    `arn:aws:kms:${region}:${account}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0`;

  test('rejects a secret in another account', () => {
    expect(problemsAfter((config) => (config.sources[0].credentialsSecretArn = otherAccountSecret))).toEqual([
      'sources[0].credentialsSecretArn: expected an ARN in the environment\'s account 111111111111, or sources[0].credentialsCrossAccount: true to read it from account 333333333333 on purpose; received "arn:aws:secretsmanager:eu-west-1:333333333333:secret:shared/lake-reader-AbCdEf"',
    ]);
  });

  test('accepts a secret and key in another account when the source declares it', () => {
    const config = validates((c) => {
      c.sources[0].credentialsSecretArn = otherAccountSecret;
      c.sources[0].credentialsKmsKeyArn = kmsKey('eu-west-1', '333333333333');
      c.sources[0].credentialsCrossAccount = true;
    });
    expect(config.sources[0].credentialsCrossAccount).toBe(true);
  });

  test('rejects a key in another region, even when cross-account is declared', () => {
    expect(
      problemsAfter((config) => {
        config.sources[0].credentialsKmsKeyArn = kmsKey('eu-central-1', '111111111111');
        config.sources[0].credentialsCrossAccount = true;
      }),
    ).toEqual([
      'sources[0].credentialsKmsKeyArn: expected an ARN in the environment\'s region eu-west-1 (the jobs reach it through this region\'s VPC endpoints); received "arn:aws:kms:eu-central-1:111111111111:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"',
    ]);
  });

  test('checks every source: the second one here', () => {
    expect(
      problemsAfter(
        (config) => (config.sources[1].credentialsKmsKeyArn = kmsKey('eu-west-1', '444444444444')),
        twoSources,
      ),
    ).toEqual([
      'sources[1].credentialsKmsKeyArn: expected an ARN in the environment\'s account 111111111111, or sources[1].credentialsCrossAccount: true to read it from account 444444444444 on purpose; received "arn:aws:kms:eu-west-1:444444444444:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"',
    ]);
  });
});

describe('CIDR blocks', () => {
  test('rejects a VPC range with host bits set', () => {
    expect(problemsAfter((config) => (createNetwork(config).cidr = '10.40.3.7/20'))).toEqual([
      'network.cidr: expected a network address with no host bits set (10.40.0.0/20 for this range); received "10.40.3.7/20"',
    ]);
  });

  test('rejects a peered range whose address is not an IPv4 address', () => {
    expect(
      problemsAfter((config) => (createNetwork(config).sourceVpcPeering!.cidr = '999.20.0.0/16')),
    ).toEqual([
      'network.sourceVpcPeering.cidr: expected an IPv4 address of four numbers from 0 to 255; received "999.20.0.0/16"',
    ]);
  });

  test('rejects a /33, once per field', () => {
    expect(
      problemsAfter((config) => {
        createNetwork(config).cidr = '10.40.0.0/33';
        createNetwork(config).sourceVpcPeering!.cidr = '10.20.0.0/33';
      }),
    ).toEqual([
      'network.cidr: expected an IPv4 CIDR block from /16 to /24; received "10.40.0.0/33"',
      'network.sourceVpcPeering.cidr: expected a prefix length from 0 to 32; received "10.20.0.0/33"',
    ]);
  });

  test('rejects an imported VPC range with host bits set', () => {
    expect(
      problemsAfter((config) => {
        config.network = {
          mode: 'import',
          vpcId: 'vpc-0a1b2c3d4e5f60718',
          vpcCidr: '172.31.0.1/16',
          availabilityZones: ['eu-west-1a', 'eu-west-1b'],
          privateSubnetIds: ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60712'],
          privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60711', 'rtb-0a1b2c3d4e5f60712'],
        };
      }),
    ).toEqual([
      'network.vpcCidr: expected a network address with no host bits set (172.31.0.0/16 for this range); received "172.31.0.1/16"',
    ]);
  });

  test.each([
    ['10.0.0.0/8', undefined],
    ['0.0.0.0/0', undefined],
    ['192.168.1.1/32', undefined],
    ['10.40.16.0/20', undefined],
    ['10.40.8.0/20', 'a network address with no host bits set (10.40.0.0/20 for this range)'],
    ['255.255.255.255/31', 'a network address with no host bits set (255.255.255.254/31 for this range)'],
    ['256.0.0.0/8', 'an IPv4 address of four numbers from 0 to 255'],
    ['10.0.0.0/40', 'a prefix length from 0 to 32'],
    ['10.0.0/16', 'an IPv4 CIDR block (a.b.c.d/n)'],
  ])('ipv4CidrProblem(%s)', (cidr, problem) => {
    expect(ipv4CidrProblem(cidr)).toBe(problem);
  });
});

describe('bookmark keys and primary keys', () => {
  const firstTable = (config: EnvironmentConfigInput) => config.sources[0].tables[0];

  test('rejects a bookmark key listed twice, in any letter case', () => {
    expect(
      problemsAfter((config) =>
        Object.assign(firstTable(config).lake, { bookmarkKeys: ['updated_at', 'id', 'Updated_At'] }),
      ),
    ).toEqual([
      'sources[0].tables[0].lake.bookmarkKeys[2]: expected a bookmark key not listed before in the same table (compared without regard to case); received "Updated_At"',
    ]);
  });

  test('rejects a bookmark key the job adds, in any letter case', () => {
    expect(
      problemsAfter((config) =>
        Object.assign(firstTable(config).lake, { bookmarkKeys: ['_INGESTED_AT', 'id'] }),
      ),
    ).toEqual([
      'sources[0].tables[0].lake.bookmarkKeys[0]: expected a bookmark key that is not a column the ingestion job adds (_ingested_at, _source, _job_run_id, ingest_date, ingest_hour; compared without regard to case); received "_INGESTED_AT"',
    ]);
  });

  test('rejects a primary key column the job adds', () => {
    expect(problemsAfter((config) => (firstTable(config).primaryKey = ['id', 'ingest_hour']))).toEqual([
      'sources[0].tables[0].primaryKey[1]: expected a primary key column that is not a column the ingestion job adds (_ingested_at, _source, _job_run_id, ingest_date, ingest_hour; compared without regard to case); received "ingest_hour"',
    ]);
  });

  describe('insertTimeColumn', () => {
    // In the fixtures: 0 sessions (update-timestamp), 1 shots (increasing-key), 3 facilities (snapshot).
    const table = (config: EnvironmentConfigInput, t: number) => config.sources[0].tables[t];

    test('is accepted on a replicated increasing-key table', () => {
      expect(problemsAfter((config) => (table(config, 1).insertTimeColumn = 'created_at'))).toEqual([]);
    });

    test.each([
      [
        0,
        "unset unless lake.bookmarkKind is 'increasing-key': an update-timestamp table's replica lag is timed by its bookmark key already, and a snapshot table has none",
      ],
      [
        3,
        "unset unless lake.bookmarkKind is 'increasing-key': an update-timestamp table's replica lag is timed by its bookmark key already, and a snapshot table has none",
      ],
    ])('is refused on table %i, which is not read by an increasing key', (t, expected) => {
      expect(problemsAfter((config) => (table(config, t).insertTimeColumn = 'created_at'))).toEqual([
        `sources[0].tables[${t}].insertTimeColumn: expected ${expected}; received "created_at"`,
      ]);
    });

    test('is refused on an increasing-key table that is not replicated', () => {
      expect(
        problemsAfter((config) =>
          Object.assign(table(config, 1), { insertTimeColumn: 'created_at', replicate: false }),
        ),
      ).toEqual([
        'sources[0].tables[1].insertTimeColumn: expected unset for a table that is not replicated (replicate: false): the column only times its replica lag; received "created_at"',
      ]);
    });

    test('must be a column name', () => {
      expect(
        problemsAfter((config) => (table(config, 1).insertTimeColumn = 'created at')).map((p) =>
          p.slice(0, p.indexOf(':')),
        ),
      ).toEqual(['sources[0].tables[1].insertTimeColumn']);
    });
  });

  test('are the columns glue-scripts/pylib/ingest_helpers.py adds', () => {
    const python = readFileSync(join(ROOT, 'glue-scripts', 'pylib', 'ingest_helpers.py'), 'utf8');
    const tuple = (name: string) => {
      const match = new RegExp(`^${name} = \\(([^)]*)\\)`, 'm').exec(python);
      if (match === null) throw new Error(`${name} not found in ingest_helpers.py`);
      return [...match[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    };
    expect([...JOB_ADDED_COLUMNS].sort()).toEqual(
      [...tuple('PARTITION_KEYS'), ...tuple('METADATA_COLUMNS')].sort(),
    );
  });
});

describe('the region', () => {
  test('must be a real AWS region', () => {
    expect(problemsAfter((config) => (config.region = 'eu-west-9'))).toEqual([
      'region: expected an AWS region name such as eu-west-1 (one of the 38 in AWS_REGIONS, lib/config/rules/regions.ts); received "eu-west-9"',
    ]);
  });

  test('AWS_REGIONS lists only regions aws-cdk-lib knows, each once', () => {
    const known = new Set(RegionInfo.regions.map((region) => region.name));
    expect(AWS_REGIONS.filter((region) => !known.has(region))).toEqual([]);
    expect(new Set(AWS_REGIONS).size).toBe(AWS_REGIONS.length);
  });
});

describe('the file a problem names', () => {
  const where = {
    host: 'shared.example.internal',
    credentialsSecretArn: devLike.sources[0].credentialsSecretArn,
    securityGroupId: 'sg-0123456789abcdef0',
  };
  const environmentIn = (file: string, source = brokenSharedSource(where)) =>
    definedIn(file, { ...structuredClone(devLike), sources: [source] });

  test('is the shared module for what it writes, the environment file for the rest', () => {
    const source = brokenSharedSource({ ...where, host: '-bad-host-' });
    const input = environmentIn('lib/config/environments/qa.ts', source);
    input.monthlyBudgetUsd = -1;
    let problems: readonly string[] = [];
    try {
      validateConfig(input, 'dev');
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems).toEqual([
      'sources[0].host: expected a DNS host name; received "-bad-host-" (edit lib/config/environments/qa.ts)',
      'monthlyBudgetUsd: expected a budget greater than 0 USD; received -1 (edit lib/config/environments/qa.ts)',
      'sources[0].tables[0].lake.bookmarkKeys[1]: expected a bookmark key not listed before in the same table (compared without regard to case); received "UPDATED_AT" (edit test/fixtures/shared-source.ts)',
    ]);
    expect(fileOf(input, ['sources', 0, 'tables', 0, 'lake', 'bookmarkKeys', 1])).toBe(
      'test/fixtures/shared-source.ts',
    );
    expect(fileOf(input, ['sources', 0, 'name'])).toBe('test/fixtures/shared-source.ts');
    expect(fileOf(input, ['sources', 0, 'host'])).toBe('lib/config/environments/qa.ts');
  });

  test('is not named for a copy, which no module wrote', () => {
    expect(
      fileOf(structuredClone(environmentIn('lib/config/environments/qa.ts')), ['sources', 0, 'tables']),
    ).toBe(undefined);
  });

  test.each(Object.keys(ENVIRONMENTS))('exists for every table and the name of %s', (name) => {
    const input = ENVIRONMENTS[name];
    const files = [
      fileOf(input, ['name']),
      ...input.sources.flatMap((source, s) =>
        source.tables.map((_, t) => fileOf(input, ['sources', s, 'tables', t, 'name'])),
      ),
    ];
    for (const file of files) {
      expect(file).toMatch(/^lib\/config\/environments\/[a-z0-9-]+\.ts$/);
      expect(() => readFileSync(join(ROOT, file!))).not.toThrow();
    }
  });
});
