/**
 * Reads what the PostgreSQL checks need from the catalog, in a read-only
 * session. No check logic here: postgres-checks.ts and table-checks.ts judge.
 *
 * Everything is read from pg_catalog and privilege functions rather than
 * information_schema, which hides tables the user has no privilege on.
 */
import { checkServerIdentity } from 'node:tls';
import { Client } from 'pg';
import type { TableConfig } from '../../lib/config';
import { CONNECT_TIMEOUT_MS, QUERY_TIMEOUT_MS, type ConnectTarget } from './connection';
import type { HeartbeatSchemaFacts, PostgresDmsFacts, PostgresReaderFacts } from './postgres-checks';
import {
  MISSING_TABLE,
  qualifiedName,
  type IndexFacts,
  type ReplicaIdentity,
  type TableFacts,
} from './table-checks';

type TableRef = Pick<TableConfig, 'schema' | 'name'>;

export async function connectPostgres(target: ConnectTarget): Promise<Client> {
  const tls = target.tls;
  const client = new Client({
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    password: target.password,
    ssl:
      tls === undefined
        ? false
        : {
            rejectUnauthorized: true,
            ca: tls.ca === undefined ? undefined : [...tls.ca],
            // The configured host's name, not the tunnel's, is what the certificate must carry.
            checkServerIdentity: (_host, certificate) => checkServerIdentity(tls.serverName, certificate),
          },
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    application_name: 'trackman-preflight',
  });
  // A connection lost between queries is reported by the query that fails; without a listener it would crash the run.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

export async function fetchPostgresReaderFacts(client: Client): Promise<PostgresReaderFacts> {
  const { rows } = await client.query<{ user: string; read_all_stats: boolean }>(
    `SELECT current_user AS user, pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') AS read_all_stats`,
  );
  return { user: rows[0].user, readAllStats: rows[0].read_all_stats };
}

const REPLICA_IDENTITY: Readonly<Record<string, ReplicaIdentity>> = {
  d: 'default',
  n: 'nothing',
  f: 'full',
  i: 'index',
};

/** Facts of each table, by `schema.name`, as the current user sees them. */
export async function fetchPostgresTableFacts(
  client: Client,
  tables: readonly TableRef[],
): Promise<Map<string, TableFacts>> {
  const facts = new Map<string, TableFacts>();
  for (const table of tables) {
    const { rows } = await client.query<{
      oid: number;
      replident: string;
      can_select: boolean;
      columns: string[];
      types: string[];
    }>(
      `SELECT c.oid, c.relreplident AS replident,
              has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT') AS can_select,
              ARRAY(SELECT a.attname::text FROM pg_attribute a
                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns,
              ARRAY(SELECT format_type(a.atttypid, NULL) FROM pg_attribute a
                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS types
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
      [table.schema, table.name],
    );
    if (rows.length === 0) {
      facts.set(qualifiedName(table), MISSING_TABLE);
      continue;
    }
    const row = rows[0];
    const indexes = await client.query<{
      name: string;
      primary: boolean;
      columns: (string | null)[];
      method: string;
      valid: boolean;
      partial: boolean;
    }>(
      `SELECT ic.relname::text AS name, i.indisprimary AS primary, am.amname::text AS method,
              i.indisvalid AND i.indisready AS valid, i.indpred IS NOT NULL AS partial,
              ARRAY(SELECT a.attname::text
                      FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
                      LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                     WHERE k.position <= i.indnkeyatts
                     ORDER BY k.position) AS columns
         FROM pg_index i
         JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_am am ON am.oid = ic.relam
        WHERE i.indrelid = $1
        ORDER BY i.indisprimary DESC, ic.relname`,
      [row.oid],
    );
    const primary = indexes.rows.find((index) => index.primary);
    facts.set(qualifiedName(table), {
      exists: true,
      columns: row.columns,
      // format_type without a modifier: 'timestamp with time zone', 'bigint', ... (domains by their own name).
      columnTypes: Object.fromEntries(row.columns.map((column, i) => [column, row.types[i]])),
      primaryKey: primary === undefined ? [] : primary.columns.filter((c): c is string => c !== null),
      indexes: indexes.rows.map((index): IndexFacts => ({
        name: index.name,
        columns: index.columns,
        unusable: !index.valid
          ? 'invalid (a failed CREATE INDEX CONCURRENTLY?)'
          : index.partial
            ? 'partial (it has a WHERE clause)'
            : index.method !== 'btree'
              ? `a ${index.method} index`
              : undefined,
      })),
      readerCanSelect: row.can_select,
      replicaIdentity: REPLICA_IDENTITY[row.replident] ?? 'default',
    });
  }
  return facts;
}

export async function fetchPostgresDmsFacts(
  client: Client,
  heartbeatSchema: string,
): Promise<PostgresDmsFacts> {
  const { rows } = await client.query<{
    user: string;
    wal_level: string;
    rds_logical_replication: string | null;
    superuser: boolean;
    replication: boolean;
    rds_replication: boolean | null;
    max_replication_slots: number;
    slots: string[];
    inactive_slots: string[];
    max_wal_senders: number;
    wal_senders: number;
    wal_sender_timeout_ms: number;
  }>(
    `SELECT current_user AS user,
            current_setting('wal_level') AS wal_level,
            current_setting('rds.logical_replication', true) AS rds_logical_replication,
            r.rolsuper AS superuser, r.rolreplication AS replication,
            CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication')
                 THEN pg_has_role(current_user, 'rds_replication', 'MEMBER') END AS rds_replication,
            current_setting('max_replication_slots')::int AS max_replication_slots,
            ARRAY(SELECT slot_name::text FROM pg_replication_slots ORDER BY slot_name) AS slots,
            ARRAY(SELECT slot_name::text FROM pg_replication_slots
                  WHERE slot_type = 'logical' AND NOT active ORDER BY slot_name) AS inactive_slots,
            current_setting('max_wal_senders')::int AS max_wal_senders,
            (SELECT count(*) FROM pg_stat_replication)::int AS wal_senders,
            (SELECT setting::int FROM pg_settings WHERE name = 'wal_sender_timeout') AS wal_sender_timeout_ms
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const row = rows[0];
  return {
    user: row.user,
    walLevel: row.wal_level,
    rdsLogicalReplication: row.rds_logical_replication === '' ? null : row.rds_logical_replication,
    superuser: row.superuser,
    replicationAttribute: row.replication,
    rdsReplicationMember: row.rds_replication,
    maxReplicationSlots: row.max_replication_slots,
    replicationSlots: row.slots,
    inactiveLogicalSlots: row.inactive_slots,
    maxWalSenders: row.max_wal_senders,
    activeWalSenders: row.wal_senders,
    walSenderTimeoutMs: row.wal_sender_timeout_ms,
    heartbeat: await fetchHeartbeatSchemaFacts(client, heartbeatSchema),
  };
}

async function fetchHeartbeatSchemaFacts(client: Client, schema: string): Promise<HeartbeatSchemaFacts> {
  const { rows } = await client.query<{
    exists: boolean;
    can_use: boolean;
    can_create: boolean;
    table_exists: boolean;
    can_write_table: boolean;
  }>(
    `SELECT n.oid IS NOT NULL AS exists,
            COALESCE(has_schema_privilege(n.oid, 'USAGE'), false) AS can_use,
            COALESCE(has_schema_privilege(n.oid, 'CREATE'), false) AS can_create,
            t.oid IS NOT NULL AS table_exists,
            COALESCE(has_table_privilege(t.oid, 'INSERT') AND has_table_privilege(t.oid, 'UPDATE'), false) AS can_write_table
       FROM (SELECT $1::name AS nspname) wanted
       LEFT JOIN pg_namespace n ON n.nspname = wanted.nspname
       LEFT JOIN pg_class t ON t.relnamespace = n.oid AND t.relname = 'awsdms_heartbeat'`,
    [schema],
  );
  const row = rows[0];
  return {
    schema,
    exists: row.exists,
    canUse: row.can_use,
    canCreate: row.can_create,
    tableExists: row.table_exists,
    canWriteTable: row.can_write_table,
  };
}

/** Whether the current user may SELECT each table (undefined for a table that does not exist). */
export async function fetchPostgresSelectPrivileges(
  client: Client,
  tables: readonly TableRef[],
): Promise<Map<string, boolean | undefined>> {
  const result = new Map<string, boolean | undefined>();
  for (const table of tables) {
    const { rows } = await client.query<{ can_select: boolean }>(
      `SELECT has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT') AS can_select
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
      [table.schema, table.name],
    );
    result.set(qualifiedName(table), rows[0]?.can_select);
  }
  return result;
}
