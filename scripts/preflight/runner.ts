/**
 * Runs the checks of one source: logs in as the lake reader (server-wide
 * reader checks and every configured table), then, when the source has
 * tables with replicate: true and replication is enabled, as the DMS user
 * (server settings for change data capture, its privileges, SELECT on the
 * replicated tables). Whatever goes wrong becomes a failed check, never an
 * exception: the report always shows every source.
 */
import type { EnvironmentConfig, SourceConfig, TableConfig } from '../../lib/config';
import { connectErrorText, describeTarget, type ConnectTarget, type TlsSettings } from './connection';
import { errorText, fail, pass, type CheckResult, type Finding } from './findings';
import { mysqlDmsFindings, mysqlReaderFindings } from './mysql-checks';
import {
  connectMysql,
  fetchMysqlDmsFacts,
  fetchMysqlReaderFacts,
  fetchMysqlSelectPrivileges,
  fetchMysqlTableFacts,
} from './mysql-facts';
import { DMS_HEARTBEAT_SCHEMA, postgresDmsFindings, postgresReaderFindings } from './postgres-checks';
import {
  connectPostgres,
  fetchPostgresDmsFacts,
  fetchPostgresReaderFacts,
  fetchPostgresSelectPrivileges,
  fetchPostgresTableFacts,
} from './postgres-facts';
import { dmsSecretFinding, type SecretReader } from './secrets';
import { addressFromEnv, credentialsFromEnv, ROLE_NAMES, type Credentials, type Role } from './source-env';
import {
  dmsSelectFinding,
  MISSING_TABLE,
  qualifiedName,
  tableFindings,
  type TableFacts,
} from './table-checks';

export interface RunnerDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readSecret: SecretReader;
  /** Connect without TLS; main() allows it only for loopback addresses. */
  readonly insecureLocal: boolean;
  /** CAs to trust (Node's own plus --ca-file); undefined for Node's own. */
  readonly ca?: readonly string[];
}

export interface SourceReport {
  readonly results: CheckResult[];
  /** Checks that were not run, and why. */
  readonly notes: string[];
}

/** A logged-in session of either engine, with the fetch-and-judge steps the runner needs. */
interface Session {
  readonly user: string;
  readerFindings(
    tables: readonly TableConfig[],
  ): Promise<{ findings: Finding[]; tables: Map<string, TableFacts> }>;
  dmsFindings(tables: readonly TableConfig[]): Promise<Finding[]>;
  close(): Promise<void>;
}

async function openPostgres(target: ConnectTarget): Promise<Session> {
  const client = await connectPostgres(target);
  try {
    const reader = await fetchPostgresReaderFacts(client);
    return {
      user: reader.user,
      async readerFindings(tables) {
        return {
          findings: postgresReaderFindings(reader),
          tables: await fetchPostgresTableFacts(client, tables),
        };
      },
      async dmsFindings(tables) {
        const facts = await fetchPostgresDmsFacts(client, DMS_HEARTBEAT_SCHEMA);
        const select = await fetchPostgresSelectPrivileges(client, tables);
        return [
          ...postgresDmsFindings(facts),
          ...tables.flatMap((t) => dmsSelectFinding(t, select.get(qualifiedName(t)), facts.user)),
        ];
      },
      close: () => client.end(),
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

async function openMysql(target: ConnectTarget): Promise<Session> {
  const connection = await connectMysql(target);
  try {
    const reader = await fetchMysqlReaderFacts(connection);
    return {
      user: reader.user,
      async readerFindings(tables) {
        return {
          findings: mysqlReaderFindings(reader),
          tables: await fetchMysqlTableFacts(connection, tables),
        };
      },
      async dmsFindings(tables) {
        const facts = await fetchMysqlDmsFacts(connection);
        const select = await fetchMysqlSelectPrivileges(connection, tables);
        return [
          ...mysqlDmsFindings(facts),
          ...tables.flatMap((t) => dmsSelectFinding(t, select.get(qualifiedName(t)), facts.user)),
        ];
      },
      close: () => connection.end(),
    };
  } catch (error) {
    connection.destroy();
    throw error;
  }
}

function open(source: SourceConfig, target: ConnectTarget): Promise<Session> {
  return source.engine === 'postgres' ? openPostgres(target) : openMysql(target);
}

/** Why DMS checks do not apply to a source, or undefined when they do. */
export function dmsNotNeeded(config: EnvironmentConfig, source: SourceConfig): string | undefined {
  if (!config.replication.enabled) return 'replication.enabled is false';
  if (!source.tables.some((table) => table.replicate)) return 'no table has replicate: true';
  return undefined;
}

export async function preflightSource(
  config: EnvironmentConfig,
  source: SourceConfig,
  deps: RunnerDeps,
): Promise<SourceReport> {
  const findings: Finding[] = [];
  const notes: string[] = [];
  const tls: TlsSettings | undefined = deps.insecureLocal
    ? undefined
    : { serverName: source.host, ca: deps.ca };
  const address = addressFromEnv(deps.env, source.name, { host: source.host, port: source.port });

  /** Credentials of a role, or a failed connect finding saying why there are none. */
  const credentials = async (role: Role, secretArn: string | undefined): Promise<Credentials | Finding> => {
    const fromEnv = credentialsFromEnv(deps.env, source.name, role);
    if (fromEnv !== undefined) return fromEnv;
    if (secretArn === undefined) {
      return fail(
        `${role}-connect`,
        `no credentials for the ${ROLE_NAMES[role]}: no secret in the config and none in the environment`,
      );
    }
    try {
      const secret = await deps.readSecret(secretArn);
      if (role === 'dms') findings.push(dmsSecretFinding(source, secretArn, secret));
      return { username: secret.username, password: secret.password, from: secretArn };
    } catch (error) {
      return fail(
        `${role}-connect`,
        `could not read the ${ROLE_NAMES[role]}'s secret ${secretArn}: ${errorText(error)}`,
      );
    }
  };

  /** Logs in as a role; records the connect finding either way. */
  const login = async (role: Role, secretArn: string | undefined): Promise<Session | undefined> => {
    const found = await credentials(role, secretArn);
    if ('check' in found) {
      findings.push(found);
      return undefined;
    }
    const target: ConnectTarget = {
      ...address,
      database: source.database,
      user: found.username,
      password: found.password,
      tls,
    };
    try {
      const session = await open(source, target);
      findings.push(pass(`${role}-connect`, `${describeTarget(target)} (credentials from ${found.from})`));
      return session;
    } catch (error) {
      findings.push(
        fail(`${role}-connect`, `${ROLE_NAMES[role]} ${found.username}: ${connectErrorText(error, target)}`),
      );
      return undefined;
    }
  };

  /** Runs a step of a session; a query that fails becomes a failed finding named after the role. */
  const step = async <T>(role: Role, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (error) {
      findings.push(fail(`${role}-queries`, `a catalog query failed: ${errorText(error)}`));
      return undefined;
    }
  };

  let tableFacts: Map<string, TableFacts> | undefined;
  const reader = await login('reader', source.credentialsSecretArn);
  if (reader !== undefined) {
    const read = await step('reader', () => reader.readerFindings(source.tables));
    if (read !== undefined) {
      tableFacts = read.tables;
      findings.push(...read.findings);
      for (const table of source.tables) {
        findings.push(
          ...tableFindings(
            source.engine,
            table,
            read.tables.get(qualifiedName(table)) ?? MISSING_TABLE,
            reader.user,
          ),
        );
      }
    }
    await reader.close().catch(() => undefined);
  } else {
    notes.push(`${source.name}: table checks not run: the lake reader could not log in`);
  }

  const skipDms = dmsNotNeeded(config, source);
  if (skipDms !== undefined) {
    notes.push(`${source.name}: DMS checks not run: ${skipDms}`);
  } else {
    const dms = await login('dms', source.replication?.credentialsSecretArn);
    if (dms !== undefined) {
      // A table the reader found missing already failed table-exists.
      const replicated = source.tables.filter(
        (table) => table.replicate && (tableFacts?.get(qualifiedName(table))?.exists ?? true),
      );
      const dmsFindings = await step('dms', () => dms.dmsFindings(replicated));
      if (dmsFindings !== undefined) findings.push(...dmsFindings);
      await dms.close().catch(() => undefined);
    }
  }

  return { results: findings.map((finding) => ({ ...finding, source: source.name })), notes };
}
