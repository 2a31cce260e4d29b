import { access } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import type { PostgresConfig } from '../config/app-config';
import { ConfigError, loadConfig } from '../config/load-config';
import { createDatabaseIfMissing } from '../database/create-database';
import { sessionEndpointOf, sslOptions } from '../database/data-source-options';
import { describeConnectionFailure } from '../database/database-errors';
import type { DatabaseEndpoint } from '../database/embedded-postgres';
import { libpqEnvironment, restoreArguments, runPgTool } from '../database/pg-tools';

const USAGE =
  'usage: npm run db:restore -- FILE [--clean]   (--clean replaces what the database holds)';

/**
 * Restores a db:backup archive into the configured database (created when missing), in one
 * transaction. A database that already holds tables is refused unless --clean is given.
 */
async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { clean: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const [file] = positionals;
  const config = loadConfig();
  if (!config.postgres.host) {
    console.error('db:restore needs POSTGRES_HOST: restore into a server you configured');
    return 1;
  }
  const endpoint = sessionEndpointOf(config.postgres);
  try {
    await access(file);
  } catch {
    console.error(`no such file: ${file}`);
    return 1;
  }
  const env = libpqEnvironment(config.postgres, endpoint);
  const listing = await runPgTool('pg_restore', ['--list', file], {
    ...env,
    PGDATABASE: undefined,
  });
  if (listing.code !== 0) {
    console.error(`${file} is not a pg_dump custom-format archive: ${listing.stderr.trim()}`);
    return 1;
  }
  try {
    await createDatabaseIfMissing(config.postgres, endpoint);
    const tables = await countTables(config.postgres, endpoint);
    if (tables > 0 && !values.clean) {
      console.error(
        `database ${endpoint.database} is not empty (${tables} tables): pass --clean to replace its contents`,
      );
      return 1;
    }
  } catch (error) {
    console.error(
      `cannot reach ${endpoint.host}:${endpoint.port}/${endpoint.database}: ${describeConnectionFailure(error)}`,
    );
    return 1;
  }
  const args = restoreArguments(endpoint.database);
  if (values.clean) args.push('--clean', '--if-exists');
  const { code, stderr } = await runPgTool('pg_restore', [...args, file], env);
  if (code !== 0) {
    console.error(
      `restore failed, nothing was changed (pg_restore exited ${code}): ${stderr.trim()}`,
    );
    return 1;
  }
  console.log(`restored ${file} into ${endpoint.database}`);
  return 0;
}

async function countTables(config: PostgresConfig, endpoint: DatabaseEndpoint): Promise<number> {
  const client = new Client({
    ...endpoint,
    ssl: sslOptions(config),
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`,
    );
    return rows[0].n;
  } finally {
    await client.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `${String(error)}\n${USAGE}`);
    process.exit(error instanceof ConfigError ? 1 : 2);
  },
);
