import { copyFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archiveFiles } from '../src/backup/archive-files';
import { freePort } from './support/app-process';
import { PostgresCluster } from './support/postgres-cluster';
import { runCli } from './support/run-cli';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { testEnvironment } from './support/test-environment';

const OLDER = ['20200101T000000Z', '20200102T000000Z', '20200103T000000Z', '20200104T000000Z'];

describe('npm run db:backup: retention, and nothing lost or left half-written on failure', () => {
  const { postgres } = testEnvironment();
  let db: TestDatabase;
  let sourceArchive: string;
  const dirs: string[] = [];
  const env = (database: string, extra: Record<string, string> = {}): Record<string, string> => ({
    POSTGRES_HOST: postgres.host,
    POSTGRES_PORT: String(postgres.port),
    POSTGRES_USER: postgres.user,
    POSTGRES_PASSWORD: postgres.password,
    POSTGRES_DB: database,
    ...extra,
  });
  const newDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'chatbot-retention-'));
    dirs.push(dir);
    return dir;
  };

  /** Older archives of the database: copies of a real one (with its files) under older names. */
  async function seed(dir: string, stamps: string[], database = db.name): Promise<void> {
    for (const stamp of stamps) {
      const from = archiveFiles(sourceArchive);
      const to = archiveFiles(join(dir, `${database}-${stamp}.dump`));
      await copyFile(from.archive, to.archive);
      await copyFile(from.checksum, to.checksum);
      await copyFile(from.manifest, to.manifest);
    }
  }

  /** Every file of a directory, hidden ones included, with its size. */
  async function listing(dir: string): Promise<Record<string, number>> {
    const names = (await readdir(dir)).sort();
    const sizes = await Promise.all(names.map(async (name) => (await stat(join(dir, name))).size));
    return Object.fromEntries(names.map((name, i) => [name, sizes[i]]));
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.client.query(
      `INSERT INTO conversations (id, user_id, title) VALUES ('conv_retention_1', 1, 'kept')`,
    );
    const dir = await newDir();
    const first = await runCli('db-backup.ts', ['--dir', dir], env(db.name));
    expect([first.code, first.stderr]).toEqual([0, '']);
    [sourceArchive] = (await readdir(dir)).filter((name) => name.endsWith('.dump'));
    sourceArchive = join(dir, sourceArchive);
  });

  afterAll(async () => {
    await db.drop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('with 5 archives and --keep 3, deletes the 2 oldest with their files, and nothing of another database', async () => {
    const dir = await newDir();
    await seed(dir, OLDER);
    await seed(dir, ['20190101T000000Z'], `${db.name}_other`);
    const result = await runCli('db-backup.ts', ['--dir', dir, '--keep', '3'], env(db.name));
    expect([result.code, result.stderr]).toEqual([0, '']);

    const names = await readdir(dir);
    const archives = names.filter(
      (name) => name.startsWith(`${db.name}-`) && name.endsWith('.dump'),
    );
    expect(archives.sort().slice(0, 2)).toEqual([
      `${db.name}-${OLDER[2]}.dump`,
      `${db.name}-${OLDER[3]}.dump`,
    ]);
    expect(archives).toHaveLength(3);
    const [newest] = archives.sort().slice(-1);
    expect(newest).toMatch(new RegExp(`^${db.name}-\\d{8}T\\d{6}Z\\.dump$`));
    expect(newest > `${db.name}-${OLDER[3]}.dump`).toBe(true);
    for (const archive of archives) {
      const files = archiveFiles(archive);
      expect(names).toEqual(expect.arrayContaining([files.checksum, files.manifest]));
    }
    for (const stamp of OLDER.slice(0, 2)) {
      expect(names.filter((name) => name.includes(stamp))).toEqual([]);
      expect(result.stdout).toContain(`deleted ${join(dir, `${db.name}-${stamp}.dump`)}`);
    }
    expect(names).toEqual(
      expect.arrayContaining([
        `${db.name}_other-20190101T000000Z.dump`,
        `${db.name}_other-20190101T000000Z.dump.sha256`,
        `${db.name}_other-20190101T000000Z.dump.manifest.json`,
      ]),
    );
    expect(names).toHaveLength(3 * 3 + 3);
  });

  it('keeps BACKUP_KEEP archives when --keep is not given', async () => {
    const dir = await newDir();
    await seed(dir, OLDER);
    const result = await runCli('db-backup.ts', ['--dir', dir], env(db.name, { BACKUP_KEEP: '2' }));
    expect([result.code, result.stderr]).toEqual([0, '']);
    const archives = (await readdir(dir)).filter((name) => name.endsWith('.dump')).sort();
    expect(archives).toHaveLength(2);
    expect(archives[0]).toBe(`${db.name}-${OLDER[3]}.dump`);
  });

  it('refuses a --keep that would delete everything, before touching anything', async () => {
    const dir = await newDir();
    await seed(dir, OLDER);
    const before = await listing(dir);
    for (const keep of ['0', '-1', 'all']) {
      const result = await runCli('db-backup.ts', ['--dir', dir, `--keep=${keep}`], env(db.name));
      expect([keep, result.code]).toEqual([keep, 2]);
      expect(result.stderr).toContain('--keep must be a whole number from 1');
    }
    expect(await listing(dir)).toEqual(before);
  });

  it('a backup that fails (server down) leaves all 5 archives and writes no partial file', async () => {
    const dir = await newDir();
    await seed(dir, [...OLDER, '20200105T000000Z']);
    const before = await listing(dir);
    const port = await freePort();
    const result = await runCli(
      'db-backup.ts',
      ['--dir', dir, '--keep', '3'],
      env(db.name, { POSTGRES_PORT: String(port) }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `backup failed: cannot reach ${postgres.host}:${port}/${db.name}: connection refused: is PostgreSQL running and listening on that port?`,
    );
    expect(await listing(dir)).toEqual(before);
  });

  describe('on a server of its own, written to and stopped in the middle of the dump', () => {
    let cluster: PostgresCluster;

    beforeAll(async () => {
      cluster = await PostgresCluster.create();
      await cluster.createMigratedDatabase('bulk');
      // Enough rows beside the app's tables that pg_dump is still writing when the server goes.
      await cluster.psql('bulk', [
        '-c',
        `CREATE TABLE filler AS SELECT g AS id, md5(g::text) || repeat(md5((g * 7)::text), 8) AS text
         FROM generate_series(1, 400000) AS g`,
      ]);
    }, 60_000);

    afterAll(async () => {
      await cluster.destroy();
    });

    it('counts rows in the snapshot it dumps: rows committed during the dump are neither archived nor counted', async () => {
      const dir = await newDir();
      const backup = runCli('db-backup.ts', ['--dir', dir, '--verify-after'], {
        POSTGRES_HOST: '127.0.0.1',
        POSTGRES_PORT: String(cluster.port),
        POSTGRES_DB: 'bulk',
      });
      await waitForPartialFile(dir);
      await cluster.psql('bulk', [
        '-c',
        `INSERT INTO filler SELECT g, 'during' FROM generate_series(400001, 401000) AS g`,
      ]);
      const result = await backup;
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(result.stdout).toContain('drill passed');
      const [manifestName] = (await readdir(dir)).filter((name) => name.endsWith('.json'));
      const manifest = JSON.parse(await readFile(join(dir, manifestName), 'utf8'));
      expect(manifest.tables['public.filler']).toBe(400000);
      const now = await cluster.psql('bulk', ['-At', '-c', 'SELECT count(*) FROM filler']);
      expect(now.trim()).toBe('401000');
    }, 60_000);

    it('fails, deletes none of 5 archives, and removes what it had written', async () => {
      const dir = await newDir();
      await seed(dir, [...OLDER, '20200105T000000Z'], 'bulk');
      const before = await listing(dir);
      const backup = runCli('db-backup.ts', ['--dir', dir, '--keep', '3'], {
        POSTGRES_HOST: '127.0.0.1',
        POSTGRES_PORT: String(cluster.port),
        POSTGRES_DB: 'bulk',
      });
      const partial = await waitForPartialFile(dir);
      expect(partial).toMatch(/^\.bulk-\d{8}T\d{6}Z\.dump\.partial$/);
      await cluster.stop();
      const result = await backup;

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^backup failed \(pg_dump exited 1\): pg_dump: error: /);
      expect(await listing(dir)).toEqual(before);
    }, 60_000);
  });

  async function waitForPartialFile(dir: string): Promise<string> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const partial = (await readdir(dir)).find((name) => name.endsWith('.partial'));
      if (partial && (await stat(join(dir, partial)).catch(() => undefined))?.size) return partial;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no partial archive appeared in ${dir}: ${(await readdir(dir)).join(', ')}`);
  }
});
