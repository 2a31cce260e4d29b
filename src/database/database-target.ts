import type { PostgresConfig } from '../config/app-config';
import { createDatabaseIfMissing } from './create-database';
import { endpointOf } from './data-source-options';
import { startEmbeddedPostgres, type DatabaseEndpoint } from './embedded-postgres';

export interface DatabaseTarget {
  endpoint: DatabaseEndpoint;
  /** How the boot log names it: never a password. */
  description: string;
  stop(): Promise<void>;
}

/** The configured server, or (POSTGRES_HOST unset) an embedded PostgreSQL started for this process. */
export async function openDatabaseTarget(
  config: PostgresConfig,
  log: (line: string) => void,
): Promise<DatabaseTarget> {
  if (config.host) {
    const endpoint = endpointOf(config);
    return {
      endpoint,
      description: `PostgreSQL at ${endpoint.host}:${endpoint.port}/${endpoint.database}`,
      stop: async () => undefined,
    };
  }
  const embedded = await startEmbeddedPostgres(config.dataDir, config.database, log);
  try {
    await createDatabaseIfMissing(config, embedded.endpoint);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  return {
    endpoint: embedded.endpoint,
    description: `embedded PostgreSQL under ${config.dataDir} (127.0.0.1:${embedded.endpoint.port}/${config.database})`,
    stop: embedded.stop,
  };
}
