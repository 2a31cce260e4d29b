import { Client } from 'pg';
import type { PostgresConfig } from '../config/app-config';
import { poolTimeouts, sslOptions } from './data-source-options';
import type { DatabaseEndpoint } from './embedded-postgres';

/** Creates the endpoint's database when missing; true when it did. */
export async function createDatabaseIfMissing(
  config: PostgresConfig,
  endpoint: DatabaseEndpoint,
): Promise<boolean> {
  return withMaintenanceClient(config, endpoint, async (client) => {
    if (await exists(client, endpoint.database)) return false;
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(endpoint.database)}`);
      return true;
    } catch (error) {
      // A role without CREATEDB can still use a database its operator created.
      if ((error as { code?: string }).code === '42501') return false;
      throw error;
    }
  });
}

export function databaseExists(
  config: PostgresConfig,
  endpoint: DatabaseEndpoint,
): Promise<boolean> {
  return withMaintenanceClient(config, endpoint, (client) => exists(client, endpoint.database));
}

async function exists(client: Client, database: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
    database,
  ]);
  return rowCount !== 0;
}

/** A connection to the server's `postgres` database, where databases are created. */
async function withMaintenanceClient<T>(
  config: PostgresConfig,
  endpoint: DatabaseEndpoint,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({
    ...endpoint,
    database: 'postgres',
    connectionTimeoutMillis: poolTimeouts(config.statementTimeoutMs).connectionTimeoutMs,
    ssl: sslOptions(config),
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
