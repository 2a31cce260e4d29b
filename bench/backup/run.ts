import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { archiveFiles } from '../../src/backup/archive-files';
import type { BackupManifest } from '../../src/backup/backup-manifest';
import { restoreArguments } from '../../src/database/pg-tools';
import { generateSearchData, SEARCH_BENCH_DATABASE } from '../search/generate';
import { BENCH_SERVER } from '../support/bench-database';

const ROOT = join(__dirname, '..', '..');
const MiB = 2 ** 20;

/**
 * Backup benchmark, on the search benchmark's data set (loaded when absent): the production
 * build's `db:backup --verify-after`, its backup and its drill, against a baseline measured in the
 * same run: a bare `pg_dump` of the same database with the same format and compression, and a bare
 * `pg_restore` of that dump with the same options into a new database.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { messages: { type: 'string', default: '1000000' } },
  });
  const log = (line: string): void => console.error(`[bench:backup] ${line}`);
  if (!(await holdsMessages(SEARCH_BENCH_DATABASE))) {
    log(`loading ${values.messages} messages into ${SEARCH_BENCH_DATABASE}`);
    await generateSearchData(Number(values.messages), log);
  }
  const data = await describeDatabase(SEARCH_BENCH_DATABASE);
  const work = await mkdtemp(join(tmpdir(), 'chatbot-bench-backup-'));
  try {
    log('baseline: pg_dump');
    const baselineArchive = join(work, 'baseline.dump');
    const baselineDumpSeconds = await timed('pg_dump', [
      '--format=custom',
      '--compress=6',
      '--no-password',
      `--file=${baselineArchive}`,
      `--dbname=${SEARCH_BENCH_DATABASE}`,
    ]);
    const baselineBytes = (await stat(baselineArchive)).size;

    log('db:backup --verify-after');
    const backupDir = join(work, 'backups');
    const metricsDir = join(work, 'metrics');
    const wholeSeconds = await timed(
      process.execPath,
      [join(ROOT, 'dist', 'src', 'cli', 'db-backup.js'), '--dir', backupDir, '--verify-after'],
      {
        POSTGRES_HOST: BENCH_SERVER.host,
        POSTGRES_PORT: String(BENCH_SERVER.port),
        POSTGRES_USER: BENCH_SERVER.user,
        POSTGRES_PASSWORD: BENCH_SERVER.password,
        POSTGRES_DB: SEARCH_BENCH_DATABASE,
        BACKUP_METRICS_DIR: metricsDir,
      },
    );
    const archive = join(
      backupDir,
      (await readdir(backupDir)).find((n) => n.endsWith('.dump'))!,
    );
    const manifest = JSON.parse(
      await readFile(archiveFiles(archive).manifest, 'utf8'),
    ) as BackupManifest;
    const backupSeconds = (Date.parse(manifest.finishedAt) - Date.parse(manifest.startedAt)) / 1000;
    const drillText = await readFile(
      join(metricsDir, `chatbot_backup_drill_${SEARCH_BENCH_DATABASE}.prom`),
      'utf8',
    );
    const drillSeconds = Number(
      /^chatbot_backup_drill_last_duration_seconds\{[^}]*\} (\S+)$/m.exec(drillText)![1],
    );

    log('baseline: pg_restore into a new database');
    const scratch = `${SEARCH_BENCH_DATABASE}_restore_baseline`;
    await admin(`DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`);
    await admin(
      `CREATE DATABASE "${scratch}" TEMPLATE template0 ENCODING '${manifest.database.encoding}' LC_COLLATE '${manifest.database.collate}' LC_CTYPE '${manifest.database.ctype}'`,
    );
    const baselineRestoreSeconds = await timed('pg_restore', [
      ...restoreArguments(scratch),
      baselineArchive,
    ]);
    await admin(`DROP DATABASE "${scratch}" WITH (FORCE)`);

    const rows = Object.values(manifest.tables).reduce((sum, count) => sum + count, 0);
    const ratio = (a: number, b: number): string => `${((100 * a) / b).toFixed(0)}%`;
    console.log(
      `\nBackup benchmark, ${new Date().toISOString()}: ${SEARCH_BENCH_DATABASE}, ${data.messages.toLocaleString('en-US')} messages, ${data.conversations.toLocaleString('en-US')} conversations, ${rows.toLocaleString('en-US')} rows in ${Object.keys(manifest.tables).length} tables, database ${(data.bytes / MiB).toFixed(0)} MiB on disk, PostgreSQL ${manifest.serverVersion}`,
    );
    console.log('\n| step | db:backup | baseline | baseline time | ratio |\n|---|---|---|---|---|');
    console.log(
      `| backup: archive ${(manifest.archiveBytes / MiB).toFixed(1)} MiB (baseline ${(baselineBytes / MiB).toFixed(1)} MiB) | ${backupSeconds.toFixed(1)} s | pg_dump -Fc -Z6 | ${baselineDumpSeconds.toFixed(1)} s | ${ratio(backupSeconds, baselineDumpSeconds)} |`,
    );
    console.log(
      `| drill: checksums, restore, schema, counts, drop | ${drillSeconds.toFixed(1)} s | pg_restore --single-transaction into a new database | ${baselineRestoreSeconds.toFixed(1)} s | ${ratio(drillSeconds, baselineRestoreSeconds)} |`,
    );
    console.log(
      `\nthe whole db:backup --verify-after process: ${wholeSeconds.toFixed(1)} s; 14 archives kept: ${((14 * manifest.archiveBytes) / 2 ** 30).toFixed(2)} GiB`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Runs a command to completion (failing the benchmark if it fails); wall-clock seconds. */
function timed(command: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        PATH: process.env.PATH,
        PGHOST: BENCH_SERVER.host,
        PGPORT: String(BENCH_SERVER.port),
        PGUSER: BENCH_SERVER.user,
        PGPASSWORD: BENCH_SERVER.password,
        ...env,
      },
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve((performance.now() - started) / 1000)
        : reject(new Error(`${command} exited ${code}`)),
    );
  });
}

async function holdsMessages(database: string): Promise<boolean> {
  const client = new Client({ ...BENCH_SERVER, database });
  try {
    await client.connect();
    const { rows } = await client.query(`SELECT EXISTS (SELECT 1 FROM messages) AS any`);
    return rows[0].any === true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function describeDatabase(
  database: string,
): Promise<{ messages: number; conversations: number; bytes: number }> {
  const client = new Client({ ...BENCH_SERVER, database });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT (SELECT count(*) FROM messages)::int AS messages,
              (SELECT count(*) FROM conversations)::int AS conversations,
              pg_database_size(current_database()) AS bytes`,
    );
    return { ...rows[0], bytes: Number(rows[0].bytes) };
  } finally {
    await client.end();
  }
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ ...BENCH_SERVER, database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
