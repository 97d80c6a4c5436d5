/**
 * Connections to the sources and dataengineering-db with their Node clients
 * (`pg`, `mysql2`): TLS with the server's certificate checked (the function's
 * environment adds the RDS CAs), short connect and statement timeouts so one
 * slow server cannot use up the run, and a read-only UTC session (utf8mb4 on MySQL).
 */
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import { sessionSetup, type Database, type Engine } from './queries';

export const CONNECT_TIMEOUT_MS = 5_000;
export const STATEMENT_TIMEOUT_MS = 15_000;

export interface Endpoint {
  readonly engine: Engine;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** false only for the tests' local servers; the handler always passes true. */
  readonly tls: boolean;
}

function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Buffer) return value.toString('utf8');
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

function textRows(rows: readonly Record<string, unknown>[]): Record<string, string | null>[] {
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, asText(v)])));
}

async function openPostgres(endpoint: Endpoint): Promise<Database> {
  const client = new Client({
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.database,
    user: endpoint.user,
    password: endpoint.password,
    ssl: endpoint.tls ? { rejectUnauthorized: true, servername: endpoint.host } : false,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: STATEMENT_TIMEOUT_MS + 1_000,
    application_name: 'trackman-freshness-probe',
  });
  // A server that drops the connection later emits 'error' on the client; the next query fails instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
    for (const statement of sessionSetup('postgres')) await client.query(statement);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return {
    engine: 'postgres',
    query: async (sql, params) =>
      textRows((await client.query(sql, [...params])).rows as Record<string, unknown>[]),
    close: () => client.end(),
  };
}

async function openMysql(endpoint: Endpoint): Promise<Database> {
  const connection = await createConnection({
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.database,
    user: endpoint.user,
    password: endpoint.password,
    ssl: endpoint.tls ? { rejectUnauthorized: true } : undefined,
    // utf8mb4 (mysql2's default, set here because the bundle depends on it): the server then sends
    // every text value as UTF-8, whatever the column's character set, and mysql2 decodes it with
    // Node's own decoder. The bundle has no other character sets (shims/iconv-lite.ts).
    charset: 'UTF8MB4_UNICODE_CI',
    connectTimeout: CONNECT_TIMEOUT_MS,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
  });
  connection.on('error', () => undefined);
  try {
    for (const statement of sessionSetup('mysql')) await connection.query(statement);
  } catch (error) {
    connection.destroy();
    throw error;
  }
  return {
    engine: 'mysql',
    query: async (sql, params) => {
      const [rows] = await connection.query({ sql, values: [...params], timeout: STATEMENT_TIMEOUT_MS });
      return textRows(rows as Record<string, unknown>[]);
    },
    close: () => connection.end(),
  };
}

/** Opens a session on `endpoint`; rejects with the driver's error when it cannot. */
export function openDatabase(endpoint: Endpoint): Promise<Database> {
  return endpoint.engine === 'postgres' ? openPostgres(endpoint) : openMysql(endpoint);
}
