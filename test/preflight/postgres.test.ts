/**
 * The preflight against real PostgreSQL servers.
 *
 * Per-database and per-role facts (tables, keys, indexes, grants, role
 * membership) are checked on the machine's shared server (127.0.0.1:5432), in
 * a database and roles this file creates and drops. Server-wide settings
 * (wal_level, slots, WAL senders, wal_sender_timeout) and TLS are checked on a
 * throwaway server this file starts, restarts with other settings, and removes.
 */
import { Client } from 'pg';
import type { EnvironmentConfigInput } from '../../lib/config';
import type { CheckResult } from '../../scripts/preflight/findings';
import { preflightSource } from '../../scripts/preflight/runner';
import {
  environmentWith,
  envFor,
  failures,
  incremental,
  load,
  noSecrets,
  resultOf,
  runMain,
  SERVER_NAME,
  snapshot,
} from './support/preflight-config';
import { makeCertificates, ThrowawayPostgres } from './support/throwaway-servers';

const SOURCE = 'trackman-backend';
const SUFFIX = `${process.pid}_${Date.now().toString(36)}`;

async function preflight(
  config: EnvironmentConfigInput,
  env: Record<string, string>,
): Promise<CheckResult[]> {
  const loaded = load(config);
  const report = await preflightSource(loaded, loaded.sources[0], {
    env,
    readSecret: noSecrets,
    insecureLocal: true,
  });
  return report.results;
}

describe('on the shared server: tables, keys, indexes and grants', () => {
  const DATABASE = `preflight_pg_${SUFFIX}`;
  const READER = `pf_reader_${SUFFIX}`;
  const BARE_READER = `pf_reader_bare_${SUFFIX}`;
  const DMS = `pf_dms_${SUFFIX}`;
  const BARE_DMS = `pf_dms_bare_${SUFFIX}`;
  const SHARED = { port: 5432 };
  let admin: Client;

  const config = environmentWith({
    name: SOURCE,
    engine: 'postgres',
    database: DATABASE,
    tables: [
      incremental('sessions', 'public', ['updated_at', 'id'], { replicate: true }),
      incremental('shots', 'public', ['id'], { replicate: true }),
      snapshot('facilities', 'public'),
      snapshot('absent', 'public'),
      snapshot('keyless', 'public'),
      snapshot('other_key', 'public'),
      incremental('no_bookmark', 'public', ['changed_at', 'id']),
      incremental('unindexed', 'public', ['updated_at', 'id']),
      incremental('second_column', 'public', ['updated_at', 'id']),
      incremental('partial_index', 'public', ['updated_at', 'id']),
      incremental('identity_nothing', 'public', ['id'], { replicate: true }),
      snapshot('identity_full', 'public', { replicate: true }),
      snapshot('not_granted', 'public', { replicate: true }),
      snapshot('in_hidden_schema', 'hidden'),
      incremental('timed', 'public', ['id'], { replicate: true, insertTimeColumn: 'created_at' }),
      incremental('timed_unindexed', 'public', ['id'], { replicate: true, insertTimeColumn: 'created_at' }),
      incremental('timed_as_text', 'public', ['id'], { replicate: true, insertTimeColumn: 'created_at' }),
      incremental('epoch_stamped', 'public', ['updated_at', 'id']),
    ],
  });

  beforeAll(async () => {
    admin = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.query(`CREATE ROLE ${READER} LOGIN IN ROLE pg_read_all_stats`);
    await admin.query(`CREATE ROLE ${BARE_READER} LOGIN`);
    await admin.query(`CREATE ROLE ${DMS} LOGIN REPLICATION`);
    await admin.query(`CREATE ROLE ${BARE_DMS} LOGIN`);
    const db = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: DATABASE });
    await db.connect();
    try {
      await db.query(`
        CREATE TABLE sessions (id bigserial PRIMARY KEY, updated_at timestamptz NOT NULL, note text);
        CREATE INDEX ON sessions (updated_at, id);
        CREATE TABLE shots (id bigserial PRIMARY KEY, speed numeric);
        CREATE TABLE facilities (id int PRIMARY KEY, name text);
        CREATE TABLE keyless (id int, name text);
        CREATE TABLE other_key (id int, tenant int, PRIMARY KEY (id, tenant));
        CREATE TABLE no_bookmark (id int PRIMARY KEY, updated_at timestamptz);
        CREATE TABLE unindexed (id int PRIMARY KEY, updated_at timestamptz);
        CREATE TABLE second_column (id int PRIMARY KEY, updated_at timestamptz);
        CREATE INDEX second_column_id_time ON second_column (id, updated_at);
        CREATE TABLE partial_index (id int PRIMARY KEY, updated_at timestamptz);
        CREATE INDEX partial_index_recent ON partial_index (updated_at) WHERE updated_at > '2026-01-01';
        CREATE TABLE identity_nothing (id int PRIMARY KEY);
        ALTER TABLE identity_nothing REPLICA IDENTITY NOTHING;
        CREATE TABLE identity_full (id int);
        ALTER TABLE identity_full REPLICA IDENTITY FULL;
        CREATE TABLE not_granted (id int PRIMARY KEY);
        CREATE TABLE timed (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);
        CREATE INDEX ON timed (created_at);
        CREATE TABLE timed_unindexed (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);
        CREATE TABLE timed_as_text (id bigserial PRIMARY KEY, created_at text NOT NULL);
        CREATE TABLE epoch_stamped (id int PRIMARY KEY, updated_at bigint);
        CREATE INDEX ON epoch_stamped (updated_at, id);
        CREATE SCHEMA hidden;
        CREATE TABLE hidden.in_hidden_schema (id int PRIMARY KEY);
        GRANT SELECT ON hidden.in_hidden_schema TO ${READER};
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${READER}, ${DMS};
        REVOKE SELECT ON not_granted FROM ${READER}, ${DMS};
        GRANT CREATE ON SCHEMA public TO ${DMS};
      `);
    } finally {
      await db.end();
    }
  });

  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    for (const role of [READER, BARE_READER, DMS, BARE_DMS]) await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });

  test('each table passes or fails exactly the checks its shape calls for', async () => {
    const results = await preflight(config, envFor(SOURCE, SHARED, { user: READER }, { user: DMS }));
    const tableFailures = failures(results).filter((f) => f.includes(' '));
    expect(tableFailures.sort()).toEqual(
      [
        'table-exists public.absent',
        'primary-key public.keyless',
        'primary-key public.other_key',
        'bookmark-columns public.no_bookmark',
        'bookmark-index public.unindexed',
        'bookmark-index public.second_column',
        'bookmark-index public.partial_index',
        'replica-identity public.identity_nothing',
        // REPLICA IDENTITY FULL lets DMS apply updates without a key; the lake still wants the configured one.
        'primary-key public.identity_full',
        'reader-select public.not_granted',
        'dms-select public.not_granted',
        // SELECT on the table is not enough without USAGE on its schema.
        'reader-select hidden.in_hidden_schema',
        // The freshness probe reads max(created_at) every 5 minutes.
        'insert-time-index public.timed_unindexed',
        // Columns that exist, but not of a type the job and the probe read by.
        'insert-time-column public.timed_as_text',
        'bookmark-columns public.epoch_stamped',
      ].sort(),
    );
    expect(resultOf(results, 'insert-time-column', 'public.timed_as_text').detail).toBe(
      'created_at is text; insertTimeColumn must be timestamp or timestamptz, the time a row was inserted',
    );
    expect(resultOf(results, 'bookmark-columns', 'public.epoch_stamped').detail).toBe(
      "updated_at is bigint; bookmarkKind 'update-timestamp' reads by timestamp or timestamptz",
    );
    expect(resultOf(results, 'insert-time-index', 'public.timed').detail).toBe(
      'created_at leads index timed_created_at_idx (created_at)',
    );
    expect(resultOf(results, 'bookmark-index', 'public.sessions').detail).toBe(
      'updated_at leads index sessions_updated_at_id_idx (updated_at, id)',
    );
    expect(resultOf(results, 'bookmark-index', 'public.shots').detail).toBe('id leads index shots_pkey (id)');
    expect(resultOf(results, 'primary-key', 'public.other_key').detail).toMatch(
      /^primary key is \(id, tenant\); config says \(id\)/,
    );
    expect(resultOf(results, 'bookmark-index', 'public.second_column').detail).toMatch(
      /^updated_at is not the first column of second_column_id_time \(id, updated_at\)/,
    );
    expect(resultOf(results, 'bookmark-index', 'public.partial_index').detail).toMatch(
      /^updated_at leads index partial_index_recent, but it is partial/,
    );
    expect(resultOf(results, 'replica-identity', 'public.identity_full').passed).toBe(true);
    // A table that failed table-exists gets no further rows, not even dms-select.
    expect(results.filter((r) => r.table === 'public.absent')).toHaveLength(1);
  });

  test('the lake reader in pg_read_all_stats and a DMS user with REPLICATION and CREATE on public pass', async () => {
    const results = await preflight(config, envFor(SOURCE, SHARED, { user: READER }, { user: DMS }));
    for (const check of [
      'reader-connect',
      'read-all-stats',
      'dms-connect',
      'replication-role',
      'heartbeat-schema',
    ]) {
      expect(resultOf(results, check)).toMatchObject({ passed: true, source: SOURCE });
    }
    expect(resultOf(results, 'reader-connect').detail).toBe(
      `${READER}@127.0.0.1:5432/${DATABASE} without TLS (--insecure-local) (credentials from PREFLIGHT_TRACKMAN_BACKEND_READER_USER)`,
    );
  });

  test('users without those privileges fail, each check with its own row', async () => {
    const results = await preflight(
      config,
      envFor(SOURCE, SHARED, { user: BARE_READER }, { user: BARE_DMS }),
    );
    expect(resultOf(results, 'read-all-stats').detail).toMatch(
      new RegExp(
        `^${BARE_READER} is not a member of pg_read_all_stats.*GRANT pg_read_all_stats TO ${BARE_READER}$`,
      ),
    );
    expect(resultOf(results, 'replication-role').detail).toBe(
      `${BARE_DMS} may not create or read replication slots: ALTER ROLE ${BARE_DMS} WITH REPLICATION`,
    );
    // PostgreSQL 15 and later give nobody CREATE on public.
    expect(resultOf(results, 'heartbeat-schema').passed).toBe(false);
    expect(resultOf(results, 'reader-select', 'public.sessions').passed).toBe(false);
    expect(resultOf(results, 'dms-select', 'public.sessions').passed).toBe(false);
  });

  test('a user that does not exist is a failed connect row, and the table checks are skipped with a note', async () => {
    const loaded = load(config);
    const report = await preflightSource(loaded, loaded.sources[0], {
      env: envFor(SOURCE, SHARED, { user: `pf_nobody_${SUFFIX}` }, { user: DMS }),
      readSecret: noSecrets,
      insecureLocal: true,
    });
    expect(resultOf(report.results, 'reader-connect')).toMatchObject({
      passed: false,
      detail: `lake reader pf_nobody_${SUFFIX}: 28000: role "pf_nobody_${SUFFIX}" does not exist`,
    });
    expect(report.results.some((r) => r.table !== undefined && r.check !== 'dms-select')).toBe(false);
    expect(report.notes).toEqual([`${SOURCE}: table checks not run: the lake reader could not log in`]);
    expect(resultOf(report.results, 'dms-connect').passed).toBe(true);
  });

  test('main prints the table and exits 1 when a check fails', async () => {
    const run = await runMain(
      config,
      ['--env', 'dev', '--insecure-local'],
      envFor(SOURCE, SHARED, { user: READER }, { user: DMS }),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toEqual([]);
    expect(run.stdout[0]).toMatch(/^CHECK +SOURCE +TABLE +RESULT +DETAIL$/);
    expect(run.stdout).toContainEqual(
      expect.stringMatching(
        /^table-exists +trackman-backend +public\.absent +FAIL +no table absent in schema public$/,
      ),
    );
    expect(run.stdout.at(-1)).toMatch(/^preflight: \d+ checks, \d+ passed, \d+ failed$/);
  });
});

describe('on a throwaway server: server settings and TLS', () => {
  const DATABASE = 'trackman';
  let server: ThrowawayPostgres;
  let caFile: string;

  const config = environmentWith({
    name: SOURCE,
    engine: 'postgres',
    database: DATABASE,
    tables: [
      incremental('sessions', 'public', ['updated_at', 'id'], { replicate: true }),
      incremental('shots', 'public', ['id'], { replicate: true }),
      snapshot('facilities', 'public'),
    ],
  });
  const readyEnv = () =>
    envFor(SOURCE, { port: server.port }, { user: 'lake_reader' }, { user: 'dms_source' });

  beforeAll(async () => {
    server = await ThrowawayPostgres.create();
    const certificates = makeCertificates(server.dir, SERVER_NAME, 'postgres');
    caFile = certificates.caFile;
    await server.start({
      wal_level: 'logical',
      max_replication_slots: '4',
      max_wal_senders: '4',
      wal_sender_timeout: '60s',
      ssl: 'on',
      ssl_cert_file: certificates.certFile,
      ssl_key_file: certificates.keyFile,
    });
    const admin = server.client();
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.query('CREATE ROLE lake_reader LOGIN IN ROLE pg_read_all_stats');
    // As on RDS: the DMS user gets replication through the rds_replication role, not the attribute.
    await admin.query('CREATE ROLE rds_replication');
    await admin.query('CREATE ROLE dms_source LOGIN IN ROLE rds_replication');
    await admin.end();
    const db = server.client(DATABASE);
    await db.connect();
    await db.query(`
      CREATE TABLE sessions (id bigserial PRIMARY KEY, updated_at timestamptz NOT NULL);
      CREATE INDEX ON sessions (updated_at, id);
      CREATE TABLE shots (id bigserial PRIMARY KEY);
      CREATE TABLE facilities (id int PRIMARY KEY);
      GRANT SELECT ON ALL TABLES IN SCHEMA public TO lake_reader, dms_source;
      GRANT CREATE ON SCHEMA public TO dms_source;
    `);
    await db.end();
  });

  afterAll(async () => {
    await server?.remove();
  });

  test('a ready server passes everything over verified TLS, and main exits 0', async () => {
    const run = await runMain(config, ['--env', 'dev', '--ca-file', caFile], readyEnv());
    expect(run.stdout.filter((line) => / FAIL /.test(line))).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^reader-connect .* PASS +lake_reader@127\\.0\\.0\\.1:${server.port}/trackman over TLS, certificate of ${SERVER_NAME} `,
        ),
      ),
    );
    expect(run.stdout).toContainEqual(
      expect.stringMatching(/^replication-role .* PASS +dms_source is a member of rds_replication$/),
    );
    expect(run.stdout.at(-1)).toMatch(/^preflight: \d+ checks, \d+ passed, 0 failed$/);
  });

  test('TLS is the default: a certificate from an unknown CA, or for another name, fails the connection', async () => {
    const untrusted = await runMain(config, ['--env', 'dev'], readyEnv());
    expect(untrusted.code).toBe(1);
    expect(untrusted.stdout).toContainEqual(
      expect.stringMatching(
        /^reader-connect .* FAIL +lake reader lake_reader: .*not signed by a trusted CA; pass --ca-file/,
      ),
    );
    const otherName = environmentWith({
      ...config.sources[0],
      name: SOURCE,
      engine: 'postgres',
      database: DATABASE,
      host: 'other.preflight.test',
    });
    const mismatch = await runMain(otherName, ['--env', 'dev', '--ca-file', caFile], readyEnv());
    expect(mismatch.code).toBe(1);
    expect(mismatch.stdout).toContainEqual(
      expect.stringMatching(/^reader-connect .* FAIL +.*the certificate is not for other\.preflight\.test$/),
    );
  });

  test('wrong server settings fail their checks, with the RDS fix when the server is RDS', async () => {
    await server.start({
      wal_level: 'replica',
      'rds.logical_replication': 'off',
      max_replication_slots: '1',
      max_wal_senders: '0',
      wal_sender_timeout: '5s',
    });
    const admin = server.client();
    await admin.connect();
    await admin.query(`SELECT pg_create_physical_replication_slot('left_by_an_old_task')`);
    await admin.end();

    const results = await preflight(config, readyEnv());
    expect(failures(results).sort()).toEqual(
      ['logical-replication', 'replication-slots', 'wal-senders', 'wal-sender-timeout'].sort(),
    );
    expect(resultOf(results, 'logical-replication').detail).toMatch(
      /^wal_level is replica; .*set rds\.logical_replication = 1 in the DB parameter group and reboot$/,
    );
    expect(resultOf(results, 'replication-slots').detail).toMatch(
      /^1 of max_replication_slots 1 in use \(left_by_an_old_task\); DMS needs 1 free/,
    );
    expect(resultOf(results, 'wal-senders').detail).toMatch(/^0 of max_wal_senders 0 in use/);
    expect(resultOf(results, 'wal-sender-timeout').detail).toMatch(/^5000 ms; DMS fails below 10000 ms/);
  });
});
