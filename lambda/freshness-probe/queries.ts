/**
 * The probe's SQL, per engine, and the small interface a database connection
 * offers it. Every statement is a single indexed lookup or an indexed range
 * count on the table's bookmark column (the column the lake job reads by, which
 * the preflight checks is indexed on the source; on dataengineering-db the
 * indexes are those `npm run replica-indexes` prints); none scans a table.
 *
 * Times cross between servers as text: `YYYY-MM-DDTHH:MI:SS.ffffff` in UTC (each
 * session is set to UTC) going out, and `YYYY-MM-DD HH:MI:SS.ffffff` coming in as an
 * untyped parameter that the server reads as the column's own type, so the index
 * is used and no microsecond is lost. Identifiers come from the validated input
 * (letters, digits, _ and $) and are quoted.
 */
import type { Window } from './windows';

export type Engine = 'postgres' | 'mysql';

/** One open connection; `query` returns rows whose values are text or null. */
export interface Database {
  readonly engine: Engine;
  query(sql: string, params: readonly string[]): Promise<Record<string, string | null>[]>;
  close(): Promise<void>;
}

export interface TableRef {
  readonly schema: string;
  readonly name: string;
}

const PG_TIME = `'YYYY-MM-DD"T"HH24:MI:SS.US'`;
const MY_TIME = `'%Y-%m-%dT%H:%i:%s.%f'`;

function quote(engine: Engine, identifier: string): string {
  return engine === 'postgres' ? `"${identifier}"` : `\`${identifier}\``;
}

function relation(engine: Engine, table: TableRef): string {
  return `${quote(engine, table.schema)}.${quote(engine, table.name)}`;
}

function asTime(engine: Engine, expression: string): string {
  return engine === 'postgres'
    ? `to_char(${expression}, ${PG_TIME})`
    : `DATE_FORMAT(${expression}, ${MY_TIME})`;
}

function clock(engine: Engine): string {
  return asTime(engine, engine === 'postgres' ? 'clock_timestamp()' : 'UTC_TIMESTAMP(6)');
}

function placeholder(engine: Engine, n: number): string {
  return engine === 'postgres' ? `$${n}` : '?';
}

/** Statements that make a session read-only and UTC. */
export function sessionSetup(engine: Engine): string[] {
  return engine === 'postgres'
    ? ["SET TIME ZONE 'UTC'", 'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY']
    : ["SET time_zone = '+00:00'", 'SET SESSION TRANSACTION READ ONLY'];
}

/** The server's clock: `now`. */
export function clockSql(engine: Engine): string {
  return `SELECT ${clock(engine)} AS now`;
}

/** The newest value of a time column at or after $1: `newest` (null when none). */
export function newestSinceSql(engine: Engine, table: TableRef, column: string): string {
  const c = quote(engine, column);
  return `SELECT ${asTime(engine, `max(${c})`)} AS newest FROM ${relation(engine, table)} WHERE ${c} >= ${placeholder(engine, 1)}`;
}

/**
 * The oldest value of a time column after $1 (or at/after it when `inclusive`), with the
 * server's clock: `oldest` (null when none), `now`.
 */
export function oldestAfterSql(engine: Engine, table: TableRef, column: string, inclusive: boolean): string {
  const c = quote(engine, column);
  return (
    `SELECT ${asTime(engine, `min(${c})`)} AS oldest, ${clock(engine)} AS now ` +
    `FROM ${relation(engine, table)} WHERE ${c} ${inclusive ? '>=' : '>'} ${placeholder(engine, 1)}`
  );
}

/** The greatest key: `greatest` as text (null for an empty table). */
export function greatestKeySql(engine: Engine, table: TableRef, column: string): string {
  const c = quote(engine, column);
  const text = engine === 'postgres' ? `max(${c})::text` : `CAST(max(${c}) AS CHAR)`;
  return `SELECT ${text} AS greatest FROM ${relation(engine, table)}`;
}

/** Rows whose column lies in the window ($1 lower, $2 upper): `n` as text. */
export function countWindowSql(engine: Engine, table: TableRef, column: string, window: Window): string {
  const c = quote(engine, column);
  const count = engine === 'postgres' ? 'count(*)::text' : 'CAST(COUNT(*) AS CHAR)';
  return (
    `SELECT ${count} AS n FROM ${relation(engine, table)} ` +
    `WHERE ${c} ${window.lowerInclusive ? '>=' : '>'} ${placeholder(engine, 1)} ` +
    `AND ${c} ${window.upperInclusive ? '<=' : '<'} ${placeholder(engine, 2)}`
  );
}

/** The one value of a one-row result. */
export function single(rows: Record<string, string | null>[], column: string): string | null {
  if (rows.length !== 1 || !(column in rows[0])) {
    throw new Error(`expected one row with ${column}; received ${rows.length} row(s)`);
  }
  return rows[0][column];
}

/** A count from countWindowSql. */
export function countOf(rows: Record<string, string | null>[]): number {
  const value = single(rows, 'n');
  const n = Number(value);
  if (value === null || !Number.isSafeInteger(n))
    throw new Error(`expected a row count; received ${String(value)}`);
  return n;
}
