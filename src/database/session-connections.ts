import { Client } from 'pg';
import type { PostgresConfig } from '../config/app-config';
import { poolTimeouts, sslOptions } from './data-source-options';
import type { DatabaseEndpoint } from './embedded-postgres';

/**
 * Builds a connection of its own, outside the pool, for what needs a session that lasts (an
 * advisory lock): behind PgBouncer in transaction mode a pooled connection is not one session.
 * The one place that decides where such a connection goes (today the service's own endpoint).
 */
export function createSessionClient(
  config: PostgresConfig,
  endpoint: DatabaseEndpoint,
  purpose: string,
): Client {
  const timeouts = poolTimeouts(config.statementTimeoutMs);
  return new Client({
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.user,
    password: endpoint.password,
    database: endpoint.database,
    ssl: sslOptions(config),
    application_name: `model-chatbot-nestjs:${purpose}`,
    connectionTimeoutMillis: timeouts.connectionTimeoutMs,
    statement_timeout: timeouts.statementTimeoutMs,
    lock_timeout: timeouts.lockTimeoutMs,
    query_timeout: timeouts.statementTimeoutMs + 1000,
    keepAlive: true,
  });
}

/** Opens session connections to the database the app uses (see `createSessionClient`). */
export class SessionConnections {
  constructor(
    private readonly config: PostgresConfig,
    private readonly endpoint: DatabaseEndpoint,
  ) {}

  async open(purpose: string): Promise<Client> {
    const client = createSessionClient(this.config, this.endpoint, purpose);
    // A connection lost while idle is reported here; unheard, it would end the process.
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }
}
