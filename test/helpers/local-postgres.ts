import { Client } from 'pg';

/**
 * Runs `sql` (one or more statements) in `database` on the machine's shared PostgreSQL server
 * (127.0.0.1:5432, user postgres, trust authentication), on a connection of its own.
 */
export async function runOnLocalPostgres(database: string, sql: string): Promise<void> {
  const client = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
