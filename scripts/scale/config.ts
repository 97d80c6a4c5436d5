/**
 * The scale harness's config: the shipped prod environment with its table
 * list replaced by a generated one of N tables over two sources, roughly 5:1
 * between trackman-backend (PostgreSQL) and a MySQL source. Everything else
 * (network, replication, budgets, ingestion settings) is prod's own, so the
 * harness measures what prod would deploy at that size.
 *
 * The list is deterministic and grows by appending: the first N tables of
 * `scaleConfig(N + 1)` are the tables of `scaleConfig(N)`, so two sizes can be
 * diffed to see what adding one table changes.
 */
import { ENVIRONMENTS, type EnvironmentConfigInput } from '../../lib/config';

type SourceInput = EnvironmentConfigInput['sources'][number];
type TableInput = SourceInput['tables'][number];

/** The MySQL source's name; prod's PostgreSQL source keeps its own. */
export const SCALE_MYSQL_SOURCE = 'booking-service';

/** Every sixth table goes to the MySQL source (5:1). */
const MYSQL_EVERY = 6;

/** The i-th generated table (0-based): read modes cycle, two of three tables replicate. */
export function scaleTable(i: number, schema: string): TableInput {
  const name = `t${String(i).padStart(4, '0')}_events`;
  const replicate = i % 3 !== 2;
  switch (i % 4) {
    case 0:
    case 1:
      return {
        schema,
        name,
        primaryKey: ['id'],
        lake: { mode: 'incremental', bookmarkKeys: ['updated_at', 'id'], bookmarkKind: 'update-timestamp' },
        replicate,
      };
    case 2:
      return {
        schema,
        name,
        primaryKey: ['id'],
        lake: { mode: 'incremental', bookmarkKeys: ['id'], bookmarkKind: 'increasing-key' },
        replicate,
      };
    default:
      return { schema, name, primaryKey: ['id'], lake: { mode: 'snapshot' }, replicate };
  }
}

/** Prod with `tables` generated tables over its PostgreSQL source and a MySQL source. */
export function scaleConfig(tables: number): EnvironmentConfigInput {
  if (!Number.isInteger(tables) || tables < 2) {
    throw new Error(`tables: expected a whole number of at least 2 (one per source), received ${tables}`);
  }
  const prod = structuredClone(ENVIRONMENTS.prod);
  const [backend] = prod.sources;
  const postgres: TableInput[] = [];
  const mysql: TableInput[] = [];
  for (let i = 0; i < tables; i++) {
    if (i % MYSQL_EVERY === MYSQL_EVERY - 1) mysql.push(scaleTable(i, 'booking'));
    else postgres.push(scaleTable(i, 'public'));
  }
  const booking: SourceInput = {
    name: SCALE_MYSQL_SOURCE,
    engine: 'mysql',
    port: 3306,
    database: 'booking',
    host: 'booking.cluster-example.eu-west-1.rds.amazonaws.com',
    credentialsSecretArn: `arn:aws:secretsmanager:${prod.region}:${prod.account}:secret:booking/lake-reader-MnOpQr`,
    securityGroupId: 'sg-0aaaabbbbccccdddd',
    replication: {
      credentialsSecretArn: `arn:aws:secretsmanager:${prod.region}:${prod.account}:secret:booking/dms-source-QrStUv`,
    },
    tables: mysql,
  };
  // At 2 tables the MySQL source would be empty: give it the last one.
  if (mysql.length === 0) booking.tables = [postgres.pop()!];
  return { ...prod, sources: [{ ...backend, tables: postgres }, booking] };
}
