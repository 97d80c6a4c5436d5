/**
 * The probe against the machine's real PostgreSQL (source and dataengineering-db) and
 * MariaDB (a MySQL source): databases this file creates and drops. Watermarks come from
 * a map (the handler test covers S3); everything else is the probe's own code and SQL.
 */
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import type { ProbeInput, ProbeSource } from '../../../lambda/freshness-probe/contract';
import { openDatabase } from '../../../lambda/freshness-probe/databases';
import { runProbe, type Measurement, type ProbeDeps } from '../../../lambda/freshness-probe/probe';
import { parseWatermark, type Watermark } from '../../../lambda/freshness-probe/watermark';
import { runOnLocalPostgres } from '../../helpers/local-postgres';

const SUFFIX = `${process.pid}_${Date.now().toString(36)}`;
const PG_SOURCE = `fp_source_${SUFFIX}`;
const PG_REPLICA = `fp_replica_${SUFFIX}`;
const MY_SOURCE = `fp_my_${SUFFIX}`;
const MINUTE = 60_000;

let admin: Client;

async function pgValue(database: string, sql: string): Promise<string> {
  const client = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database });
  await client.connect();
  try {
    return String((await client.query(sql)).rows[0].v);
  } finally {
    await client.end();
  }
}

function watermark(doc: Record<string, unknown>, table: string): Watermark {
  return parseWatermark(
    JSON.stringify({
      schema_version: 2,
      source: 'trackman-backend',
      schema: 'public',
      table,
      bookmark_kind: 'increasing-key',
      rows: 0,
      started_at: '2024-05-01T07:00:01.123Z',
      finished_at: '2024-05-01T07:03:02.456Z',
      range: null,
      horizon: { held_reason: null },
      ...doc,
    }),
    { source: 'trackman-backend', schema: 'public', table },
  );
}

const pgSource = (overrides: Partial<ProbeSource> = {}): ProbeSource => ({
  name: 'trackman-backend',
  engine: 'postgres',
  host: '127.0.0.1',
  port: 5432,
  database: PG_SOURCE,
  secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:reader-AbCdEf',
  tables: [
    {
      schema: 'public',
      name: 'sessions',
      kind: 'update-timestamp',
      column: 'updated_at',
      replicaSchema: 'public',
    },
    {
      schema: 'public',
      name: 'caught_up',
      kind: 'update-timestamp',
      column: 'updated_at',
      replicaSchema: 'public',
    },
    {
      schema: 'public',
      name: 'players',
      kind: 'update-timestamp',
      column: 'updated_at',
      replicaSchema: 'public',
    },
    { schema: 'public', name: 'shots', kind: 'increasing-key', column: 'id', replicaSchema: 'public' },
    { schema: 'public', name: 'absent', kind: 'increasing-key', column: 'id', replicaSchema: 'public' },
  ],
  ...overrides,
});

const mySource = (overrides: Partial<ProbeSource> = {}): ProbeSource => ({
  name: 'booking-service',
  engine: 'mysql',
  host: '127.0.0.1',
  port: 3306,
  database: MY_SOURCE,
  secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:booking-AbCdEf',
  tables: [
    {
      schema: MY_SOURCE,
      name: 'reservations',
      kind: 'update-timestamp',
      column: 'modified_at',
      replicaSchema: MY_SOURCE,
    },
  ],
  ...overrides,
});

function deps(
  now: number,
  watermarks: Record<string, Watermark>,
  logins: Record<string, string> = {},
): ProbeDeps {
  return {
    now: () => now,
    readWatermark: (source, table) => Promise.resolve(watermarks[`${source}/${table.name}`]),
    openSource: (source) =>
      openDatabase({
        ...source,
        user: logins[source.name] ?? (source.engine === 'postgres' ? 'postgres' : 'root'),
        password: '',
        tls: false,
      }),
    openReplica: (replica) =>
      openDatabase({ engine: 'postgres', ...replica, user: 'postgres', password: '', tls: false }),
  };
}

function input(mode: ProbeInput['mode'], sources: ProbeSource[]): ProbeInput {
  return {
    mode,
    slo: { lakeMinutes: 60, replicaMinutes: 30 },
    sources,
    replica: {
      host: '127.0.0.1',
      port: 5432,
      database: PG_REPLICA,
      secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:replica-AbCdEf',
    },
  };
}

function find(results: Measurement[], source: string, table: string, destination: string): Measurement {
  const found = results.find(
    (m) => m.source === source && m.table === table && m.destination === destination,
  );
  if (found === undefined) throw new Error(`no measurement of ${source} ${table} ${destination}`);
  return found;
}

const TABLES = `
  CREATE TABLE sessions (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL);
  CREATE INDEX ON sessions (updated_at, id);
  CREATE TABLE caught_up (id bigint PRIMARY KEY, updated_at timestamp NOT NULL);
  CREATE INDEX ON caught_up (updated_at, id);
  CREATE TABLE players (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL);
  CREATE INDEX ON players (updated_at, id);
  CREATE TABLE shots (id bigint PRIMARY KEY);
`;
/** The start of the hour that closed at least 30 minutes (the replication SLO) ago, minus 30 minutes. */
const IN_CLOSED_HOUR = `date_trunc('hour', now() - interval '30 minutes') - interval '30 minutes'`;

beforeAll(async () => {
  admin = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${PG_SOURCE}`);
  await admin.query(`CREATE DATABASE ${PG_REPLICA}`);
  await runOnLocalPostgres(PG_SOURCE, TABLES);
  await runOnLocalPostgres(
    PG_REPLICA,
    `${TABLES} CREATE SCHEMA ${MY_SOURCE};
    CREATE TABLE ${MY_SOURCE}.reservations (id bigint PRIMARY KEY, modified_at timestamp(6) NOT NULL);`,
  );
  // Source: sessions changed 40, 25 and 10 minutes ago; the replica has only the first.
  await runOnLocalPostgres(
    PG_SOURCE,
    `
    INSERT INTO sessions VALUES (1, now() - interval '40 minutes'), (2, now() - interval '25 minutes'), (3, now() - interval '10 minutes');
    INSERT INTO caught_up VALUES (1, '2020-01-01 00:00:00.123456'), (2, (now() AT TIME ZONE 'UTC') - interval '3 minutes 0.000001 seconds');
    INSERT INTO players VALUES (1, ${IN_CLOSED_HOUR}), (2, ${IN_CLOSED_HOUR}), (3, ${IN_CLOSED_HOUR});
    INSERT INTO shots SELECT generate_series(1, 10);
  `,
  );
  await runOnLocalPostgres(
    PG_REPLICA,
    `
    INSERT INTO sessions VALUES (1, now() - interval '40 minutes');
    INSERT INTO players VALUES (1, ${IN_CLOSED_HOUR}), (3, ${IN_CLOSED_HOUR});
    INSERT INTO shots SELECT generate_series(1, 7);
  `,
  );
  // The replica's copy of caught_up has the same microseconds: a millisecond copy would show a lag.
  const newest = await pgValue(PG_SOURCE, `SELECT max(updated_at)::text AS v FROM caught_up`);
  await runOnLocalPostgres(PG_REPLICA, `INSERT INTO caught_up VALUES (2, '${newest}')`);

  const my = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
  try {
    await my.query(`CREATE DATABASE ${MY_SOURCE}`);
    await my.query(
      `CREATE TABLE ${MY_SOURCE}.reservations (id bigint PRIMARY KEY, modified_at datetime(6) NOT NULL, KEY (modified_at, id))`,
    );
    await my.query(
      `INSERT INTO ${MY_SOURCE}.reservations VALUES (1, UTC_TIMESTAMP(6) - INTERVAL 50 MINUTE), (2, UTC_TIMESTAMP(6) - INTERVAL 12 MINUTE)`,
    );
    const [rows] = await my.query(
      `SELECT DATE_FORMAT(modified_at, '%Y-%m-%d %H:%i:%s.%f') AS v FROM ${MY_SOURCE}.reservations WHERE id = 1`,
    );
    await runOnLocalPostgres(
      PG_REPLICA,
      `INSERT INTO ${MY_SOURCE}.reservations VALUES (1, '${(rows as { v: string }[])[0].v}')`,
    );
  } finally {
    await my.end();
  }
});

afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${PG_SOURCE} WITH (FORCE)`);
  await admin.query(`DROP DATABASE IF EXISTS ${PG_REPLICA} WITH (FORCE)`);
  await admin.end();
  const my = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
  await my.query(`DROP DATABASE IF EXISTS ${MY_SOURCE}`);
  await my.end();
});

describe('replica lag from the data', () => {
  let results: Measurement[];
  const now = Date.now();
  beforeAll(async () => {
    results = await runProbe(
      input('freshness', [pgSource(), mySource()]),
      deps(now, {
        'trackman-backend/shots': watermark(
          { position: 9, complete_as_of: new Date(now - 20 * MINUTE).toISOString() },
          'shots',
        ),
      }),
    );
  });

  it('is the age of the oldest change the replica lacks (PostgreSQL source)', () => {
    const m = find(results, 'trackman-backend', 'public.sessions', 'dataengineering-db');
    expect(m.failures).toEqual([]);
    expect(m.lag?.bound).toBe('exact');
    expect(m.lag?.seconds).toBeGreaterThanOrEqual(25 * 60);
    expect(m.lag?.seconds).toBeLessThan(25 * 60 + 30);
  });

  it('is 0 when the replica has the newest change, to the microsecond', () => {
    const m = find(results, 'trackman-backend', 'public.caught_up', 'dataengineering-db');
    expect(m.failures).toEqual([]);
    expect(m.lag).toEqual({ seconds: 0, bound: 'exact' });
  });

  it('is measured on a MySQL source too', () => {
    const m = find(results, 'booking-service', `${MY_SOURCE}.reservations`, 'dataengineering-db');
    expect(m.failures).toEqual([]);
    expect(m.lag?.seconds).toBeGreaterThanOrEqual(12 * 60);
    expect(m.lag?.seconds).toBeLessThan(12 * 60 + 30);
  });

  it('of an increasing-key table is at least the lake watermark age when the replica lacks rows the lake has', () => {
    const m = find(results, 'trackman-backend', 'public.shots', 'dataengineering-db');
    expect(m.failures).toEqual([]);
    expect(m.lag).toMatchObject({ seconds: 1200, bound: 'lower-bound' });
  });
});

describe('reconciliation against the real servers', () => {
  let results: Measurement[];
  const now = Date.now();
  beforeAll(async () => {
    results = await runProbe(
      input('reconciliation', [pgSource()]),
      deps(now, {
        // Range (5, 9]: the source has 4 rows in it, the lake landed 3, the replica has 2 (6, 7).
        'trackman-backend/shots': watermark(
          {
            rows: 3,
            position: 9,
            complete_as_of: new Date(now - 40 * MINUTE).toISOString(),
            range: { lower: 5, upper: 9, lower_inclusive: false, upper_inclusive: true },
          },
          'shots',
        ),
      }),
    );
  });

  it('counts a row missing from the replica in the closed hour as a gap', () => {
    const m = find(results, 'trackman-backend', 'public.players', 'dataengineering-db');
    expect(m.failures).toEqual([]);
    expect(m.gapRows).toBe(1);
  });

  it('counts rows missing from the lake and the replica in a watermark range', () => {
    expect(find(results, 'trackman-backend', 'public.shots', 'lake').gapRows).toBe(1);
    expect(find(results, 'trackman-backend', 'public.shots', 'dataengineering-db').gapRows).toBe(2);
  });

  it('finds no gap where the replica has every row', () => {
    expect(find(results, 'trackman-backend', 'public.caught_up', 'dataengineering-db').gapRows).toBe(0);
  });
});

describe('failures stay with their table or source', () => {
  let results: Measurement[];
  beforeAll(async () => {
    results = await runProbe(
      input('freshness', [
        pgSource(),
        mySource(),
        mySource({ name: 'unreachable', port: 1 }),
        mySource({ name: 'wrong-login' }),
      ]),
      deps(Date.now(), {}, { 'wrong-login': `fp_nobody_${SUFFIX}` }),
    );
  });

  it('a missing table fails that table only', () => {
    expect(find(results, 'trackman-backend', 'public.absent', 'dataengineering-db').failures).toEqual([
      expect.stringMatching(/^replica lag: .*absent.* does not exist/),
    ]);
    expect(find(results, 'trackman-backend', 'public.sessions', 'dataengineering-db').failures).toEqual([]);
  });

  it('an unreachable server fails its tables', () => {
    expect(find(results, 'unreachable', `${MY_SOURCE}.reservations`, 'dataengineering-db').failures).toEqual([
      expect.stringMatching(/^replica lag: .*ECONNREFUSED/),
    ]);
  });

  it('wrong credentials fail their tables', () => {
    expect(find(results, 'wrong-login', `${MY_SOURCE}.reservations`, 'dataengineering-db').failures).toEqual([
      expect.stringMatching(/^replica lag: Access denied/),
    ]);
    // The same database with the right login, in the same run, is measured.
    expect(
      find(results, 'booking-service', `${MY_SOURCE}.reservations`, 'dataengineering-db').failures,
    ).toEqual([]);
  });

  it('a missing watermark makes the lake lag unknown, not a failure', () => {
    const m = find(results, 'trackman-backend', 'public.sessions', 'lake');
    expect(m).toMatchObject({ lagUnknown: 1, failures: [] });
    expect(m.lag).toBeUndefined();
  });
});

describe('the run budget', () => {
  it('reports the tables it did not reach as failed measurements instead of running out of time', async () => {
    const now = Date.now();
    const results = await runProbe(input('freshness', [pgSource()]), {
      ...deps(now, {}),
      deadline: now - 1,
    });
    expect(results.length).toBeGreaterThan(0);
    for (const m of results) {
      expect(m.failures).toEqual([
        'not measured: the run used its time budget before this table (a slow source?)',
      ]);
    }
    // Every table of the source appears, with both destinations where it is replicated.
    expect(results.filter((m) => m.destination === 'lake')).toHaveLength(pgSource().tables.length);
  });
});
