import { mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AppConfig } from '../config/app-config';
import { ConfigError, loadConfig } from '../config/load-config';
import { archiveFiles, archivesOf, parseArchiveName } from '../backup/archive-files';
import { BackupError } from '../backup/backup-error';
import { readManifest, type BackupManifest } from '../backup/backup-manifest';
import {
  backupMetricsText,
  drillMetricsText,
  textfileName,
  writeTextfile,
} from '../backup/backup-metrics';
import { createBackup } from '../backup/create-backup';
import { runRestoreDrill } from '../backup/restore-drill';
import { pruneArchives } from '../backup/retention';

const USAGE = `usage: npm run db:backup [-- [--dir DIR] [--keep N] [--verify-after]]
       npm run db:backup -- --verify FILE
  (none)          archive the configured database into DIR (default BACKUP_DIR), then delete
                  its archives beyond the newest N (default BACKUP_KEEP)
  --verify-after  run the restore drill on the new archive first; if it fails, delete nothing
  --verify FILE   the restore drill: check FILE's checksums, restore it into a scratch database,
                  check the schema and every table's row count against its manifest, drop it`;

class UsageError extends Error {}

interface Options {
  dir?: string;
  keep?: number;
  verify?: string;
  verifyAfter: boolean;
}

async function main(): Promise<number> {
  const options = parseOptions();
  const config = loadConfig();
  if (!config.postgres.host) {
    console.error(
      'db:backup needs POSTGRES_HOST: the embedded development database is not backed up',
    );
    return 1;
  }
  if (options.verify) return (await drill(config, resolve(options.verify))) ? 0 : 1;
  return backUp(config, resolve(options.dir ?? config.backupDir), options);
}

function parseOptions(): Options {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        dir: { type: 'string' },
        keep: { type: 'string' },
        verify: { type: 'string' },
        'verify-after': { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.keep !== undefined && !/^[1-9]\d{0,4}$/.test(values.keep)) {
    throw new UsageError(`--keep must be a whole number from 1 to 99999, not ${values.keep}`);
  }
  if (values.verify !== undefined && (values.dir || values.keep || values['verify-after'])) {
    throw new UsageError('--verify drills one archive: it takes no other option');
  }
  return {
    dir: values.dir,
    keep: values.keep === undefined ? undefined : Number(values.keep),
    verify: values.verify,
    verifyAfter: values['verify-after'],
  };
}

/** Archive, drill when asked, then retention: a failure at any step deletes nothing. */
async function backUp(config: AppConfig, dir: string, options: Options): Promise<number> {
  const keep = options.keep ?? config.backupKeep;
  const database = config.postgres.database;
  const ranAt = new Date();
  let success = false;
  try {
    await mkdir(dir, { recursive: true });
    const { archive, manifest } = await createBackup(config.postgres, dir);
    const rows = Object.values(manifest.tables).reduce((sum, count) => sum + count, 0);
    console.log(
      `archived ${archive}: ${manifest.archiveBytes} bytes, ${rows} rows in ${Object.keys(manifest.tables).length} tables, ${secondsBetween(manifest.startedAt, manifest.finishedAt)} s`,
    );
    if (options.verifyAfter && !(await drill(config, archive))) {
      console.error('the new archive failed its drill: no archive was deleted');
      return 1;
    }
    for (const name of await pruneArchives(dir, database, keep, archive)) {
      console.log(`deleted ${join(dir, name)} (keeping the newest ${keep})`);
    }
    success = true;
    return 0;
  } catch (error) {
    if (!(error instanceof BackupError)) throw error;
    console.error(error.message);
    return 1;
  } finally {
    if (config.backupMetricsDir) {
      const { count, newest } = await newestArchive(dir, database);
      await publishMetrics(
        config.backupMetricsDir,
        textfileName('backup', database),
        await backupMetricsText({ database, ranAt, success, archives: count, newest }),
      );
    }
  }
}

async function drill(config: AppConfig, archive: string): Promise<boolean> {
  const started = performance.now();
  const ranAt = new Date();
  let success = false;
  try {
    const report = await runRestoreDrill(config.postgres, archive);
    const tables = Object.entries(report.manifest.tables)
      .map(([table, count]) => `${table} ${count}`)
      .join(', ');
    console.log(
      `drill passed: ${archive} restored into ${report.scratchDatabase} (dropped) in ${((performance.now() - started) / 1000).toFixed(1)} s: checksums, schema and row counts as at backup (${tables})`,
    );
    success = true;
  } catch (error) {
    if (!(error instanceof BackupError)) throw error;
    console.error(`drill FAILED for ${archive}: ${error.message}`);
  }
  if (config.backupMetricsDir) {
    const named = parseArchiveName(archive);
    await publishMetrics(
      config.backupMetricsDir,
      textfileName('drill', named?.database ?? config.postgres.database),
      await drillMetricsText({
        database: named?.database ?? config.postgres.database,
        ranAt,
        success,
        seconds: (performance.now() - started) / 1000,
        archiveTakenAt: named?.takenAt,
      }),
    );
  }
  return success;
}

/** The database's archives in `dir` and the manifest of the newest: the last successful backup. */
async function newestArchive(
  dir: string,
  database: string,
): Promise<{ count: number; newest?: BackupManifest }> {
  const archives = archivesOf(database, await readdir(dir).catch(() => []));
  const last = archives.at(-1);
  const newest = last
    ? await readManifest(archiveFiles(join(dir, last)).manifest).catch(() => undefined)
    : undefined;
  return { count: archives.length, newest };
}

/** Metrics are for watching the backups: failing to write them warns, and changes no outcome. */
async function publishMetrics(dir: string, name: string, text: string): Promise<void> {
  await writeTextfile(dir, name, text).catch((error: unknown) =>
    console.warn(`warning: could not write metrics to ${join(dir, name)}: ${String(error)}`),
  );
}

function secondsBetween(from: string, to: string): string {
  return ((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(
      error instanceof ConfigError ? error.message : `db:backup failed: ${String(error)}`,
    );
    process.exit(error instanceof ConfigError ? 1 : 2);
  },
);
