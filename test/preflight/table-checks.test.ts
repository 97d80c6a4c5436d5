import type { TableConfig } from '../../lib/config';
import {
  dmsSelectFinding,
  MISSING_TABLE,
  tableFindings,
  type TableFacts,
} from '../../scripts/preflight/table-checks';
import { incremental, snapshot } from './support/preflight-config';

// The config schema fills in readPartitions and fetchSize; the checks never read them.
const table = (input: ReturnType<typeof incremental>): TableConfig => input as TableConfig;

const SESSIONS = table(incremental('sessions', 'public', ['updated_at', 'id'], { replicate: true }));
const SHOTS = table(incremental('shots', 'public', ['id']));
const FACILITIES = table(snapshot('facilities', 'public'));

const GOOD: TableFacts = {
  exists: true,
  columns: ['id', 'updated_at', 'payload'],
  columnTypes: { id: 'bigint', updated_at: 'timestamp with time zone', payload: 'jsonb' },
  primaryKey: ['id'],
  indexes: [
    { name: 'sessions_pkey', columns: ['id'] },
    { name: 'sessions_updated_at_id_idx', columns: ['updated_at', 'id'] },
  ],
  readerCanSelect: true,
  replicaIdentity: 'default',
};

function byCheck(findings: ReturnType<typeof tableFindings>) {
  return Object.fromEntries(findings.map((f) => [f.check, f]));
}

describe('tableFindings', () => {
  test('a table that has everything passes every check, each on its own row', () => {
    const findings = tableFindings('postgres', SESSIONS, GOOD, 'lake_reader');
    expect(findings.map((f) => [f.check, f.passed, f.table])).toEqual([
      ['table-exists', true, 'public.sessions'],
      ['reader-select', true, 'public.sessions'],
      ['primary-key', true, 'public.sessions'],
      ['bookmark-columns', true, 'public.sessions'],
      ['bookmark-index', true, 'public.sessions'],
      ['replica-identity', true, 'public.sessions'],
    ]);
    expect(byCheck(findings)['bookmark-index'].detail).toBe(
      'updated_at leads index sessions_updated_at_id_idx (updated_at, id)',
    );
  });

  describe('insertTimeColumn', () => {
    const timed = { ...SHOTS, replicate: true, insertTimeColumn: 'created_at' } as TableConfig;
    const shots = (indexes: TableFacts['indexes'], columns = ['id', 'created_at']): TableFacts => ({
      ...GOOD,
      columns,
      indexes: [{ name: 'shots_pkey', columns: ['id'] }, ...indexes],
    });

    test('exists and leads an index: two passing rows', () => {
      const findings = byCheck(
        tableFindings(
          'postgres',
          timed,
          shots([{ name: 'shots_created_at_idx', columns: ['created_at'] }]),
          'r',
        ),
      );
      expect(findings['insert-time-column']).toMatchObject({ passed: true, detail: 'created_at exists' });
      expect(findings['insert-time-index']).toMatchObject({
        passed: true,
        detail: 'created_at leads index shots_created_at_idx (created_at)',
      });
    });

    test('no index: a failure that gives the index to create', () => {
      expect(byCheck(tableFindings('mysql', timed, shots([]), 'r'))['insert-time-index']).toEqual({
        check: 'insert-time-index',
        table: 'public.shots',
        passed: false,
        detail:
          'no index contains created_at, so every probe of its replica lag scans the whole table: CREATE INDEX <name> ON public.shots (created_at)',
      });
    });

    test('second in an index is no use', () => {
      const facts = shots([{ name: 'shots_player_created_idx', columns: ['player_id', 'created_at'] }]);
      expect(byCheck(tableFindings('postgres', timed, facts, 'r'))['insert-time-index'].detail).toBe(
        'created_at is not the first column of shots_player_created_idx (player_id, created_at), so every probe of its replica lag scans the whole table: CREATE INDEX ON public.shots (created_at)',
      );
    });

    test('a missing column fails, and its index is not checked', () => {
      const findings = tableFindings('postgres', timed, shots([], ['id']), 'r');
      expect(byCheck(findings)['insert-time-column']).toMatchObject({
        passed: false,
        detail: 'created_at is not a column of public.shots; insertTimeColumn is created_at',
      });
      expect(findings.map((f) => f.check)).not.toContain('insert-time-index');
    });

    test('a table without one has neither row', () => {
      const checks = tableFindings('postgres', SESSIONS, GOOD, 'r').map((f) => f.check);
      expect(checks.filter((c) => c.startsWith('insert-time'))).toEqual([]);
    });
  });

  describe('column types', () => {
    const typed = (columnTypes: Record<string, string>): TableFacts => ({
      ...GOOD,
      columns: Object.keys(columnTypes),
      columnTypes,
    });

    test.each([
      ['postgres', { id: 'bigint', updated_at: 'timestamp without time zone' }],
      ['postgres', { id: 'bigint', updated_at: 'timestamp with time zone' }],
      ['mysql', { id: 'bigint', updated_at: 'datetime' }],
      ['mysql', { id: 'int', updated_at: 'timestamp' }],
    ] as const)('%s: an update timestamp of type %j passes', (engine, types) => {
      expect(byCheck(tableFindings(engine, SESSIONS, typed(types), 'r'))['bookmark-columns'].passed).toBe(
        true,
      );
    });

    test('an update timestamp held as epoch seconds fails, naming its type and what the kind reads by', () => {
      const facts = typed({ id: 'bigint', updated_at: 'bigint' });
      expect(byCheck(tableFindings('postgres', SESSIONS, facts, 'r'))['bookmark-columns']).toMatchObject({
        passed: false,
        detail: "updated_at is bigint; bookmarkKind 'update-timestamp' reads by timestamp or timestamptz",
      });
    });

    test.each([
      ['postgres', 'integer', true],
      ['postgres', 'uuid', false],
      ['mysql', 'mediumint', true],
      ['mysql', 'char', false],
    ] as const)('%s: an increasing key of type %s passes: %s', (engine, type, passes) => {
      const facts = typed({ id: type });
      expect(byCheck(tableFindings(engine, SHOTS, facts, 'r'))['bookmark-columns'].passed).toBe(passes);
    });

    test('an insert-time column must be a timestamp', () => {
      const timed = { ...SHOTS, replicate: true, insertTimeColumn: 'created_at' } as TableConfig;
      const facts = typed({ id: 'bigint', created_at: 'date' });
      expect(byCheck(tableFindings('postgres', timed, facts, 'r'))['insert-time-column']).toMatchObject({
        passed: false,
        detail:
          'created_at is date; insertTimeColumn must be timestamp or timestamptz, the time a row was inserted',
      });
    });
  });

  test('a missing table is one failure and nothing else', () => {
    expect(tableFindings('postgres', SESSIONS, MISSING_TABLE, 'lake_reader')).toEqual([
      {
        check: 'table-exists',
        table: 'public.sessions',
        passed: false,
        detail: 'no table sessions in schema public',
      },
    ]);
    expect(tableFindings('mysql', SESSIONS, MISSING_TABLE, 'lake@%')[0].detail).toBe(
      'no table sessions in database public (or lake@% has no privilege on it, which hides it)',
    );
  });

  test('a snapshot table has no bookmark checks, and a table DMS does not replicate no replica identity check', () => {
    const checks = tableFindings('postgres', FACILITIES, GOOD, 'r').map((f) => f.check);
    expect(checks).toEqual(['table-exists', 'reader-select', 'primary-key']);
  });

  test('the reader without SELECT fails, with the GRANT to run', () => {
    const f = byCheck(
      tableFindings('postgres', SESSIONS, { ...GOOD, readerCanSelect: false }, 'lake_reader'),
    );
    expect(f['reader-select']).toMatchObject({
      passed: false,
      detail:
        'lake_reader cannot read it: GRANT SELECT ON public.sessions TO lake_reader (and USAGE on schema public)',
    });
  });

  test('no primary key fails and says why DMS needs it when the table is replicated', () => {
    const f = byCheck(tableFindings('postgres', SESSIONS, { ...GOOD, primaryKey: [] }, 'r'));
    expect(f['primary-key'].passed).toBe(false);
    expect(f['primary-key'].detail).toBe(
      'no primary key, but config says (id) (the lake deduplicates on it and DMS applies updates and deletes by it): ' +
        'ALTER TABLE public.sessions ADD PRIMARY KEY (id)',
    );
    // With REPLICA IDENTITY DEFAULT and no key, DMS cannot apply updates either.
    expect(f['replica-identity'].passed).toBe(false);
  });

  test('a primary key other than the configured one fails; the same columns in another order pass', () => {
    const other = byCheck(tableFindings('postgres', SHOTS, { ...GOOD, primaryKey: ['id', 'tenant'] }, 'r'));
    expect(other['primary-key']).toMatchObject({
      passed: false,
      detail: 'primary key is (id, tenant); config says (id) (fix primaryKey in the config, or the table)',
    });
    const twoColumns = table(incremental('t', 'public', ['id'], { primaryKey: ['tenant', 'id'] }));
    const reordered = byCheck(
      tableFindings('postgres', twoColumns, { ...GOOD, primaryKey: ['id', 'tenant'] }, 'r'),
    );
    expect(reordered['primary-key'].passed).toBe(true);
  });

  test('PostgreSQL compares column names exactly, MySQL ignoring case', () => {
    const upper: TableFacts = {
      ...GOOD,
      columns: ['ID', 'UPDATED_AT'],
      primaryKey: ['ID'],
      indexes: [{ name: 'i', columns: ['UPDATED_AT'] }],
    };
    expect(
      tableFindings('postgres', SESSIONS, upper, 'r')
        .filter((f) => !f.passed)
        .map((f) => f.check),
    ).toEqual(['primary-key', 'bookmark-columns']);
    expect(tableFindings('mysql', SESSIONS, upper, 'r').every((f) => f.passed)).toBe(true);
  });

  test('a missing bookmark column fails bookmark-columns and skips bookmark-index when it is the first', () => {
    const f = tableFindings('postgres', SESSIONS, { ...GOOD, columns: ['id', 'payload'] }, 'r');
    expect(byCheck(f)['bookmark-columns']).toMatchObject({
      passed: false,
      detail: 'updated_at is not a column of public.sessions; lake.bookmarkKeys is (updated_at, id)',
    });
    expect(f.map((x) => x.check)).not.toContain('bookmark-index');
  });

  test('an unindexed bookmark column fails with the index to create, per engine', () => {
    const facts = { ...GOOD, indexes: [{ name: 'sessions_pkey', columns: ['id'] }] };
    expect(byCheck(tableFindings('postgres', SESSIONS, facts, 'r'))['bookmark-index']).toMatchObject({
      passed: false,
      detail:
        'no index contains updated_at, so every run scans the whole table: CREATE INDEX ON public.sessions (updated_at, id)',
    });
    expect(byCheck(tableFindings('mysql', SESSIONS, facts, 'r'))['bookmark-index'].detail).toMatch(
      /CREATE INDEX <name> ON public\.sessions \(updated_at, id\)$/,
    );
  });

  test('a bookmark column that is only a later column of an index fails', () => {
    const facts = { ...GOOD, indexes: [{ name: 'by_id_then_time', columns: ['id', 'updated_at'] }] };
    expect(byCheck(tableFindings('postgres', SESSIONS, facts, 'r'))['bookmark-index'].detail).toMatch(
      /^updated_at is not the first column of by_id_then_time \(id, updated_at\), so every run scans/,
    );
  });

  test('an index a range read cannot use does not count, and the reason is given', () => {
    const facts = {
      ...GOOD,
      indexes: [
        { name: 'recent_only', columns: ['updated_at'], unusable: 'partial (it has a WHERE clause)' },
      ],
    };
    expect(byCheck(tableFindings('postgres', SESSIONS, facts, 'r'))['bookmark-index']).toMatchObject({
      passed: false,
      detail:
        'updated_at leads index recent_only, but it is partial (it has a WHERE clause); a range read needs a plain ' +
        'B-tree index: CREATE INDEX ON public.sessions (updated_at, id)',
    });
  });

  test('an expression index does not count as an index on the column', () => {
    const facts = { ...GOOD, indexes: [{ name: 'by_day', columns: [null] }] };
    expect(byCheck(tableFindings('postgres', SESSIONS, facts, 'r'))['bookmark-index'].passed).toBe(false);
  });

  test('the primary key index serves an increasing key', () => {
    expect(byCheck(tableFindings('postgres', SHOTS, GOOD, 'r'))['bookmark-index']).toMatchObject({
      passed: true,
      detail: 'id leads index sessions_pkey (id)',
    });
  });

  test.each([
    ['full', true, /^FULL/],
    ['index', true, /^USING INDEX/],
    ['nothing', false, /^NOTHING: .*ALTER TABLE public\.sessions REPLICA IDENTITY DEFAULT$/],
    ['default', true, /^DEFAULT: updates and deletes log the primary key \(id\)$/],
  ] as const)('replica identity %s of a replicated table: passed %s', (identity, passed, detail) => {
    const f = byCheck(tableFindings('postgres', SESSIONS, { ...GOOD, replicaIdentity: identity }, 'r'));
    expect(f['replica-identity'].passed).toBe(passed);
    expect(f['replica-identity'].detail).toMatch(detail);
  });

  test('MySQL has no replica identity check (the binary log carries full rows)', () => {
    expect(tableFindings('mysql', SESSIONS, GOOD, 'r').map((f) => f.check)).not.toContain('replica-identity');
  });
});

describe('dmsSelectFinding', () => {
  test('passes, fails with the GRANT, or says nothing about a table that does not exist', () => {
    expect(dmsSelectFinding(SESSIONS, true, 'dms')).toEqual([
      { check: 'dms-select', table: 'public.sessions', passed: true, detail: 'dms can read every column' },
    ]);
    expect(dmsSelectFinding(SESSIONS, false, 'dms')[0]).toMatchObject({
      passed: false,
      detail: 'dms cannot read it (full load needs it): GRANT SELECT ON public.sessions TO dms',
    });
    expect(dmsSelectFinding(SESSIONS, undefined, 'dms')).toEqual([]);
  });
});
