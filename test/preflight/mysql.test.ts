/**
 * The preflight against real MariaDB servers.
 *
 * Tables, keys, indexes and grants are checked on the machine's shared server
 * (127.0.0.1:3306), in a database and users this file creates and drops.
 * Server-wide settings (log_bin, binlog_format, binlog_row_image, retention,
 * replica status) and TLS are checked on a throwaway server this file starts,
 * changes and removes; the shared server's globals are never touched.
 */
import { createConnection, type Connection } from 'mysql2/promise';
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
import { makeCertificates, ThrowawayMariadb } from './support/throwaway-servers';

const SOURCE = 'booking-service';
const SUFFIX = `${process.pid}_${Date.now().toString(36)}`;
const PASSWORD = 'preflight-test-password';

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
  const DATABASE = `preflight_my_${SUFFIX}`;
  const READER = `pf_r_${SUFFIX}`;
  const BARE_READER = `pf_rb_${SUFFIX}`;
  const DMS = `pf_d_${SUFFIX}`;
  const BARE_DMS = `pf_db_${SUFFIX}`;
  const SHARED = { port: 3306 };
  let admin: Connection;

  const config = environmentWith({
    name: SOURCE,
    engine: 'mysql',
    database: DATABASE,
    tables: [
      incremental('sessions', DATABASE, ['updated_at', 'id'], { replicate: true }),
      incremental('shots', DATABASE, ['id'], { replicate: true }),
      snapshot('facilities', DATABASE),
      snapshot('absent', DATABASE),
      snapshot('keyless', DATABASE),
      snapshot('other_key', DATABASE),
      incremental('no_bookmark', DATABASE, ['changed_at', 'id']),
      incremental('unindexed', DATABASE, ['updated_at', 'id']),
      incremental('second_column', DATABASE, ['updated_at', 'id']),
      snapshot('some_columns', DATABASE, { replicate: true }),
      incremental('epoch_stamped', DATABASE, ['updated_at', 'id']),
      incremental('text_keyed', DATABASE, ['code']),
    ],
  });

  beforeAll(async () => {
    admin = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root', multipleStatements: true });
    await admin.query(`
      CREATE DATABASE ${DATABASE};
      USE ${DATABASE};
      CREATE TABLE sessions (id bigint PRIMARY KEY, updated_at datetime(6) NOT NULL, INDEX by_time (updated_at, id));
      CREATE TABLE shots (id bigint PRIMARY KEY, speed decimal(6, 2));
      CREATE TABLE facilities (id int PRIMARY KEY, name text);
      CREATE TABLE keyless (id int, name text);
      CREATE TABLE other_key (id int, tenant int, PRIMARY KEY (id, tenant));
      CREATE TABLE no_bookmark (id int PRIMARY KEY, updated_at datetime);
      CREATE TABLE unindexed (id int PRIMARY KEY, updated_at datetime);
      CREATE TABLE second_column (id int PRIMARY KEY, updated_at datetime, INDEX id_then_time (id, updated_at));
      CREATE TABLE some_columns (id int PRIMARY KEY, secret text);
      CREATE TABLE epoch_stamped (id int PRIMARY KEY, updated_at bigint, INDEX by_time (updated_at, id));
      CREATE TABLE text_keyed (id int PRIMARY KEY, code varchar(20), INDEX by_code (code));
    `);
    for (const user of [READER, BARE_READER, DMS, BARE_DMS]) {
      await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${PASSWORD}'`);
    }
    for (const table of [
      'sessions',
      'shots',
      'facilities',
      'keyless',
      'other_key',
      'no_bookmark',
      'unindexed',
      'second_column',
      'epoch_stamped',
      'text_keyed',
    ]) {
      await admin.query(`GRANT SELECT ON ${DATABASE}.${table} TO '${READER}'@'%'`);
    }
    // Part of a table visible but not all of it: SELECT * fails.
    await admin.query(`GRANT SELECT (id) ON ${DATABASE}.some_columns TO '${READER}'@'%'`);
    await admin.query(`GRANT PROCESS ON *.* TO '${READER}'@'%'`);
    // Without a privilege in the database the bare users could not even log in to it.
    await admin.query(`GRANT SELECT ON ${DATABASE}.facilities TO '${BARE_READER}'@'%', '${BARE_DMS}'@'%'`);
    await admin.query(`GRANT REPLICATION CLIENT, REPLICATION SLAVE ON *.* TO '${DMS}'@'%'`);
    await admin.query(`GRANT SELECT ON ${DATABASE}.sessions TO '${DMS}'@'%'`);
    await admin.query(`GRANT SELECT ON ${DATABASE}.shots TO '${DMS}'@'%'`);
  });

  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
    for (const user of [READER, BARE_READER, DMS, BARE_DMS])
      await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
    await admin.end();
  });

  const login = (reader: string, dms: string) =>
    envFor(SOURCE, SHARED, { user: reader, password: PASSWORD }, { user: dms, password: PASSWORD });

  test('each table passes or fails exactly the checks its shape calls for', async () => {
    const results = await preflight(config, login(READER, DMS));
    const tableFailures = failures(results).filter((f) => f.includes(' '));
    const t = (name: string) => `${DATABASE}.${name}`;
    expect(tableFailures.sort()).toEqual(
      [
        `table-exists ${t('absent')}`,
        `primary-key ${t('keyless')}`,
        `primary-key ${t('other_key')}`,
        `bookmark-columns ${t('no_bookmark')}`,
        `bookmark-index ${t('unindexed')}`,
        `bookmark-index ${t('second_column')}`,
        `reader-select ${t('some_columns')}`,
        `dms-select ${t('some_columns')}`,
        // Indexed, but not of a type the job and the probe read by.
        `bookmark-columns ${t('epoch_stamped')}`,
        `bookmark-columns ${t('text_keyed')}`,
      ].sort(),
    );
    expect(resultOf(results, 'bookmark-columns', t('epoch_stamped')).detail).toBe(
      "updated_at is bigint; bookmarkKind 'update-timestamp' reads by datetime or timestamp",
    );
    expect(resultOf(results, 'bookmark-columns', t('text_keyed')).detail).toBe(
      "code is varchar; bookmarkKind 'increasing-key' reads by an integer type (tinyint to bigint)",
    );
    expect(resultOf(results, 'bookmark-index', t('sessions')).detail).toBe(
      'updated_at leads index by_time (updated_at, id)',
    );
    expect(resultOf(results, 'bookmark-index', t('shots')).detail).toBe('id leads index PRIMARY (id)');
    expect(resultOf(results, 'bookmark-index', t('unindexed')).detail).toMatch(
      new RegExp(`CREATE INDEX <name> ON ${t('unindexed')} \\(updated_at, id\\)$`),
    );
    expect(resultOf(results, 'table-exists', t('absent')).detail).toBe(
      `no table absent in database ${DATABASE} (or ${READER}@% has no privilege on it, which hides it)`,
    );
  });

  test('the lake reader with PROCESS and a DMS user with both replication privileges pass', async () => {
    const results = await preflight(config, login(READER, DMS));
    for (const check of [
      'reader-connect',
      'process-privilege',
      'dms-connect',
      'replication-client',
      'replication-slave',
    ]) {
      expect(resultOf(results, check)).toMatchObject({ passed: true, source: SOURCE });
    }
    expect(resultOf(results, 'replication-client').detail).toBe(`${DMS}@% has REPLICATION CLIENT`);
  });

  test('users without those privileges fail, each check with its own row', async () => {
    const results = await preflight(config, login(BARE_READER, BARE_DMS));
    expect(resultOf(results, 'process-privilege').detail).toMatch(
      new RegExp(`GRANT PROCESS ON \\*\\.\\* TO ${BARE_READER}@%$`),
    );
    expect(resultOf(results, 'replication-client').passed).toBe(false);
    expect(resultOf(results, 'replication-slave').passed).toBe(false);
    // Tables the reader has no privilege on are hidden from it.
    expect(resultOf(results, 'table-exists', `${DATABASE}.sessions`).passed).toBe(false);
  });

  test('a wrong password is a failed connect row, not an exception', async () => {
    const env = envFor(
      SOURCE,
      SHARED,
      { user: READER, password: 'wrong' },
      { user: DMS, password: PASSWORD },
    );
    const results = await preflight(config, env);
    expect(resultOf(results, 'reader-connect')).toMatchObject({
      passed: false,
      detail: expect.stringMatching(
        new RegExp(`^lake reader ${READER}: .*Access denied for user '${READER}'`),
      ),
    });
    expect(resultOf(results, 'dms-connect').passed).toBe(true);
  });
});

describe('on a throwaway server: binary log settings, retention, replica status and TLS', () => {
  const DATABASE = 'booking';
  let server: ThrowawayMariadb;
  let root: Connection;
  let caFile: string;
  let binlogOptions: string[];

  const config = environmentWith({
    name: SOURCE,
    engine: 'mysql',
    database: DATABASE,
    tables: [
      incremental('reservations', DATABASE, ['modified_at', 'id'], { replicate: true }),
      snapshot('bays', DATABASE),
    ],
  });
  const env = () =>
    envFor(
      SOURCE,
      { port: server.port },
      { user: 'lake_reader', password: PASSWORD },
      { user: 'dms_source', password: PASSWORD },
    );

  beforeAll(async () => {
    server = await ThrowawayMariadb.create();
    const certificates = makeCertificates(server.dir, SERVER_NAME, 'mysql');
    caFile = certificates.caFile;
    binlogOptions = [
      `--log-bin=${server.dir}/binlog`,
      '--server-id=1',
      '--binlog-format=ROW',
      '--binlog-row-image=FULL',
    ];
    const tls = [`--ssl-cert=${certificates.certFile}`, `--ssl-key=${certificates.keyFile}`];
    await server.start([...binlogOptions, ...tls]);
    root = await server.connect();
    await root.query(`
      CREATE DATABASE ${DATABASE};
      USE ${DATABASE};
      CREATE TABLE reservations (id bigint PRIMARY KEY, modified_at datetime(6) NOT NULL, INDEX by_time (modified_at, id));
      CREATE TABLE bays (id int PRIMARY KEY);
      CREATE USER 'lake_reader'@'%' IDENTIFIED BY '${PASSWORD}';
      GRANT SELECT ON ${DATABASE}.* TO 'lake_reader'@'%';
      GRANT PROCESS ON *.* TO 'lake_reader'@'%';
      CREATE USER 'dms_source'@'%' IDENTIFIED BY '${PASSWORD}';
      GRANT SELECT ON ${DATABASE}.reservations TO 'dms_source'@'%';
      GRANT REPLICATION CLIENT, REPLICATION SLAVE ON *.* TO 'dms_source'@'%';
    `);
  });

  afterAll(async () => {
    await root?.end().catch(() => undefined);
    await server?.remove();
  });

  test('a ready server passes everything over verified TLS, and main exits 0', async () => {
    const run = await runMain(config, ['--env', 'dev', '--ca-file', caFile], env());
    expect(run.stdout.filter((line) => / FAIL /.test(line))).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContainEqual(
      expect.stringMatching(
        new RegExp(`^dms-connect .* PASS +dms_source@127\\.0\\.0\\.1:${server.port}/booking over TLS`),
      ),
    );
    expect(run.stdout).toContainEqual(
      expect.stringMatching(/^binlog-retention .* PASS +binary logs never expire/),
    );
  });

  test('without the CA the certificate is not trusted', async () => {
    const run = await runMain(config, ['--env', 'dev'], env());
    expect(run.code).toBe(1);
    expect(run.stdout).toContainEqual(
      expect.stringMatching(/^reader-connect .* FAIL .*not signed by a trusted CA/),
    );
  });

  test('binlog_format, binlog_row_image and a short retention fail', async () => {
    await root.query(
      "SET GLOBAL binlog_format = 'MIXED', GLOBAL binlog_row_image = 'MINIMAL', GLOBAL binlog_expire_logs_seconds = 3600",
    );
    try {
      const results = await preflight(config, env());
      expect(failures(results).sort()).toEqual(['binlog-format', 'binlog-retention', 'binlog-row-image']);
      expect(resultOf(results, 'binlog-retention').detail).toMatch(
        /^binary logs expire after 1 h; at least 24 h needed/,
      );
    } finally {
      await root.query(
        "SET GLOBAL binlog_format = 'ROW', GLOBAL binlog_row_image = 'FULL', GLOBAL binlog_expire_logs_seconds = 0",
      );
    }
  });

  test("on RDS the retention is RDS's binlog retention hours", async () => {
    // The procedure RDS provides, with the columns it returns.
    const showConfiguration = (hours: string) => `
      DROP PROCEDURE IF EXISTS mysql.rds_show_configuration;
      CREATE PROCEDURE mysql.rds_show_configuration()
        SELECT 'binlog retention hours' AS name, ${hours} AS value, 'binlog retention' AS description;
      GRANT EXECUTE ON PROCEDURE mysql.rds_show_configuration TO 'dms_source'@'%';`;
    try {
      await root.query(showConfiguration('NULL'));
      expect(resultOf(await preflight(config, env()), 'binlog-retention').detail).toMatch(
        /^binlog retention hours is NULL/,
      );
      await root.query(showConfiguration("'24'"));
      expect(resultOf(await preflight(config, env()), 'binlog-retention')).toMatchObject({
        passed: true,
        detail: 'binlog retention hours is 24',
      });
      // Without EXECUTE the procedure cannot be told from a missing one; a server not installed under
      // /rdsdbbin/ (where RDS installs it) is taken to be self-managed.
      await root.query(`REVOKE EXECUTE ON PROCEDURE mysql.rds_show_configuration FROM 'dms_source'@'%'`);
      expect(resultOf(await preflight(config, env()), 'binlog-retention')).toMatchObject({
        passed: true,
        detail: 'binary logs never expire (binlog_expire_logs_seconds and expire_logs_days are 0)',
      });
    } finally {
      await root.query('DROP PROCEDURE IF EXISTS mysql.rds_show_configuration');
    }
  });

  test('a replica that does not log what it replicates fails', async () => {
    // A configured (not started) replication is enough for SHOW REPLICA STATUS to return a row.
    await root.query(`
      CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = 9, MASTER_USER = 'nobody';
      GRANT SLAVE MONITOR ON *.* TO 'dms_source'@'%';`);
    try {
      const results = await preflight(config, env());
      expect(resultOf(results, 'replica-log-updates')).toMatchObject({
        passed: false,
        detail: expect.stringMatching(/^a replica with log_slave_updates OFF/),
      });
    } finally {
      await root.query("RESET SLAVE ALL; REVOKE SLAVE MONITOR ON *.* FROM 'dms_source'@'%'");
    }
  });

  test('a server without a binary log fails binary-log', async () => {
    await root.end();
    await server.start([]);
    root = await server.connect();
    const results = await preflight(config, env());
    expect(resultOf(results, 'binary-log')).toMatchObject({
      passed: false,
      detail: 'log_bin is OFF; CDC reads the binary log: start the server with log_bin and server_id set',
    });
  });
});
