import { definedIn } from '../provenance';
import type { EnvironmentConfigInput } from '../schema';

type SourceInput = EnvironmentConfigInput['sources'][number];

/**
 * trackman-backend: the same tables in every environment; only where the
 * database is and how we reach it differ.
 */
export function trackmanBackend(
  where: Pick<SourceInput, 'host' | 'credentialsSecretArn' | 'securityGroupId'> &
    Partial<Pick<SourceInput, 'readReplicaHost' | 'credentialsKmsKeyArn' | 'replication' | 'maxConnections'>>,
): SourceInput {
  const source: SourceInput = {
    name: 'trackman-backend',
    engine: 'postgres',
    port: 5432,
    database: 'trackman',
    ...where,
    tables: [
      {
        schema: 'public',
        name: 'sessions',
        primaryKey: ['id'],
        lake: { mode: 'incremental', bookmarkKeys: ['updated_at', 'id'], bookmarkKind: 'update-timestamp' },
        replicate: true,
      },
      {
        schema: 'public',
        name: 'shots',
        primaryKey: ['id'],
        lake: { mode: 'incremental', bookmarkKeys: ['id'], bookmarkKind: 'increasing-key' },
        replicate: true,
      },
      {
        schema: 'public',
        name: 'players',
        primaryKey: ['id'],
        lake: { mode: 'incremental', bookmarkKeys: ['updated_at', 'id'], bookmarkKind: 'update-timestamp' },
        replicate: true,
      },
      {
        schema: 'public',
        name: 'facilities',
        primaryKey: ['id'],
        lake: { mode: 'snapshot' },
        replicate: false,
      },
    ],
  };
  // Config errors in these fields name this file; those in `where` name the caller's.
  return definedIn(__filename, source, { except: Object.keys(where) });
}
