import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Client } from 'pg';
import { archiveFiles, parseArchiveName } from '../src/backup/archive-files';
import type { BackupManifest } from '../src/backup/backup-manifest';
import { ApiClient } from './support/api-client';
import { freePort } from './support/app-process';
import { seriesValues, TestNodeExporter } from './support/node-exporter';
import { PostgresCluster } from './support/postgres-cluster';
import { runCli, type CliResult } from './support/run-cli';
import { createTestDatabase } from './support/test-database';
import { startTestApp, type TestApp } from './support/test-app';
import { testEnvironment } from './support/test-environment';

const USER = 1601;
const ROLES_SQL = join(__dirname, '..', 'deploy', 'sql', 'roles.sql');

describe('npm run db:backup -- --verify: the restore drill', () => {
  const { postgres } = testEnvironment();
  let t: TestApp;
  let archive: string;
  const dirs: string[] = [];
  const newDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'chatbot-drill-'));
    dirs.push(dir);
    return dir;
  };
  const env = (database: string, extra: Record<string, string> = {}): Record<string, string> => ({
    POSTGRES_HOST: postgres.host,
    POSTGRES_PORT: String(postgres.port),
    POSTGRES_USER: postgres.user,
    POSTGRES_PASSWORD: postgres.password,
    POSTGRES_DB: database,
    ...extra,
  });
  const drill = (file: string, extra: Record<string, string> = {}): Promise<CliResult> =>
    runCli('db-backup.ts', ['--verify', file], env(t.db.name, extra));

  /** A copy of the archive and the files beside it, in a directory of its own, to damage. */
  async function copyOfArchive(): Promise<string> {
    const from = archiveFiles(archive);
    const to = archiveFiles(join(await newDir(), basename(archive)));
    for (const key of ['archive', 'checksum', 'manifest'] as const)
      await copyFile(from[key], to[key]);
    return to.archive;
  }

  async function scratchDatabasesLeft(database: string): Promise<string[]> {
    const admin = new Client({ ...postgres, database: 'postgres' });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE $1`,
        [`${database.slice(0, 40).replace(/_/g, '\\_')}\\_drill\\_%`],
      );
      return rows.map((row) => row.datname);
    } finally {
      await admin.end();
    }
  }

  async function countsIn(database: string): Promise<Record<string, number>> {
    const client = new Client({ ...postgres, database });
    await client.connect();
    try {
      const counts: Record<string, number> = {};
      const { rows: tables } = await client.query<{ name: string }>(
        `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
      );
      for (const table of tables.map((row) => row.name)) {
        const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${table}`);
        counts[`public.${table}`] = rows[0].n;
      }
      return counts;
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    t = await startTestApp();
    const api = await ApiClient.forUsers(t.http, [USER]);
    for (let i = 0; i < 3; i += 1) {
      const conversation = await api.createConversation(USER, {
        initial_message: `관세율 조회 ${i}`,
        metadata: { drill: i },
      });
      await api.append(USER, conversation.id, {
        role: 'assistant',
        content: `답변 ${i}`,
        agent_used: 'regulation_agent',
      });
    }
    const dir = await newDir();
    const backup = await runCli('db-backup.ts', ['--dir', dir], env(t.db.name));
    expect([backup.code, backup.stderr]).toEqual([0, '']);
    archive = join(
      dir,
      (await readdir(dir)).find((name) => name.endsWith('.dump'))!,
    );
  });

  afterAll(async () => {
    await t.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('passes on a good archive: the counts recorded at backup are those of the database, restored into a scratch database it drops', async () => {
    const manifest = JSON.parse(
      await readFile(archiveFiles(archive).manifest, 'utf8'),
    ) as BackupManifest;
    const counts = await countsIn(t.db.name);
    expect(counts['public.messages']).toBe(6);
    expect(manifest.tables).toEqual(counts);

    const result = await drill(archive);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toMatch(
      new RegExp(
        `^drill passed: ${archive} restored into ${t.db.name.slice(0, 40)}_drill_[0-9a-f]{8} \\(dropped\\)`,
      ),
    );
    expect(result.stdout).toContain(
      'public.conversations 3, public.event_losses 0, public.idempotency_keys 0, public.message_deltas 0, public.message_streams 0, public.messages 6',
    );
    expect(await scratchDatabasesLeft(t.db.name)).toEqual([]);
  });

  it('fails on a truncated archive, naming the sizes, before creating anything', async () => {
    const copy = await copyOfArchive();
    const { archiveBytes } = JSON.parse(
      await readFile(archiveFiles(copy).manifest, 'utf8'),
    ) as BackupManifest;
    await truncate(copy, Math.floor(archiveBytes / 2));
    const result = await drill(copy);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `drill FAILED for ${copy}: archive is truncated: ${Math.floor(archiveBytes / 2)} of the ${archiveBytes} bytes db:backup wrote`,
    );
    expect(await scratchDatabasesLeft(t.db.name)).toEqual([]);
  });

  it('fails on a checksum mismatch, of the archive or of its manifest', async () => {
    const copy = await copyOfArchive();
    const bytes = await readFile(copy);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    await writeFile(copy, bytes);
    const damaged = await drill(copy);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr.trim()).toBe(
      `drill FAILED for ${copy}: checksum mismatch: ${basename(copy)} is not what db:backup wrote (${copy}.sha256 says otherwise)`,
    );

    const edited = await copyOfArchive();
    const manifestPath = archiveFiles(edited).manifest;
    await writeFile(
      manifestPath,
      (await readFile(manifestPath, 'utf8')).replace('"format": 1', '"format": 1 '),
    );
    const result = await drill(edited);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `checksum mismatch: ${basename(manifestPath)} is not what db:backup wrote`,
    );
  });

  it('fails when the restored rows differ from the counts in the manifest, naming each table', async () => {
    // An archive whose files agree with each other but whose data does not hold what was counted
    // (as counts taken outside the dump's snapshot would be): the checksum file is rewritten.
    const copy = await copyOfArchive();
    const files = archiveFiles(copy);
    const manifest = JSON.parse(await readFile(files.manifest, 'utf8')) as BackupManifest;
    manifest.tables['public.messages'] += 1;
    manifest.tables['public.gone'] = 5;
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    await writeFile(files.manifest, text);
    const sha256 = createHash('sha256').update(text).digest('hex');
    const checksums = await readFile(files.checksum, 'utf8');
    await writeFile(
      files.checksum,
      checksums.replace(/^[0-9a-f]{64}(?= {2}.*\.manifest\.json$)/m, sha256),
    );

    const result = await drill(copy);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `drill FAILED for ${copy}: row counts differ from the manifest: public.gone absent restored, 5 at backup; public.messages 6 restored, 7 at backup`,
    );
    expect(await scratchDatabasesLeft(t.db.name)).toEqual([]);
  });

  it('fails when the restored schema lacks what db:setup requires', async () => {
    const db = await createTestDatabase();
    try {
      await db.client.query('DROP INDEX idx_messages_agent_used');
      const dir = await newDir();
      const backup = await runCli('db-backup.ts', ['--dir', dir, '--verify-after'], env(db.name));
      expect(backup.code).toBe(1);
      expect(backup.stderr).toContain(
        'schema incomplete after restore: missing index idx_messages_agent_used',
      );
      expect(backup.stderr).toContain('the new archive failed its drill: no archive was deleted');
      expect(await scratchDatabasesLeft(db.name)).toEqual([]);
    } finally {
      await db.drop();
    }
  });

  it('exits non-zero with a message for a missing archive, checksum file or manifest', async () => {
    const missing = await drill(join(tmpdir(), 'no-such-20200101T000000Z.dump'));
    expect([missing.code, missing.stderr.trim()]).toEqual([
      1,
      `drill FAILED for ${join(tmpdir(), 'no-such-20200101T000000Z.dump')}: no such file: ${join(tmpdir(), 'no-such-20200101T000000Z.dump')}`,
    ]);
    const noChecksum = await copyOfArchive();
    await rm(archiveFiles(noChecksum).checksum);
    expect((await drill(noChecksum)).stderr).toContain(
      `no checksum file beside the archive: ${noChecksum}.sha256`,
    );
    const noManifest = await copyOfArchive();
    await rm(archiveFiles(noManifest).manifest);
    expect((await drill(noManifest)).stderr).toContain(
      `no manifest beside the archive: ${noManifest}.manifest.json`,
    );
  });

  it("writes node-exporter textfiles: the last success's time and size, the last drill's result, kept through failures", async () => {
    const dir = await newDir();
    const metricsDir = await newDir();
    const exporter = await TestNodeExporter.start(metricsDir);
    const series = (name: string): string => `${name}{database="${t.db.name}"}`;
    try {
      const backup = await runCli(
        'db-backup.ts',
        ['--dir', dir, '--verify-after'],
        env(t.db.name, { BACKUP_METRICS_DIR: metricsDir }),
      );
      expect([backup.code, backup.stderr]).toEqual([0, '']);
      const newest = join(
        dir,
        (await readdir(dir)).find((name) => name.endsWith('.dump'))!,
      );
      const manifest = JSON.parse(
        await readFile(archiveFiles(newest).manifest, 'utf8'),
      ) as BackupManifest;
      expect((await readdir(metricsDir)).sort()).toEqual([
        `chatbot_backup_${t.db.name}.prom`,
        `chatbot_backup_drill_${t.db.name}.prom`,
      ]);

      let values = seriesValues(await exporter.scrape());
      expect(values.get('node_textfile_scrape_error')).toBe(0);
      expect(values.get(series('chatbot_backup_last_success_size_bytes'))).toBe(
        manifest.archiveBytes,
      );
      expect(values.get(series('chatbot_backup_last_success_timestamp_seconds'))).toBeCloseTo(
        Date.parse(manifest.finishedAt) / 1000,
        3,
      );
      expect(values.get(series('chatbot_backup_last_run_success'))).toBe(1);
      expect(values.get(series('chatbot_backup_archives'))).toBe(1);
      expect(values.get(series('chatbot_backup_drill_last_success'))).toBe(1);
      expect(values.get(series('chatbot_backup_drill_last_archive_timestamp_seconds'))).toBe(
        parseArchiveName(newest)!.takenAt.getTime() / 1000,
      );
      expect(values.get(series('chatbot_backup_drill_last_duration_seconds'))).toBeGreaterThan(0);
      const firstRun = values.get(series('chatbot_backup_last_run_timestamp_seconds'))!;
      expect(Math.abs(firstRun - Date.now() / 1000)).toBeLessThan(60);

      const failed = await runCli(
        'db-backup.ts',
        ['--dir', dir],
        env(t.db.name, { BACKUP_METRICS_DIR: metricsDir, POSTGRES_PORT: String(await freePort()) }),
      );
      expect(failed.code).toBe(1);
      const copy = await copyOfArchive();
      await truncate(copy, 100);
      expect((await drill(copy, { BACKUP_METRICS_DIR: metricsDir })).code).toBe(1);

      values = seriesValues(await exporter.scrape());
      expect(values.get('node_textfile_scrape_error')).toBe(0);
      expect(values.get(series('chatbot_backup_last_run_success'))).toBe(0);
      expect(values.get(series('chatbot_backup_last_run_timestamp_seconds'))).toBeGreaterThan(
        firstRun,
      );
      expect(values.get(series('chatbot_backup_last_success_size_bytes'))).toBe(
        manifest.archiveBytes,
      );
      expect(values.get(series('chatbot_backup_last_success_timestamp_seconds'))).toBeCloseTo(
        Date.parse(manifest.finishedAt) / 1000,
        3,
      );
      expect(values.get(series('chatbot_backup_drill_last_success'))).toBe(0);
      expect((await readdir(metricsDir)).filter((name) => !name.endsWith('.prom'))).toEqual([]);
    } finally {
      await exporter.stop();
    }
  });

  describe("as the nightly job's roles on a server set up by deploy/sql/roles.sql", () => {
    let cluster: PostgresCluster;
    const clusterEnv = (user: string): Record<string, string> => ({
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(cluster.port),
      POSTGRES_DB: 'conversations',
      POSTGRES_USER: user,
    });

    beforeAll(async () => {
      cluster = await PostgresCluster.create();
      await cluster.createDatabase('conversations');
      await cluster.psql('postgres', [
        '-v',
        'database=conversations',
        '-v',
        'owner_password=owner-secret',
        '-v',
        'app_password=app-secret',
        '-f',
        ROLES_SQL,
      ]);
      await cluster.createMigratedDatabase('conversations', 'chatbot_user', true);
      await cluster.psql('conversations', [
        '-c',
        `INSERT INTO conversations (id, user_id, title) VALUES ('conv_roles_1', 7, '역할')`,
        '-c',
        'CREATE ROLE reader LOGIN IN ROLE pg_read_all_data',
      ]);
    }, 60_000);

    afterAll(async () => {
      await cluster.destroy();
    });

    it('backs up and passes the drill as chatbot_user, grants and default privileges included', async () => {
      const dir = await newDir();
      const result = await runCli(
        'db-backup.ts',
        ['--dir', dir, '--keep', '14', '--verify-after'],
        clusterEnv('chatbot_user'),
      );
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(result.stdout).toContain('drill passed');
      expect(result.stdout).toContain('public.conversations 1');
    });

    it('a drill that cannot run (a role without CREATEDB) deletes no archive, and keeps the new one', async () => {
      const dir = await newDir();
      const first = await runCli('db-backup.ts', ['--dir', dir], clusterEnv('reader'));
      expect([first.code, first.stderr]).toEqual([0, '']);
      const before = (await readdir(dir)).sort();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const result = await runCli(
        'db-backup.ts',
        ['--dir', dir, '--keep', '1', '--verify-after'],
        clusterEnv('reader'),
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /drill FAILED for .*: cannot create the scratch database conversations_drill_[0-9a-f]{8} \(the drill's role needs CREATEDB\): permission denied to create database/,
      );
      expect(result.stderr).toContain('no archive was deleted');
      const after = (await readdir(dir)).sort();
      expect(after).toEqual(expect.arrayContaining(before));
      expect(after.filter((name) => name.endsWith('.dump'))).toHaveLength(2);
    });
  });
});
