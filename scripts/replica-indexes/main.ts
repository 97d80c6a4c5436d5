/**
 * `npm run replica-indexes -- --env <name>`: the SQL that creates, on dataengineering-db, the
 * indexes the freshness probe reads by (lib/config/replica-indexes.ts). Returns the exit code:
 * 0 printed, 2 the command line, the environment or its config is wrong (one line each).
 */
import { parseArgs } from 'node:util';
import { ConfigError, configErrorLines, ENVIRONMENTS, type EnvironmentRegistry } from '../../lib/config';
import { replicaIndexes } from '../../lib/config/replica-indexes';
import { environmentNamed, UsageError } from '../cli';

export const USAGE = `Usage: npm run replica-indexes -- --env <name>

Prints the SQL that creates, on dataengineering-db, the indexes the freshness probe reads by.
Run it once a table's first full load has finished (psql -f, outside a transaction block).

  --env <name>      the environment (lib/config/index.ts ENVIRONMENTS)
  -h, --help        show this text

Exit codes: 0 printed, 2 the command line, the environment or its config is wrong.`;

/** The probe's indexes that a failed CONCURRENTLY build left invalid (pg_index.indisvalid). */
export const INVALID_INDEXES_SQL =
  "SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid AND indexrelid::regclass::text LIKE '%\\_probe\\_idx%';";

export interface Io {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

function envOption(argv: readonly string[]): string | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { env: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    // parseArgs names the argument; keep its first sentence only.
    throw new UsageError(`${(error as Error).message.split('\n')[0]}; expected --env <name>`);
  }
  if (parsed.values.help === true) return undefined;
  const env = parsed.values.env;
  if (env === undefined || env === '')
    throw new UsageError('--env: expected an environment name, received nothing');
  return env;
}

export function main(argv: readonly string[], io: Io, registry: EnvironmentRegistry = ENVIRONMENTS): number {
  try {
    const env = envOption(argv);
    if (env === undefined) {
      io.stdout(USAGE);
      return 0;
    }
    const config = environmentNamed(env, registry);
    const indexes = replicaIndexes(config);
    io.stdout(
      `-- Indexes the freshness probe reads by on dataengineering-db (${config.name}), from lib/config.`,
    );
    if (indexes.length === 0) {
      io.stdout(
        config.replication.enabled
          ? '-- None: every replicated table is read by a column its primary key index leads.'
          : '-- None: replication is off in this environment.',
      );
      return 0;
    }
    io.stdout(
      '-- CONCURRENTLY builds each index without blocking DMS; it cannot run inside a transaction block.',
    );
    io.stdout(
      '-- A build that fails leaves an invalid index, which IF NOT EXISTS then skips: list them with',
    );
    io.stdout(`--   ${INVALID_INDEXES_SQL}`);
    io.stdout('-- and DROP INDEX CONCURRENTLY each before running this file again.');
    for (const index of indexes) {
      io.stdout(`-- ${index.schema}.${index.table}.${index.column}: ${index.reason}`);
      io.stdout(index.statement);
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`replica-indexes: ${error.message}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      for (const line of configErrorLines([error])) io.stderr(line);
      return 2;
    }
    throw error;
  }
}
