import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildConfig } from '../../src/config/load-config';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { freePort } from './app-process';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL cluster owned by one test, under /tmp on a free loopback port, that the test may
 * stop and start again (never the shared server). PostgreSQL refuses to run as root, so as root it
 * runs as the `postgres` OS user.
 */
export class PostgresCluster {
  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly runAs: string[],
  ) {}

  static async create(extraConfig: string[] = []): Promise<PostgresCluster> {
    const cluster = await PostgresCluster.allocate();
    await cluster.exec('initdb', [
      '-D',
      join(cluster.dataDir, 'data'),
      '-A',
      'trust',
      '-U',
      'postgres',
      '--locale=C.UTF-8',
      '--encoding=UTF8',
    ]);
    cluster.configLines = extraConfig;
    await cluster.start();
    return cluster;
  }

  /**
   * A hot standby streaming from `primary`, copied with `pg_basebackup -R` (which writes the
   * `primary_conninfo` and `standby.signal`). The primary's defaults allow it: `wal_level` replica,
   * ten WAL senders, and initdb's trust line for replication from 127.0.0.1.
   */
  static async standbyOf(
    primary: PostgresCluster,
    extraConfig: string[] = [],
  ): Promise<PostgresCluster> {
    const standby = await PostgresCluster.allocate();
    await standby.exec('pg_basebackup', [
      ...['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres'],
      ...['-D', join(standby.dataDir, 'data'), '-R', '-X', 'stream', '-c', 'fast'],
    ]);
    standby.configLines = extraConfig;
    await standby.start();
    return standby;
  }

  /** A data directory owned by the user the server will run as, and a free port. */
  private static async allocate(): Promise<PostgresCluster> {
    const dataDir = await mkdtemp(join(tmpdir(), 'chatbot-test-cluster-'));
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      const { uid, gid } = await postgresOsUser();
      await chown(dataDir, uid, gid);
    }
    return new PostgresCluster(
      dataDir,
      await freePort(),
      asRoot ? ['runuser', '-u', 'postgres', '--'] : [],
    );
  }

  private configLines: string[] = [];

  get endpoint(): { host: string; port: number; user: string; password: string } {
    return { host: '127.0.0.1', port: this.port, user: 'postgres', password: '' };
  }

  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      `-k ${this.dataDir}`,
      "-c listen_addresses='127.0.0.1'",
      ...this.configLines,
    ].join(' ');
    await this.exec('pg_ctl', [
      '-D',
      join(this.dataDir, 'data'),
      '-o',
      options,
      '-l',
      join(this.dataDir, 'log'),
      '-w',
      'start',
    ]);
  }

  /** Restarts with other settings (TLS certificates, say). */
  async restart(configLines: string[]): Promise<void> {
    await this.stop();
    this.configLines = configLines;
    await this.start();
  }

  /** Runs SQL through psql as the superuser, with psql variables (`-v name=value`). */
  async psql(database: string, args: string[]): Promise<string> {
    const { stdout } = await run(
      'psql',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(this.port),
        '-U',
        'postgres',
        '-d',
        database,
        '-X',
        '-q',
        ...args,
      ],
      { timeout: 30_000 },
    );
    return stdout;
  }

  /** Fast shutdown: sessions are cut, as in a crash or a failover. */
  async stop(): Promise<void> {
    await this.exec('pg_ctl', ['-D', join(this.dataDir, 'data'), '-m', 'fast', '-w', 'stop']);
  }

  async createDatabase(name: string): Promise<void> {
    const admin = new Client({ ...this.endpoint, database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
  }

  /** Creates a database (unless told it exists) and runs the app's migrations in it as `user`. */
  async createMigratedDatabase(name: string, user = 'postgres', exists = false): Promise<void> {
    if (!exists) await this.createDatabase(name);
    const config = buildConfig({
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(this.port),
      POSTGRES_DB: name,
      POSTGRES_USER: user,
    });
    const dataSource = new DataSource(buildDataSourceOptions(config.postgres));
    await dataSource.initialize();
    await dataSource.runMigrations();
    await dataSource.destroy();
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    await rm(this.dataDir, { recursive: true, force: true });
  }

  private async exec(binary: string, args: string[]): Promise<void> {
    const [command, ...prefix] = this.runAs.length > 0 ? this.runAs : [join(BIN, binary)];
    const commandArgs = this.runAs.length > 0 ? [...prefix, join(BIN, binary), ...args] : args;
    await run(command, commandArgs, { timeout: 60_000 });
  }
}

/** The `postgres` OS user, which servers refusing to run as root run as. */
export async function postgresOsUser(): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  return { uid, gid };
}
