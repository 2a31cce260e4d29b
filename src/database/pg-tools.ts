import { spawn } from 'node:child_process';
import type { PostgresConfig } from '../config/app-config';
import type { DatabaseEndpoint } from './embedded-postgres';

const LIBPQ_SSL_MODES = {
  disable: 'disable',
  require: 'require',
  'verify-full': 'verify-full',
} as const;

/**
 * The environment that points pg_dump and pg_restore at the configured database, with the same
 * TLS mode as the app. The password travels in PGPASSWORD, never on a command line.
 */
export function libpqEnvironment(
  config: PostgresConfig,
  endpoint: DatabaseEndpoint,
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    PGHOST: endpoint.host,
    PGPORT: String(endpoint.port),
    PGUSER: endpoint.user,
    PGDATABASE: endpoint.database,
    ...(endpoint.password ? { PGPASSWORD: endpoint.password } : {}),
    PGSSLMODE: LIBPQ_SSL_MODES[config.sslMode],
    ...(config.sslCaPath ? { PGSSLROOTCERT: config.sslCaPath } : {}),
    PGCONNECT_TIMEOUT: '5',
  };
}

/** Runs a PostgreSQL client tool; resolves with its exit code and what it wrote to stderr. */
export function runPgTool(
  binary: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(binary, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', (error) => resolve({ code: 127, stderr: `${binary}: ${error.message}` }));
    child.once('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

/**
 * How db:restore and the restore drill run pg_restore into `database`: all or nothing, owned by
 * the restoring role, stopping at the first error.
 */
export function restoreArguments(database: string): string[] {
  return [
    '--no-owner',
    '--no-password',
    '--exit-on-error',
    '--single-transaction',
    `--dbname=${database}`,
  ];
}
