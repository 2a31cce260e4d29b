import { spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './app-process';
import { acceptsConnections } from './ports';
import { postgresOsUser } from './postgres-cluster';

export const PGBOUNCER_BINARY = '/usr/sbin/pgbouncer';

export interface PgBouncerOptions {
  /** Server connections per database and user: what the shared PostgreSQL sees of the app. */
  poolSize?: number;
}

/**
 * A PgBouncer owned by one test, in transaction pooling mode, on a free loopback port with its
 * files under /tmp, in front of one PostgreSQL server (trust authentication, every database).
 * PgBouncer refuses to run as root: as root it runs as the `postgres` OS user.
 */
export class TestPgBouncer {
  private process: ChildProcess | null = null;
  private output = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(
    server: { host: string; port: number; user: string; password: string },
    options: PgBouncerOptions = {},
  ): Promise<TestPgBouncer> {
    const dir = await mkdtemp(join(tmpdir(), 'chatbot-test-pgbouncer-'));
    const bouncer = new TestPgBouncer(dir, await freePort());
    const poolSize = options.poolSize ?? 10;
    // Clients are trusted; PgBouncer logs in to the server with this password when it asks for one.
    await writeFile(join(dir, 'userlist.txt'), `"${server.user}" "${server.password}"\n`);
    await writeFile(
      join(dir, 'pgbouncer.ini'),
      [
        '[databases]',
        // Every database of the run (one per test file), by the name the client asks for.
        `* = host=${server.host} port=${server.port}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${bouncer.port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${join(dir, 'userlist.txt')}`,
        'pool_mode = transaction',
        `default_pool_size = ${poolSize}`,
        `max_db_connections = ${poolSize}`,
        'max_client_conn = 500',
        // Give connections back to the shared server soon after a test file is done with them.
        'server_idle_timeout = 5',
        '',
      ].join('\n'),
    );
    const user = process.getuid?.() === 0 ? await postgresOsUser() : undefined;
    if (user) await chown(dir, user.uid, user.gid);
    await bouncer.launch(user);
    return bouncer;
  }

  get endpoint(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port };
  }

  /** What PgBouncer logged (to stderr): for a failure message. */
  log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // SIGTERM: immediate shutdown, open client and server connections closed.
      child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }

  private async launch(user: { uid: number; gid: number } | undefined): Promise<void> {
    const child = spawn(PGBOUNCER_BINARY, [join(this.dir, 'pgbouncer.ini')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...user,
    });
    this.process = child;
    child.stderr?.on('data', (chunk) => (this.output += chunk));
    const deadline = Date.now() + 10_000;
    while (!(await acceptsConnections(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await this.stop();
        throw new Error(`pgbouncer did not start on ${this.port}:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
