/**
 * Checks of one configured table, as pure functions over facts the engine's
 * fetching layer read from the catalog (postgres-facts.ts, mysql-facts.ts).
 *
 * What the lake job and DMS rely on: the table exists and the lake reader can
 * read it; its primary key is the one the config names (the lake deduplicates
 * on it, DMS applies updates and deletes by it); an incremental table's
 * bookmark columns exist, the first is of a type its kind reads by (an integer
 * key, a timestamp) and leads an index, so the job's bounded range read and its
 * max() probe do not scan the whole table; on PostgreSQL, a replicated table
 * logs enough of an updated or deleted row for DMS to find it (REPLICA
 * IDENTITY); an insert-time column is a timestamp and leads an index, as the
 * freshness probe reads its greatest value.
 */
import type { TableConfig } from '../../lib/config';
import { fail, pass, type Finding } from './findings';

export type Engine = 'postgres' | 'mysql';

export interface IndexFacts {
  readonly name: string;
  /** Key columns in index order; null stands for an expression. */
  readonly columns: readonly (string | null)[];
  /** Why a range read cannot use the index (partial, not a B-tree, invalid, invisible); undefined when it can. */
  readonly unusable?: string;
}

/** PostgreSQL's REPLICA IDENTITY of a table (pg_class.relreplident). */
export type ReplicaIdentity = 'default' | 'nothing' | 'full' | 'index';

/** What the lake reader's session found out about one table. */
export interface TableFacts {
  readonly exists: boolean;
  /** Column names in table order. */
  readonly columns: readonly string[];
  /** Each column's type by name, lower case, without length or precision (format_type, DATA_TYPE). */
  readonly columnTypes: Readonly<Record<string, string>>;
  /** Primary key columns in key order; empty when the table has none. */
  readonly primaryKey: readonly string[];
  readonly indexes: readonly IndexFacts[];
  /** The lake reader may SELECT every column (and, on PostgreSQL, use the schema). */
  readonly readerCanSelect: boolean;
  /** PostgreSQL only. */
  readonly replicaIdentity?: ReplicaIdentity;
}

export const MISSING_TABLE: TableFacts = {
  exists: false,
  columns: [],
  columnTypes: {},
  primaryKey: [],
  indexes: [],
  readerCanSelect: false,
};

/** Types a column of each kind may have: what the job's range read and the probe's time arithmetic take. */
const KIND_TYPES: Readonly<Record<'time' | 'key', Readonly<Record<Engine, RegExp>>>> = {
  time: { postgres: /^timestamp (with|without) time zone$/, mysql: /^(datetime|timestamp)$/ },
  key: { postgres: /^(smallint|integer|bigint)$/, mysql: /^(tinyint|smallint|mediumint|int|bigint)$/ },
};

const KIND_NAMES: Readonly<Record<'time' | 'key', Readonly<Record<Engine, string>>>> = {
  time: { postgres: 'timestamp or timestamptz', mysql: 'datetime or timestamp' },
  key: { postgres: 'smallint, integer or bigint', mysql: 'an integer type (tinyint to bigint)' },
};

/** The type of `column` (matched as sameColumn does) when it is not one `kind` takes; undefined when it is. */
function wrongType(
  engine: Engine,
  facts: TableFacts,
  column: string,
  kind: 'time' | 'key',
): string | undefined {
  const name = facts.columns.find((existing) => sameColumn(engine, existing, column));
  const type = name === undefined ? undefined : facts.columnTypes[name];
  return type === undefined || KIND_TYPES[kind][engine].test(type) ? undefined : type;
}

export function qualifiedName(table: Pick<TableConfig, 'schema' | 'name'>): string {
  return `${table.schema}.${table.name}`;
}

/** PostgreSQL compares identifiers exactly (the config names them as the catalog does); MySQL column names ignore case. */
function sameColumn(engine: Engine, a: string, b: string): boolean {
  return engine === 'postgres' ? a === b : a.toLowerCase() === b.toLowerCase();
}

function list(columns: readonly (string | null)[]): string {
  return `(${columns.map((c) => c ?? '<expression>').join(', ')})`;
}

/** The findings of one table for the lake reader: existence, SELECT, primary key, bookmark columns and index, replica identity. */
export function tableFindings(
  engine: Engine,
  table: TableConfig,
  facts: TableFacts,
  readerUser: string,
): Finding[] {
  const name = qualifiedName(table);
  if (!facts.exists) {
    const where = engine === 'postgres' ? 'schema' : 'database';
    return [
      fail(
        'table-exists',
        `no table ${table.name} in ${where} ${table.schema}` +
          (engine === 'mysql' ? ` (or ${readerUser} has no privilege on it, which hides it)` : ''),
        name,
      ),
    ];
  }
  const count = facts.columns.length;
  const findings: Finding[] = [pass('table-exists', `${count} column${count === 1 ? '' : 's'}`, name)];

  findings.push(
    facts.readerCanSelect
      ? pass('reader-select', `${readerUser} can read every column`, name)
      : fail(
          'reader-select',
          `${readerUser} cannot read it: GRANT SELECT ON ${name} TO ${readerUser}` +
            (engine === 'postgres' ? ` (and USAGE on schema ${table.schema})` : ''),
          name,
        ),
  );

  findings.push(primaryKeyFinding(engine, table, facts));

  if (table.lake.mode === 'incremental') {
    const missing = table.lake.bookmarkKeys.filter(
      (key) => !facts.columns.some((column) => sameColumn(engine, column, key)),
    );
    const leadingKind = table.lake.bookmarkKind === 'increasing-key' ? 'key' : 'time';
    const leadingType =
      missing.length === 0 ? wrongType(engine, facts, table.lake.bookmarkKeys[0], leadingKind) : undefined;
    findings.push(
      missing.length === 0 && leadingType === undefined
        ? pass('bookmark-columns', `${list(table.lake.bookmarkKeys)} exist`, name)
        : leadingType !== undefined
          ? fail(
              'bookmark-columns',
              `${table.lake.bookmarkKeys[0]} is ${leadingType}; bookmarkKind '${table.lake.bookmarkKind}' ` +
                `reads by ${KIND_NAMES[leadingKind][engine]}`,
              name,
            )
          : fail(
              'bookmark-columns',
              `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not a column of ${name}; ` +
                `lake.bookmarkKeys is ${list(table.lake.bookmarkKeys)}`,
              name,
            ),
    );
    const leading = table.lake.bookmarkKeys[0];
    if (!missing.includes(leading)) {
      findings.push(
        leadingIndexFinding('bookmark-index', engine, table, facts, leading, table.lake.bookmarkKeys),
      );
    }
  }
  if (table.insertTimeColumn !== undefined) {
    findings.push(...insertTimeFindings(engine, table, facts, table.insertTimeColumn));
  }

  if (engine === 'postgres' && table.replicate) findings.push(replicaIdentityFinding(table, facts));
  return findings;
}

function primaryKeyFinding(engine: Engine, table: TableConfig, facts: TableFacts): Finding {
  const name = qualifiedName(table);
  const configured = table.primaryKey;
  const why = table.replicate
    ? 'the lake deduplicates on it and DMS applies updates and deletes by it'
    : 'the lake deduplicates on it';
  if (facts.primaryKey.length === 0) {
    return fail(
      'primary-key',
      `no primary key, but config says ${list(configured)} (${why}): ALTER TABLE ${name} ADD PRIMARY KEY ${list(configured)}`,
      name,
    );
  }
  const same =
    facts.primaryKey.length === configured.length &&
    configured.every((column) => facts.primaryKey.some((actual) => sameColumn(engine, actual, column)));
  return same
    ? pass('primary-key', list(facts.primaryKey), name)
    : fail(
        'primary-key',
        `primary key is ${list(facts.primaryKey)}; config says ${list(configured)} (fix primaryKey in the config, or the table)`,
        name,
      );
}

/**
 * Whether `leading` leads a usable index of the table: a range read on it, or a max() of it, then reads the
 * index instead of the whole table. `check` names the finding, `indexColumns` the index to suggest.
 */
function leadingIndexFinding(
  check: 'bookmark-index' | 'insert-time-index',
  engine: Engine,
  table: TableConfig,
  facts: TableFacts,
  leading: string,
  indexColumns: readonly string[],
): Finding {
  const name = qualifiedName(table);
  const leads = (index: IndexFacts) =>
    index.columns[0] != null && sameColumn(engine, index.columns[0], leading);
  const usable = facts.indexes.find((index) => leads(index) && index.unusable === undefined);
  if (usable !== undefined) {
    return pass(check, `${leading} leads index ${usable.name} ${list(usable.columns)}`, name);
  }
  // MySQL requires an index name; PostgreSQL makes one up.
  const create = `CREATE INDEX ${engine === 'mysql' ? '<name> ' : ''}ON ${name} ${list(indexColumns)}`;
  const unusable = facts.indexes.find(leads);
  if (unusable !== undefined) {
    return fail(
      check,
      `${leading} leads index ${unusable.name}, but it is ${unusable.unusable}; a range read needs a plain B-tree index: ${create}`,
      name,
    );
  }
  const inner = facts.indexes.find((index) =>
    index.columns.some((column) => column !== null && sameColumn(engine, column, leading)),
  );
  const position =
    inner === undefined
      ? `no index contains ${leading}`
      : `${leading} is not the first column of ${inner.name} ${list(inner.columns)}`;
  const scans =
    check === 'bookmark-index'
      ? 'every run scans the whole table'
      : 'every probe of its replica lag scans the whole table';
  return fail(check, `${position}, so ${scans}: ${create}`, name);
}

/**
 * A replicated increasing-key table's insert-time column (insertTimeColumn): the freshness probe reads its
 * greatest value every 5 minutes on the source, so it must exist and lead an index.
 */
function insertTimeFindings(
  engine: Engine,
  table: TableConfig,
  facts: TableFacts,
  column: string,
): Finding[] {
  const name = qualifiedName(table);
  if (!facts.columns.some((existing) => sameColumn(engine, existing, column))) {
    return [
      fail('insert-time-column', `${column} is not a column of ${name}; insertTimeColumn is ${column}`, name),
    ];
  }
  const type = wrongType(engine, facts, column, 'time');
  if (type !== undefined) {
    return [
      fail(
        'insert-time-column',
        `${column} is ${type}; insertTimeColumn must be ${KIND_NAMES.time[engine]}, the time a row was inserted`,
        name,
      ),
    ];
  }
  return [
    pass('insert-time-column', `${column} exists`, name),
    leadingIndexFinding('insert-time-index', engine, table, facts, column, [column]),
  ];
}

function replicaIdentityFinding(table: TableConfig, facts: TableFacts): Finding {
  const name = qualifiedName(table);
  switch (facts.replicaIdentity) {
    case 'full':
      return pass('replica-identity', 'FULL: updates and deletes log the whole old row (more WAL)', name);
    case 'index':
      return pass('replica-identity', 'USING INDEX: updates and deletes log the key of that index', name);
    case 'nothing':
      return fail(
        'replica-identity',
        `NOTHING: updates and deletes log no old key, so DMS cannot apply them: ALTER TABLE ${name} REPLICA IDENTITY DEFAULT`,
        name,
      );
    default:
      return facts.primaryKey.length > 0
        ? pass(
            'replica-identity',
            `DEFAULT: updates and deletes log the primary key ${list(facts.primaryKey)}`,
            name,
          )
        : fail(
            'replica-identity',
            'DEFAULT without a primary key: updates and deletes log no old key, so DMS cannot apply them; add the primary key',
            name,
          );
  }
}

/** The DMS user's SELECT on a replicated table (full load reads it). Nothing when the table is missing: table-exists says so. */
export function dmsSelectFinding(
  table: TableConfig,
  canSelect: boolean | undefined,
  dmsUser: string,
): Finding[] {
  const name = qualifiedName(table);
  if (canSelect === undefined) return [];
  return [
    canSelect
      ? pass('dms-select', `${dmsUser} can read every column`, name)
      : fail(
          'dms-select',
          `${dmsUser} cannot read it (full load needs it): GRANT SELECT ON ${name} TO ${dmsUser}`,
          name,
        ),
  ];
}
