/**
 * The indexes the freshness probe needs on dataengineering-db: which columns, from the
 * config; names PostgreSQL keeps whole; `npm run replica-indexes`; and, on the real
 * PostgreSQL server, that the statements run on tables shaped as DMS creates them (primary
 * key only), twice without harm, and turn the probe's own replica queries from table scans
 * into index scans.
 */
import { Client } from 'pg';
import { greatestKeySql, newestSinceSql } from '../../lambda/freshness-probe/queries';
import { validateConfig, type EnvironmentConfigInput } from '../../lib/config';
import { POSTGRES_IDENTIFIER_LIMIT, replicaIndexes } from '../../lib/config/replica-indexes';
import { INVALID_INDEXES_SQL, main } from '../../scripts/replica-indexes/main';
import { copyOf, devLike } from '../fixtures/configs';

type TableInput = EnvironmentConfigInput['sources'][number]['tables'][number];

/** devLike's first source with `tables` instead of its own. */
function withTables(tables: TableInput[], targetSchema?: string): EnvironmentConfigInput {
  const config = copyOf(devLike);
  config.sources[0].tables = tables;
  const replication = config.sources[0].replication;
  if (targetSchema !== undefined && replication !== undefined) replication.targetSchema = targetSchema;
  return config;
}

/**
 * devLike's tables (sessions and players by update timestamp, shots by an increasing id that leads
 * its primary key, facilities a snapshot not replicated), shots with an insert-time column, and two more.
 */
const TABLES: TableInput[] = [
  ...copyOf(devLike).sources[0].tables.map((table) =>
    table.name === 'shots' ? { ...table, insertTimeColumn: 'created_at' } : table,
  ),
  {
    // A surrogate key with a separate sequence column.
    schema: 'public',
    name: 'events',
    primaryKey: ['event_uuid'],
    lake: { mode: 'incremental', bookmarkKeys: ['seq'], bookmarkKind: 'increasing-key' },
    replicate: true,
  },
  {
    schema: 'public',
    name: 'audit_log',
    primaryKey: ['id'],
    lake: { mode: 'incremental', bookmarkKeys: ['changed_at', 'id'], bookmarkKind: 'update-timestamp' },
    replicate: false,
  },
];

describe('replicaIndexes', () => {
  const indexes = replicaIndexes(validateConfig(withTables(TABLES), 'dev'));

  test('one index per column the probe reads that no primary key index leads, replicated tables only', () => {
    expect(indexes.map((index) => [index.schema, index.table, index.column])).toEqual([
      ['public', 'sessions', 'updated_at'],
      ['public', 'shots', 'created_at'],
      ['public', 'players', 'updated_at'],
      ['public', 'events', 'seq'],
    ]);
    expect(indexes[0].statement).toMatch(
      /^CREATE INDEX CONCURRENTLY IF NOT EXISTS "sessions_updated_at_[0-9a-f]{8}_probe_idx" ON "public"\."sessions" \("updated_at"\);$/,
    );
  });

  test("on the source's target schema when it renames the schema", () => {
    const renamed = replicaIndexes(validateConfig(withTables(TABLES, 'backend'), 'dev'));
    expect(new Set(renamed.map((index) => index.schema))).toEqual(new Set(['backend']));
    expect(renamed[0].statement).toContain('ON "backend"."sessions"');
  });

  test('none when replication is off', () => {
    const config = withTables(TABLES);
    config.replication = { ...config.replication, enabled: false };
    expect(replicaIndexes(validateConfig(config, 'dev'))).toEqual([]);
  });

  test('a long table name gives a name PostgreSQL keeps whole, distinct and the same on every run', () => {
    const long = (name: string): TableInput => ({ ...TABLES[0], name });
    const names = replicaIndexes(
      validateConfig(withTables([long(`${'x'.repeat(60)}_a`), long(`${'x'.repeat(60)}_b`)]), 'dev'),
    ).map((index) => index.name);
    expect(names.every((name) => name.length <= POSTGRES_IDENTIFIER_LIMIT)).toBe(true);
    expect(new Set(names).size).toBe(2);
    expect(names[0]).toMatch(/^x{40,}_[0-9a-f]{8}_probe_idx$/);
    expect(replicaIndexes(validateConfig(withTables([long(`${'x'.repeat(60)}_a`)]), 'dev'))[0].name).toBe(
      names[0],
    );
  });
});

test('two tables whose table and column names join alike still get two indexes', () => {
  const table = (name: string, column: string): TableInput => ({
    schema: 'public',
    name,
    primaryKey: ['id'],
    lake: { mode: 'incremental', bookmarkKeys: [column, 'id'], bookmarkKind: 'update-timestamp' },
    replicate: true,
  });
  const names = replicaIndexes(validateConfig(withTables([table('a_b', 'c'), table('a', 'b_c')]), 'dev')).map(
    (index) => index.name,
  );
  expect(names[0].startsWith('a_b_c_')).toBe(true);
  expect(names[1].startsWith('a_b_c_')).toBe(true);
  expect(names[0]).not.toBe(names[1]);
});

describe('npm run replica-indexes', () => {
  const run = (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = main(
      argv,
      { stdout: (l) => out.push(l), stderr: (l) => err.push(l) },
      {
        dev: withTables(TABLES),
      },
    );
    return { code, out, err };
  };

  test('prints one commented statement per index and exits 0', () => {
    const { code, out, err } = run('--env', 'dev');
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out.filter((line) => line.startsWith('CREATE INDEX'))).toHaveLength(4);
    expect(out).toContain('-- public.events.seq: increasing key: replica lag and reconciliation');
  });

  test.each([
    [['--env', 'qa'], 'replica-indexes: Unknown environment "qa": expected one of dev'],
    [['--env'], "replica-indexes: Option '--env <value>' argument missing; expected --env <name>"],
    [[], 'replica-indexes: --env: expected an environment name, received nothing'],
    [['--bogus'], "replica-indexes: Unknown option '--bogus'; expected --env <name>"],
  ])('%j: one line, exit 2', (argv, message) => {
    expect(run(...argv)).toEqual({ code: 2, out: [], err: [message] });
  });

  test('an invalid config: its problems, one line each, exit 2', () => {
    const broken = withTables([{ ...TABLES[0], insertTimeColumn: 'created_at' }]);
    const err: string[] = [];
    const code = main(
      ['--env', 'dev'],
      { stdout: () => undefined, stderr: (l) => err.push(l) },
      { dev: broken },
    );
    expect(code).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^Invalid .*sources\[0\]\.tables\[0\]\.insertTimeColumn: expected unset unless/);
  });
});

describe('on the real PostgreSQL server', () => {
  const DATABASE = `replica_indexes_${process.pid}_${Date.now().toString(36)}`;
  let admin: Client;
  let db: Client;
  const indexes = replicaIndexes(validateConfig(withTables(TABLES), 'dev'));

  beforeAll(async () => {
    admin = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    db = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: DATABASE });
    await db.connect();
    // As DMS creates them on the target: columns and the primary key, no other index.
    await db.query(`
      CREATE TABLE sessions (id bigint PRIMARY KEY, updated_at timestamp NOT NULL);
      CREATE TABLE shots (id bigint PRIMARY KEY, created_at timestamp NOT NULL);
      CREATE TABLE players (id bigint PRIMARY KEY, updated_at timestamp NOT NULL);
      CREATE TABLE events (event_uuid uuid PRIMARY KEY, seq bigint NOT NULL);
      CREATE TABLE facilities (id int PRIMARY KEY);
    `);
    // Table scans cost more than any index scan, so the plan shows an index whenever one can serve.
    await db.query('SET enable_seqscan = off');
  });

  afterAll(async () => {
    await db?.end();
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.end();
  });

  const plan = async (sql: string, params: string[]) =>
    (await db.query(`EXPLAIN ${sql}`, params)).rows
      .map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN'])
      .join('\n');
  const probeQueries = (): [string, string[]][] => [
    [
      newestSinceSql('postgres', { schema: 'public', name: 'sessions' }, 'updated_at'),
      ['2026-11-30 00:00:00'],
    ],
    [newestSinceSql('postgres', { schema: 'public', name: 'shots' }, 'created_at'), ['2026-11-30 00:00:00']],
    [greatestKeySql('postgres', { schema: 'public', name: 'events' }, 'seq'), []],
  ];

  test("the probe's replica queries scan the table without them, use an index with them; running twice is harmless", async () => {
    for (const [sql, params] of probeQueries()) expect(await plan(sql, params)).toMatch(/Seq Scan/);

    for (let run = 0; run < 2; run++) {
      // One statement at a time: CREATE INDEX CONCURRENTLY refuses a transaction block.
      for (const index of indexes) await db.query(index.statement);
    }

    const made = await db.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE '%_probe_idx' ORDER BY 1",
    );
    expect(made.rows.map((row) => row.indexname)).toEqual(indexes.map((index) => index.name).sort());
    for (const [sql, params] of probeQueries()) {
      const shown = await plan(sql, params);
      expect(shown).not.toMatch(/Seq Scan/);
      expect(shown).toMatch(/Index/);
    }
  });

  test('a failed build leaves an invalid index that IF NOT EXISTS skips, and the printed query finds it', async () => {
    await db.query('CREATE TABLE twice (id int PRIMARY KEY, v int); INSERT INTO twice VALUES (1, 7), (2, 7)');
    // A unique build over duplicates fails part-way, as a build interrupted by anything would.
    await expect(
      db.query('CREATE UNIQUE INDEX CONCURRENTLY "twice_v_probe_idx" ON twice (v)'),
    ).rejects.toThrow(/could not create unique index/);
    await db.query('CREATE INDEX CONCURRENTLY IF NOT EXISTS "twice_v_probe_idx" ON twice (v)');
    const invalid = await db.query<{ indexrelid: string }>(INVALID_INDEXES_SQL);
    expect(invalid.rows.map((row) => row.indexrelid)).toEqual(['twice_v_probe_idx']);
    await db.query('DROP INDEX CONCURRENTLY "twice_v_probe_idx"');
    await db.query('CREATE INDEX CONCURRENTLY IF NOT EXISTS "twice_v_probe_idx" ON twice (v)');
    expect((await db.query(INVALID_INDEXES_SQL)).rows).toEqual([]);
  });
});
