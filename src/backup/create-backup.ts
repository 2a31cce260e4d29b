import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Client } from 'pg';
import type { PostgresConfig } from '../config/app-config';
import { sessionEndpointOf, sslOptions } from '../database/data-source-options';
import { describeConnectionFailure } from '../database/database-errors';
import { libpqEnvironment, runPgTool } from '../database/pg-tools';
import { archiveFiles, archiveName, temporaryPath } from './archive-files';
import { BackupError, describeDatabaseError } from './backup-error';
import type { BackupManifest } from './backup-manifest';
import { checksumFileText, sha256OfFile } from './checksums';
import { countRows } from './table-rows';

export interface BackupResult {
  archive: string;
  manifest: BackupManifest;
}

/**
 * A pg_dump custom-format archive of the configured database in `dir`, with its manifest (the row
 * counts of every table in the dumped snapshot) and checksum file beside it. Everything is
 * written under temporary names and renamed when complete, the archive last: an archive that
 * exists is whole. On failure nothing is left behind.
 */
export async function createBackup(config: PostgresConfig, dir: string): Promise<BackupResult> {
  const endpoint = sessionEndpointOf(config);
  const startedAt = new Date();
  const files = archiveFiles(join(dir, archiveName(endpoint.database, startedAt)));
  if (await exists(files.archive)) {
    throw new BackupError(`backup failed: ${files.archive} already exists (one backup a second)`);
  }
  const partial = {
    archive: temporaryPath(files.archive),
    manifest: temporaryPath(files.manifest),
    checksum: temporaryPath(files.checksum),
  };
  const client = new Client({
    ...endpoint,
    ssl: sslOptions(config),
    connectionTimeoutMillis: 5000,
    application_name: 'model-chatbot-backup',
  });
  // A server that goes away while pg_dump runs fails the dump; the idle client must not crash us.
  client.on('error', () => undefined);
  try {
    try {
      await client.connect();
    } catch (error) {
      throw new BackupError(
        `backup failed: cannot reach ${endpoint.host}:${endpoint.port}/${endpoint.database}: ${describeConnectionFailure(error)}`,
      );
    }
    // As pg_dump does for its own session: a server default must not cut a long count or the
    // transaction that holds the snapshot open.
    await client.query('SET statement_timeout = 0');
    await client.query('SET idle_in_transaction_session_timeout = 0');
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // pg_dump imports this snapshot and the counts run in it: both see the same rows.
    const {
      rows: [source],
    } = await client.query<{
      snapshot: string;
      version: string;
      encoding: string;
      collate: string;
      ctype: string;
    }>(
      `SELECT pg_export_snapshot() AS snapshot, current_setting('server_version') AS version,
              pg_encoding_to_char(encoding) AS encoding, datcollate AS collate, datctype AS ctype
       FROM pg_database WHERE datname = current_database()`,
    );
    const [dump, counts] = await Promise.allSettled([
      runPgTool(
        'pg_dump',
        [
          '--format=custom',
          '--compress=6',
          '--no-password',
          `--snapshot=${source.snapshot}`,
          `--file=${partial.archive}`,
        ],
        libpqEnvironment(config, endpoint),
      ),
      countRows(client),
    ]);
    if (dump.status === 'rejected') throw dump.reason;
    if (dump.value.code !== 0) {
      throw new BackupError(
        `backup failed (pg_dump exited ${dump.value.code}): ${dump.value.stderr.trim()}`,
      );
    }
    if (counts.status === 'rejected') {
      throw new BackupError(`backup failed counting rows: ${describeDatabaseError(counts.reason)}`);
    }
    // The exporting transaction stayed open until pg_dump was done with the snapshot.
    await client.query('COMMIT');
    const manifest: BackupManifest = {
      format: 1,
      archive: basename(files.archive),
      archiveBytes: (await stat(partial.archive)).size,
      database: {
        name: endpoint.database,
        encoding: source.encoding,
        collate: source.collate,
        ctype: source.ctype,
      },
      serverVersion: source.version,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      tables: counts.value,
    };
    await writeDurably(partial.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
    await writeDurably(
      partial.checksum,
      checksumFileText([
        { name: basename(files.archive), sha256: await sha256OfFile(partial.archive) },
        { name: basename(files.manifest), sha256: await sha256OfFile(partial.manifest) },
      ]),
    );
    await rename(partial.manifest, files.manifest);
    await rename(partial.checksum, files.checksum);
    await rename(partial.archive, files.archive);
    return { archive: files.archive, manifest };
  } catch (error) {
    await Promise.all([files.manifest, files.checksum].map((path) => rm(path, { force: true })));
    throw error instanceof BackupError
      ? error
      : new BackupError(`backup failed: ${describeDatabaseError(error)}`);
  } finally {
    await client.end().catch(() => undefined);
    await Promise.all(Object.values(partial).map((path) => rm(path, { force: true })));
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Written and flushed to disk before the rename that publishes it (pg_dump syncs its own). */
async function writeDurably(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
