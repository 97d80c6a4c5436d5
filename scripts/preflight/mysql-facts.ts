/**
 * Reads what the MySQL and MariaDB checks need, in a read-only session. No
 * check logic here: mysql-checks.ts and table-checks.ts judge.
 *
 * Two probes run the statement the real consumer runs and look at the error,
 * because privileges can come from several places (global, database, table,
 * column, roles): the lake reader's PROCESS privilege (the Glue job's query on
 * INNODB_TRX) and SELECT on a table.
 */
import { connect as netConnect } from 'node:net';
import {
  createConnection,
  type Connection,
  type ConnectionOptions,
  type RowDataPacket,
} from 'mysql2/promise';
import type { TableConfig } from '../../lib/config';
import { CONNECT_TIMEOUT_MS, type ConnectTarget } from './connection';
import type { MysqlDmsFacts, MysqlReaderFacts, RdsBinlogRetention, ReplicaStatus } from './mysql-checks';
import { MISSING_TABLE, qualifiedName, type IndexFacts, type TableFacts } from './table-checks';

type TableRef = Pick<TableConfig, 'schema' | 'name'>;

/** Server error numbers the probes expect. */
const ER_SPECIFIC_ACCESS_DENIED = 1227;
const ER_TABLEACCESS_DENIED = 1142;
const ER_COLUMNACCESS_DENIED = 1143;
const ER_PARSE_ERROR = 1064;
const ER_SP_DOES_NOT_EXIST = 1305;
const ER_PROCACCESS_DENIED = 1370;

/** Variables the checks read; a server lacks some of them (binlog_expire_logs_seconds before MySQL 8 and MariaDB 10.6). */
const VARIABLES = [
  'log_bin',
  'binlog_format',
  'binlog_row_image',
  'binlog_expire_logs_seconds',
  'expire_logs_days',
  'log_slave_updates',
  'log_replica_updates',
];

function errno(error: unknown): number | undefined {
  const value = (error as { errno?: unknown } | null)?.errno;
  return typeof value === 'number' ? value : undefined;
}

function quote(identifier: string): string {
  return `\`${identifier.replace(/`/g, '``')}\``;
}

export async function connectMysql(target: ConnectTarget): Promise<Connection> {
  const tls = target.tls;
  const options: ConnectionOptions = {
    port: target.port,
    database: target.database,
    user: target.user,
    password: target.password,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // mysql2 checks the certificate's name against `host`: keep the configured host there and, for a
    // tunnel, open the socket to the tunnel ourselves.
    host: tls === undefined ? target.host : tls.serverName,
    ssl:
      tls === undefined
        ? undefined
        : {
            rejectUnauthorized: true,
            verifyIdentity: true,
            ca: tls.ca === undefined ? undefined : [...tls.ca],
          },
  };
  if (tls !== undefined && tls.serverName !== target.host) {
    options.stream = () => netConnect(target.port, target.host);
  }
  const connection = await createConnection(options);
  // A connection lost between queries is reported by the query that fails; without a listener it would crash the run.
  connection.on('error', () => undefined);
  try {
    await connection.query('SET SESSION TRANSACTION READ ONLY');
  } catch (error) {
    connection.destroy();
    throw error;
  }
  return connection;
}

async function currentUser(connection: Connection): Promise<string> {
  const [rows] = await connection.query<RowDataPacket[]>('SELECT CURRENT_USER() AS user');
  return String(rows[0].user);
}

export async function fetchMysqlReaderFacts(connection: Connection): Promise<MysqlReaderFacts> {
  let processPrivilege = true;
  try {
    await connection.query('SELECT COUNT(*) FROM information_schema.INNODB_TRX');
  } catch (error) {
    if (errno(error) !== ER_SPECIFIC_ACCESS_DENIED) throw error;
    processPrivilege = false;
  }
  return { user: await currentUser(connection), processPrivilege };
}

/** Facts of each table, by `schema.name`, as the current user sees them. */
export async function fetchMysqlTableFacts(
  connection: Connection,
  tables: readonly TableRef[],
): Promise<Map<string, TableFacts>> {
  const facts = new Map<string, TableFacts>();
  for (const table of tables) {
    const [found] = await connection.query<RowDataPacket[]>(
      `SELECT TABLE_NAME FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND TABLE_TYPE = 'BASE TABLE'`,
      [table.schema, table.name],
    );
    if (found.length === 0) {
      facts.set(qualifiedName(table), MISSING_TABLE);
      continue;
    }
    const [columns] = await connection.query<RowDataPacket[]>(
      `SELECT COLUMN_NAME AS name, DATA_TYPE AS type FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [table.schema, table.name],
    );
    // SELECT * keeps the optional columns: IS_VISIBLE (MySQL 8) and IGNORED (MariaDB 10.6).
    const [statistics] = await connection.query<RowDataPacket[]>(
      `SELECT * FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
      [table.schema, table.name],
    );
    facts.set(qualifiedName(table), {
      exists: true,
      columns: columns.map((row) => String(row.name)),
      // DATA_TYPE: 'datetime', 'timestamp', 'bigint', ... without length or sign.
      columnTypes: Object.fromEntries(
        columns.map((row) => [String(row.name), String(row.type).toLowerCase()]),
      ),
      primaryKey: statistics
        .filter((row) => row.INDEX_NAME === 'PRIMARY')
        .map((row) => String(row.COLUMN_NAME)),
      indexes: indexesOf(statistics),
      readerCanSelect: await canSelect(connection, table),
    });
  }
  return facts;
}

function indexesOf(statistics: readonly RowDataPacket[]): IndexFacts[] {
  const byName = new Map<string, RowDataPacket[]>();
  for (const row of statistics) {
    const name = String(row.INDEX_NAME);
    byName.set(name, [...(byName.get(name) ?? []), row]);
  }
  return [...byName.entries()].map(([name, rows]): IndexFacts => {
    const first = rows[0];
    const type = String(first.INDEX_TYPE ?? 'BTREE').toUpperCase();
    return {
      name,
      columns: rows.map((row) => (row.COLUMN_NAME == null ? null : String(row.COLUMN_NAME))),
      unusable:
        first.IS_VISIBLE === 'NO'
          ? 'invisible'
          : first.IGNORED === 'YES'
            ? 'ignored'
            : type !== 'BTREE'
              ? `a ${type} index`
              : undefined,
    };
  });
}

async function canSelect(connection: Connection, table: TableRef): Promise<boolean> {
  try {
    await connection.query(`SELECT * FROM ${quote(table.schema)}.${quote(table.name)} LIMIT 0`);
    return true;
  } catch (error) {
    const number = errno(error);
    if (number === ER_TABLEACCESS_DENIED || number === ER_COLUMNACCESS_DENIED) return false;
    throw error;
  }
}

/** Whether the current user may SELECT each table (undefined for a table it cannot see). */
export async function fetchMysqlSelectPrivileges(
  connection: Connection,
  tables: readonly TableRef[],
): Promise<Map<string, boolean | undefined>> {
  const result = new Map<string, boolean | undefined>();
  for (const table of tables) {
    const [found] = await connection.query<RowDataPacket[]>(
      `SELECT TABLE_NAME FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND TABLE_TYPE = 'BASE TABLE'`,
      [table.schema, table.name],
    );
    // A table the user has no privilege on at all is hidden from it: that is a missing SELECT.
    result.set(qualifiedName(table), found.length === 0 ? false : await canSelect(connection, table));
  }
  return result;
}

export async function fetchMysqlDmsFacts(connection: Connection): Promise<MysqlDmsFacts> {
  const [variableRows] = await connection.query<RowDataPacket[]>(
    `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${VARIABLES.map(() => '?').join(', ')})`,
    VARIABLES,
  );
  const variables: Record<string, string> = {};
  for (const row of variableRows) variables[String(row.Variable_name).toLowerCase()] = String(row.Value);

  const [privilegeRows] = await connection.query<RowDataPacket[]>(
    `SELECT PRIVILEGE_TYPE AS privilege FROM information_schema.USER_PRIVILEGES
      WHERE GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''',
                             SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')`,
  );
  return {
    user: await currentUser(connection),
    variables,
    rdsBinlogRetention: await rdsBinlogRetention(connection),
    privileges: privilegeRows.map((row) => String(row.privilege).toUpperCase()),
    replica: await replicaStatus(connection),
  };
}

async function rdsBinlogRetention(connection: Connection): Promise<RdsBinlogRetention> {
  try {
    const [results] = await connection.query<RowDataPacket[][]>('CALL mysql.rds_show_configuration');
    const rows = results[0] ?? [];
    const row = rows.find((r) => String(r.name).toLowerCase() === 'binlog retention hours');
    const value = row?.value == null ? null : Number(row.value);
    return { kind: 'rds', hours: value === null || Number.isNaN(value) ? null : value };
  } catch (error) {
    const number = errno(error);
    if (number === ER_SP_DOES_NOT_EXIST) return { kind: 'not-rds' };
    // The privilege check comes before the existence check, so a user without EXECUTE is denied
    // whether or not the procedure exists. RDS and Aurora install the server under /rdsdbbin/.
    if (number === ER_PROCACCESS_DENIED && !(await installedByRds(connection))) return { kind: 'not-rds' };
    return { kind: 'unknown', error: String((error as Error).message ?? error) };
  }
}

async function installedByRds(connection: Connection): Promise<boolean> {
  const [rows] = await connection.query<RowDataPacket[]>('SELECT @@GLOBAL.basedir AS basedir');
  return String(rows[0]?.basedir ?? '').startsWith('/rdsdbbin/');
}

async function replicaStatus(connection: Connection): Promise<ReplicaStatus> {
  for (const statement of ['SHOW REPLICA STATUS', 'SHOW SLAVE STATUS']) {
    try {
      const [rows] = await connection.query<RowDataPacket[]>(statement);
      return { kind: 'known', isReplica: rows.length > 0 };
    } catch (error) {
      // Servers before MySQL 8.0.22 and MariaDB 10.5.1 know only the second spelling.
      if (errno(error) === ER_PARSE_ERROR) continue;
      return { kind: 'unknown', error: String((error as Error).message ?? error) };
    }
  }
  return { kind: 'unknown', error: 'neither SHOW REPLICA STATUS nor SHOW SLAVE STATUS is understood' };
}
