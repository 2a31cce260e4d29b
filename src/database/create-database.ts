import { Client } from 'pg';
import type { PostgresConfig } from '../config/app-config';
import { poolTimeouts, sslOptions } from './data-source-options';
import type { DatabaseEndpoint } from './embedded-postgres';

/** Creates the endpoint's database when missing; true when it did. */
export async function createDatabaseIfMissing(
  config: PostgresConfig,
  endpoint: DatabaseEndpoint,
): Promise<boolean> {
  const client = new Client({
    ...endpoint,
    database: 'postgres',
    connectionTimeoutMillis: poolTimeouts(config.statementTimeoutMs).connectionTimeoutMs,
    ssl: sslOptions(config),
  });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      endpoint.database,
    ]);
    if (rowCount !== 0) return false;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(endpoint.database)}`);
    return true;
  } catch (error) {
    // A role without CREATEDB can still use a database its operator created.
    if ((error as { code?: string }).code === '42501') return false;
    throw error;
  } finally {
    await client.end();
  }
}
