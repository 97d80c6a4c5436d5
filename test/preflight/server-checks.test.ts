import type { Finding } from '../../scripts/preflight/findings';
import {
  MIN_BINLOG_RETENTION_HOURS,
  mysqlDmsFindings,
  mysqlReaderFindings,
  type MysqlDmsFacts,
} from '../../scripts/preflight/mysql-checks';
import {
  DMS_HEARTBEAT_SCHEMA,
  postgresDmsFindings,
  postgresReaderFindings,
  type PostgresDmsFacts,
} from '../../scripts/preflight/postgres-checks';

function only(findings: readonly Finding[], check: string): Finding {
  const found = findings.filter((f) => f.check === check);
  expect(found).toHaveLength(1);
  return found[0];
}

describe('PostgreSQL server checks', () => {
  const READY: PostgresDmsFacts = {
    user: 'dms',
    walLevel: 'logical',
    rdsLogicalReplication: null,
    superuser: false,
    replicationAttribute: true,
    rdsReplicationMember: null,
    maxReplicationSlots: 10,
    replicationSlots: [],
    maxWalSenders: 10,
    activeWalSenders: 0,
    walSenderTimeoutMs: 60_000,
    heartbeat: {
      schema: 'public',
      exists: true,
      canUse: true,
      canCreate: true,
      tableExists: false,
      canWriteTable: false,
    },
  };
  const RDS = { ...READY, rdsLogicalReplication: 'on', rdsReplicationMember: false } as const;

  test('a ready server passes every DMS check, in a fixed order', () => {
    const findings = postgresDmsFindings(READY);
    expect(findings.map((f) => [f.check, f.passed])).toEqual([
      ['logical-replication', true],
      ['replication-role', true],
      ['replication-slots', true],
      ['inactive-slots', true],
      ['wal-senders', true],
      ['wal-sender-timeout', true],
      ['heartbeat-schema', true],
    ]);
    expect(findings.every((f) => f.table === undefined)).toBe(true);
  });

  test('a logical slot no session reads fails, naming it and how to drop it', () => {
    const detail = only(
      postgresDmsFindings({ ...READY, inactiveLogicalSlots: ['dms_old_generation'] }),
      'inactive-slots',
    ).detail;
    expect(detail).toContain('dms_old_generation');
    expect(detail).toContain('pg_drop_replication_slot');
    expect(only(postgresDmsFindings(READY), 'inactive-slots').passed).toBe(true);
  });

  test("the heartbeat schema is DMS's default, public", () => {
    expect(DMS_HEARTBEAT_SCHEMA).toBe('public');
  });

  test('wal_level other than logical fails, with the fix for RDS or a self-managed server', () => {
    expect(only(postgresDmsFindings({ ...READY, walLevel: 'replica' }), 'logical-replication').detail).toBe(
      'wal_level is replica; DMS reads changes through logical decoding, which needs logical: set wal_level = logical and restart the server',
    );
    expect(
      only(
        postgresDmsFindings({ ...RDS, walLevel: 'replica', rdsLogicalReplication: 'off' }),
        'logical-replication',
      ).detail,
    ).toMatch(/set rds\.logical_replication = 1 in the DB parameter group and reboot$/);
    expect(only(postgresDmsFindings(RDS), 'logical-replication').detail).toBe(
      'wal_level is logical (rds.logical_replication on)',
    );
  });

  test.each([
    [{ superuser: true, replicationAttribute: false }, 'dms is a superuser'],
    [{ replicationAttribute: true }, 'dms has the REPLICATION attribute'],
    [{ replicationAttribute: false, rdsReplicationMember: true }, 'dms is a member of rds_replication'],
  ])('replication-role passes for %j', (change, detail) => {
    expect(only(postgresDmsFindings({ ...READY, ...change }), 'replication-role')).toMatchObject({
      passed: true,
      detail,
    });
  });

  test('replication-role fails without any of them, with the grant for RDS or the ALTER ROLE', () => {
    expect(
      only(postgresDmsFindings({ ...READY, replicationAttribute: false }), 'replication-role').detail,
    ).toBe('dms may not create or read replication slots: ALTER ROLE dms WITH REPLICATION');
    expect(
      only(postgresDmsFindings({ ...RDS, replicationAttribute: false }), 'replication-role').detail,
    ).toBe('dms may not create or read replication slots: GRANT rds_replication TO dms');
  });

  test('replication slots: one free passes; none free fails and names the slots in use', () => {
    expect(
      only(
        postgresDmsFindings({ ...READY, maxReplicationSlots: 2, replicationSlots: ['old_task'] }),
        'replication-slots',
      ),
    ).toMatchObject({ passed: true, detail: '1 of max_replication_slots 2 free (old_task)' });
    const full = only(
      postgresDmsFindings({ ...READY, maxReplicationSlots: 2, replicationSlots: ['a', 'b'] }),
      'replication-slots',
    );
    expect(full.passed).toBe(false);
    expect(full.detail).toBe(
      '2 of max_replication_slots 2 in use (a, b); DMS needs 1 free: raise max_replication_slots or drop slots no task uses (a slot outlives its task)',
    );
  });

  test('WAL senders: all in use fails', () => {
    expect(
      only(postgresDmsFindings({ ...READY, maxWalSenders: 3, activeWalSenders: 2 }), 'wal-senders').passed,
    ).toBe(true);
    expect(
      only(postgresDmsFindings({ ...RDS, maxWalSenders: 3, activeWalSenders: 3 }), 'wal-senders'),
    ).toMatchObject({
      passed: false,
      detail:
        '3 of max_wal_senders 3 in use; DMS streams changes through one: raise max_wal_senders in the DB parameter group',
    });
  });

  test.each([
    [0, true, '0 (no timeout)'],
    [10_000, true, '10000 ms'],
    [9_999, false, '9999 ms; DMS fails below 10000 ms: set wal_sender_timeout to 0 or at least 10000'],
  ])('wal_sender_timeout %d ms: passed %s', (timeout, passed, detail) => {
    expect(
      only(postgresDmsFindings({ ...READY, walSenderTimeoutMs: timeout }), 'wal-sender-timeout'),
    ).toMatchObject({
      passed,
      detail,
    });
  });

  test.each([
    [{ exists: false }, false, /^schema public does not exist/],
    [{ canUse: false }, false, /^dms has no USAGE on schema public/],
    [
      { canCreate: false },
      false,
      /^dms may not create awsdms_heartbeat in public .*GRANT CREATE ON SCHEMA public TO dms$/,
    ],
    [
      { canCreate: false, tableExists: true },
      false,
      /GRANT INSERT, UPDATE ON public\.awsdms_heartbeat TO dms$/,
    ],
    [
      { canCreate: false, tableExists: true, canWriteTable: true },
      true,
      /^dms can write public\.awsdms_heartbeat$/,
    ],
  ])('heartbeat schema %j: passed %s', (change, passed, detail) => {
    const found = only(
      postgresDmsFindings({ ...READY, heartbeat: { ...READY.heartbeat, ...change } }),
      'heartbeat-schema',
    );
    expect(found.passed).toBe(passed);
    expect(found.detail).toMatch(detail);
  });

  test('the lake reader needs pg_read_all_stats', () => {
    expect(postgresReaderFindings({ user: 'lake', readAllStats: true })).toEqual([
      {
        check: 'read-all-stats',
        table: undefined,
        passed: true,
        detail: 'lake is a member of pg_read_all_stats',
      },
    ]);
    expect(postgresReaderFindings({ user: 'lake', readAllStats: false })[0]).toMatchObject({
      passed: false,
      detail: expect.stringMatching(/Glue job refuses to run: GRANT pg_read_all_stats TO lake$/),
    });
  });
});

describe('MySQL server checks', () => {
  const READY: MysqlDmsFacts = {
    user: 'dms@%',
    variables: {
      log_bin: 'ON',
      binlog_format: 'ROW',
      binlog_row_image: 'FULL',
      binlog_expire_logs_seconds: '0',
      expire_logs_days: '0.000000',
      log_slave_updates: 'OFF',
    },
    rdsBinlogRetention: { kind: 'not-rds' },
    privileges: ['REPLICATION CLIENT', 'REPLICATION SLAVE'],
    replica: { kind: 'known', isReplica: false },
  };
  const vars = (change: Record<string, string>) => ({
    ...READY,
    variables: { ...READY.variables, ...change },
  });

  test('a ready server passes every DMS check, in a fixed order; a primary has no replica check', () => {
    expect(mysqlDmsFindings(READY).map((f) => [f.check, f.passed])).toEqual([
      ['binary-log', true],
      ['binlog-format', true],
      ['binlog-row-image', true],
      ['binlog-retention', true],
      ['replication-client', true],
      ['replication-slave', true],
    ]);
  });

  test('log_bin OFF fails, with the RDS way to turn it on', () => {
    expect(only(mysqlDmsFindings(vars({ log_bin: 'OFF' })), 'binary-log').detail).toBe(
      'log_bin is OFF; CDC reads the binary log: start the server with log_bin and server_id set',
    );
    const rds = { ...vars({ log_bin: 'OFF' }), rdsBinlogRetention: { kind: 'rds', hours: 24 } } as const;
    expect(only(mysqlDmsFindings(rds), 'binary-log').detail).toMatch(/turn on automated backups/);
  });

  test.each([
    [
      'binlog_format',
      'MIXED',
      'binlog-format',
      'binlog_format is MIXED; DMS needs ROW: set binlog_format = ROW',
    ],
    [
      'binlog_format',
      'STATEMENT',
      'binlog-format',
      'binlog_format is STATEMENT; DMS needs ROW: set binlog_format = ROW',
    ],
    [
      'binlog_row_image',
      'MINIMAL',
      'binlog-row-image',
      'binlog_row_image is MINIMAL; DMS needs FULL: set binlog_row_image = FULL',
    ],
    [
      'binlog_row_image',
      'noblob',
      'binlog-row-image',
      'binlog_row_image is NOBLOB; DMS needs FULL: set binlog_row_image = FULL',
    ],
  ])('%s = %s fails %s', (name, value, check, detail) => {
    expect(only(mysqlDmsFindings(vars({ [name]: value })), check)).toMatchObject({ passed: false, detail });
  });

  test(`the retention minimum is ${MIN_BINLOG_RETENTION_HOURS} hours`, () => {
    expect(MIN_BINLOG_RETENTION_HOURS).toBe(24);
  });

  test.each([
    [{ binlog_expire_logs_seconds: '86400' }, true, 'binary logs expire after 24 h'],
    [
      { binlog_expire_logs_seconds: '86399' },
      false,
      /^binary logs expire after 86399 s; at least 24 h needed/,
    ],
    [
      { binlog_expire_logs_seconds: '3600' },
      false,
      /^binary logs expire after 1 h; at least 24 h needed: SET PERSIST binlog_expire_logs_seconds = 86400/,
    ],
    // MariaDB before 10.6 and MySQL 5.7 have only expire_logs_days.
    [
      { binlog_expire_logs_seconds: undefined, expire_logs_days: '0.5' },
      false,
      /^binary logs expire after 12 h/,
    ],
    [{ binlog_expire_logs_seconds: '0', expire_logs_days: '7' }, true, 'binary logs expire after 168 h'],
    [{}, true, 'binary logs never expire (binlog_expire_logs_seconds and expire_logs_days are 0)'],
  ])('self-managed retention %j: passed %s', (change, passed, detail) => {
    const variables = { ...READY.variables, ...change } as Record<string, string>;
    for (const key of Object.keys(variables)) if (variables[key] === undefined) delete variables[key];
    const found = only(mysqlDmsFindings({ ...READY, variables }), 'binlog-retention');
    expect(found.passed).toBe(passed);
    if (typeof detail === 'string') expect(found.detail).toBe(detail);
    else expect(found.detail).toMatch(detail);
  });

  test.each([
    [
      { kind: 'rds', hours: null },
      false,
      /^binlog retention hours is NULL, so RDS purges binary logs as soon as it can; .*CALL mysql\.rds_set_configuration\('binlog retention hours', 24\)$/,
    ],
    [{ kind: 'rds', hours: 12 }, false, /^binlog retention hours is 12; at least 24 needed/],
    [{ kind: 'rds', hours: 24 }, true, /^binlog retention hours is 24$/],
    [
      { kind: 'unknown', error: 'execute command denied' },
      false,
      /^could not read RDS's binlog retention hours \(execute command denied\)/,
    ],
  ] as const)(
    'RDS retention %j: passed %s (binlog_expire_logs_seconds does not count there)',
    (retention, passed, detail) => {
      const found = only(mysqlDmsFindings({ ...READY, rdsBinlogRetention: retention }), 'binlog-retention');
      expect(found.passed).toBe(passed);
      expect(found.detail).toMatch(detail);
    },
  );

  test('replication privileges: MariaDB reports REPLICATION CLIENT as BINLOG MONITOR; a missing one fails with its GRANT', () => {
    expect(
      only(
        mysqlDmsFindings({ ...READY, privileges: ['BINLOG MONITOR', 'REPLICATION SLAVE'] }),
        'replication-client',
      ).passed,
    ).toBe(true);
    const none = mysqlDmsFindings({ ...READY, privileges: ['SELECT'] });
    expect(only(none, 'replication-client').detail).toBe(
      'dms@% lacks REPLICATION CLIENT: GRANT REPLICATION CLIENT ON *.* TO dms@%',
    );
    expect(only(none, 'replication-slave').detail).toBe(
      'dms@% lacks REPLICATION SLAVE: GRANT REPLICATION SLAVE ON *.* TO dms@%',
    );
  });

  test('a replica must log the changes it replicates; an unknown replica status adds no check', () => {
    const replica = { ...READY, replica: { kind: 'known', isReplica: true } } as const;
    expect(only(mysqlDmsFindings(replica), 'replica-log-updates').passed).toBe(false);
    expect(
      only(
        mysqlDmsFindings({ ...replica, variables: { ...READY.variables, log_slave_updates: 'ON' } }),
        'replica-log-updates',
      ).passed,
    ).toBe(true);
    expect(
      only(
        mysqlDmsFindings({ ...replica, variables: { ...READY.variables, log_replica_updates: 'ON' } }),
        'replica-log-updates',
      ).passed,
    ).toBe(true);
    const unknown = mysqlDmsFindings({ ...READY, replica: { kind: 'unknown', error: 'denied' } });
    expect(unknown.map((f) => f.check)).not.toContain('replica-log-updates');
  });

  test('the lake reader needs PROCESS', () => {
    expect(mysqlReaderFindings({ user: 'lake@%', processPrivilege: true })[0].passed).toBe(true);
    expect(mysqlReaderFindings({ user: 'lake@%', processPrivilege: false })[0]).toMatchObject({
      check: 'process-privilege',
      passed: false,
      detail: expect.stringMatching(/GRANT PROCESS ON \*\.\* TO lake@%$/),
    });
  });
});
