import { validateConfig, type EnvironmentConfigInput } from '../../lib/config';
import { bookingSource, copyOf, devLike, twoSources } from '../fixtures/configs';
import { problemsAfter } from '../helpers/config-problems';
import { buildStageWith, withNestedStacks } from '../helpers/synth';

type Lake = Record<string, unknown>;
const lakeOf = (config: EnvironmentConfigInput, source: number, table: number) =>
  config.sources[source].tables[table].lake as Lake;

describe('read settings: defaults', () => {
  const config = validateConfig(devLike, 'dev');

  test('each source waits and lags by the documented defaults and ignores no user', () => {
    expect(config.sources[0]).toMatchObject({
      commitLagSeconds: 60,
      horizonWaitSeconds: 120,
      horizonIgnoreUsers: [],
    });
  });

  test('each table reads in 4 partitions with a 10000-row fetch size and no partition column', () => {
    for (const table of config.sources[0].tables) {
      expect(table.lake).toMatchObject({ readPartitions: 4, fetchSize: 10_000 });
      expect(table.lake.partitionColumn).toBeUndefined();
    }
  });
});

describe('read settings: what synth rejects, one line each', () => {
  test('an increasing key of two columns', () => {
    expect(
      problemsAfter((c) => {
        lakeOf(c, 0, 1).bookmarkKeys = ['id', 'seq'];
      }),
    ).toEqual([
      'sources[0].tables[1].lake.bookmarkKeys: expected exactly one column for bookmarkKind \'increasing-key\' (the range is lower < key <= upper); received ["id","seq"]',
    ]);
  });

  test('a read replica on a mysql source', () => {
    expect(
      problemsAfter((c) => {
        c.sources[1].readReplicaHost = 'booking-ro.example.com';
      }, twoSources),
    ).toEqual([
      'sources[1].readReplicaHost: expected no read replica for a mysql source: its incremental reads must wait for the rows the writer committed, which only PostgreSQL replicas report (pg_last_wal_replay_lsn); received "booking-ro.example.com"',
    ]);
  });

  test.each([
    ['commitLagSeconds', 3601, 'at most 3600 seconds'],
    [
      'commitLagSeconds',
      0,
      'at least 1 second (a timestamp column of lower precision rounds below its transaction start)',
    ],
    ['horizonWaitSeconds', 601, 'at most 600 seconds'],
  ])('source %s = %p', (field, value, expected) => {
    expect(
      problemsAfter((c) => {
        (c.sources[0] as Record<string, unknown>)[field] = value;
      }),
    ).toEqual([`sources[0].${field}: expected ${expected}; received ${value}`]);
  });

  test.each([
    ['readPartitions', 0, 'at least 1 partition'],
    ['readPartitions', 65, 'at most 64 partitions'],
    ['fetchSize', 0, 'at least 1 row'],
    ['fetchSize', 2.5, 'a whole number of rows'],
  ])('table %s = %p', (field, value, expected) => {
    expect(
      problemsAfter((c) => {
        lakeOf(c, 0, 3)[field] = value;
      }),
    ).toEqual([`sources[0].tables[3].lake.${field}: expected ${expected}; received ${value}`]);
  });

  test('an ignored user that is not a user name', () => {
    expect(
      problemsAfter((c) => {
        c.sources[0].horizonIgnoreUsers = ["dms'; --"];
      }),
    ).toEqual([`sources[0].horizonIgnoreUsers[0]: expected a database user name; received "dms'; --"`]);
  });
});

describe('read settings reach the job', () => {
  const config = copyOf(twoSources);
  config.sources[0].horizonIgnoreUsers = ['dms_source', 'reporting'];
  config.sources[0].commitLagSeconds = 90;
  Object.assign(lakeOf(config, 0, 3), { partitionColumn: 'facility_no', readPartitions: 8, fetchSize: 2000 });
  const template = withNestedStacks(buildStageWith(config).ingestion);
  const argsOf = (name: string) => {
    const jobs = Object.values(template.findResources('AWS::Glue::Job', { Properties: { Name: name } }));
    expect(jobs).toHaveLength(1);
    return jobs[0].Properties.DefaultArguments as Record<string, string>;
  };

  test('per-table partitioning and fetch size, per-source lag and ignored users', () => {
    expect(argsOf('trackman-dev-ingest-g7-trackman-backend-public-facilities')).toMatchObject({
      '--partition_column': 'facility_no',
      '--read_partitions': '8',
      '--fetch_size': '2000',
      '--commit_lag_seconds': '90',
      '--horizon_ignore_users': 'dms_source,reporting',
    });
  });

  test('a mysql source gets a TLS, cursor-fetch URL to its writer and no horizon URL', () => {
    const args = argsOf('trackman-dev-ingest-g5-booking-service-booking-reservations');
    expect(args['--jdbc_url']).toBe(
      `jdbc:mysql://${bookingSource.host}:3306/booking?sslMode=REQUIRED&useCursorFetch=true`,
    );
    expect(args).not.toHaveProperty('--horizon_jdbc_url');
    expect(args).not.toHaveProperty('--partition_column');
  });
});
