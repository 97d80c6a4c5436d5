/**
 * Configs, environments and helpers for the preflight tests: a dev-like
 * environment (test/fixtures/configs.ts) whose one source is the database a
 * test made, reached through PREFLIGHT_<SOURCE>_HOST/_PORT.
 */
import type { EnvironmentConfig, EnvironmentConfigInput } from '../../../lib/config';
import { validateConfig } from '../../../lib/config';
import type { CheckResult } from '../../../scripts/preflight/findings';
import { main } from '../../../scripts/preflight/main';
import type { SecretReader } from '../../../scripts/preflight/secrets';
import { envPrefix } from '../../../scripts/preflight/source-env';
import { copyOf, devLike } from '../../fixtures/configs';

type SourceInput = EnvironmentConfigInput['sources'][number];
export type TableInput = SourceInput['tables'][number];

/** The name the test servers' certificates carry; configs use it as the source host. */
export const SERVER_NAME = 'db.preflight.test';

export function incremental(
  name: string,
  schema: string,
  bookmarkKeys: string[],
  extra: Partial<TableInput> = {},
): TableInput {
  return {
    schema,
    name,
    primaryKey: ['id'],
    lake: {
      mode: 'incremental',
      bookmarkKeys,
      bookmarkKind: bookmarkKeys.length === 1 ? 'increasing-key' : 'update-timestamp',
    },
    replicate: false,
    ...extra,
  };
}

export function snapshot(name: string, schema: string, extra: Partial<TableInput> = {}): TableInput {
  return { schema, name, primaryKey: ['id'], lake: { mode: 'snapshot' }, replicate: false, ...extra };
}

/** A dev environment whose single source is `source`. */
export function environmentWith(
  source: Pick<SourceInput, 'name' | 'engine' | 'database' | 'tables'> & Partial<SourceInput>,
): EnvironmentConfigInput {
  const config = copyOf(devLike);
  const base = config.sources[0];
  config.sources = [
    {
      ...base,
      host: SERVER_NAME,
      port: source.engine === 'postgres' ? 5432 : 3306,
      replication: base.replication,
      ...source,
    },
  ];
  // All tables in one round of the workflow, so a long test table list stays within the lake SLO budget.
  config.ingestion = { ...config.ingestion, maxConcurrency: 40 };
  return config;
}

export function load(input: EnvironmentConfigInput): EnvironmentConfig {
  return validateConfig(input, input.name as string);
}

export interface Login {
  readonly user: string;
  readonly password?: string;
}

/** PREFLIGHT_<SOURCE>_* variables: where to connect and as whom. */
export function envFor(
  sourceName: string,
  where: { readonly host?: string; readonly port: number },
  reader?: Login,
  dms?: Login,
): Record<string, string> {
  const prefix = envPrefix(sourceName);
  const env: Record<string, string> = {
    [`${prefix}_HOST`]: where.host ?? '127.0.0.1',
    [`${prefix}_PORT`]: String(where.port),
  };
  if (reader !== undefined) {
    env[`${prefix}_READER_USER`] = reader.user;
    if (reader.password !== undefined) env[`${prefix}_READER_PASSWORD`] = reader.password;
  }
  if (dms !== undefined) {
    env[`${prefix}_DMS_USER`] = dms.user;
    if (dms.password !== undefined) env[`${prefix}_DMS_PASSWORD`] = dms.password;
  }
  return env;
}

/** A secret reader for runs that must not reach Secrets Manager. */
export const noSecrets: SecretReader = (arn) => Promise.reject(new Error(`test read secret ${arn}`));

export interface MainRun {
  readonly code: number;
  readonly stdout: string[];
  readonly stderr: string[];
}

export async function runMain(
  config: EnvironmentConfigInput,
  argv: readonly string[],
  env: Record<string, string>,
  readSecret: SecretReader = noSecrets,
): Promise<MainRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(argv, {
    env,
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    readSecret,
    registry: { [config.name as string]: config },
  });
  return { code, stdout, stderr };
}

/** The one result of a check (for a table, or server-wide); fails the test when there is none or several. */
export function resultOf(results: readonly CheckResult[], check: string, table?: string): CheckResult {
  const found = results.filter((r) => r.check === check && r.table === table);
  if (found.length !== 1) {
    throw new Error(
      `expected one ${check} result${table === undefined ? '' : ` for ${table}`}, found ${found.length} in:\n` +
        results
          .map((r) => `  ${r.check} ${r.table ?? '-'} ${r.passed ? 'PASS' : 'FAIL'} ${r.detail}`)
          .join('\n'),
    );
  }
  return found[0];
}

/** Every check name that failed, as `check` or `check table`. */
export function failures(results: readonly CheckResult[]): string[] {
  return results
    .filter((r) => !r.passed)
    .map((r) => (r.table === undefined ? r.check : `${r.check} ${r.table}`));
}
