import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresConfig } from '../config/app-config';
import {
  buildDataSourceOptions,
  sessionEndpointOf,
  sslOptions,
} from '../database/data-source-options';
import { databaseHealthCheck, missingParts } from '../database/database-health';
import type { DatabaseEndpoint } from '../database/embedded-postgres';
import { libpqEnvironment, restoreArguments, runPgTool } from '../database/pg-tools';
import { archiveFiles } from './archive-files';
import { BackupError, describeDatabaseError } from './backup-error';
import { parseManifest, type BackupManifest } from './backup-manifest';
import { parseChecksumFile, sha256OfFile } from './checksums';
import { countRows } from './table-rows';

export interface DrillReport {
  manifest: BackupManifest;
  scratchDatabase: string;
}

/**
 * The restore drill: checks an archive's size and checksums, restores it the way db:restore
 * does into a scratch database created for the purpose, checks the schema as db:setup does and
 * every table's row count against the manifest, and drops the scratch database whatever happens.
 * Throws a BackupError naming the first difference.
 */
export async function runRestoreDrill(
  config: PostgresConfig,
  archive: string,
): Promise<DrillReport> {
  const manifest = await checkFiles(archive);
  const scratch = await createScratchDatabase(config, manifest.database);
  try {
    const endpoint = { ...sessionEndpointOf(config), database: scratch };
    const restore = await runPgTool(
      'pg_restore',
      [...restoreArguments(scratch), archive],
      libpqEnvironment(config, endpoint),
    );
    if (restore.code !== 0) {
      throw new BackupError(
        `restore failed (pg_restore exited ${restore.code}): ${restore.stderr.trim()}`,
      );
    }
    await checkSchema(config, endpoint);
    await checkRowCounts(config, endpoint, manifest.tables);
    return { manifest, scratchDatabase: scratch };
  } finally {
    await dropScratchDatabase(config, scratch);
  }
}

/** The cheap checks first: every file there, the manifest and archive as written, not truncated. */
async function checkFiles(archive: string): Promise<BackupManifest> {
  const files = archiveFiles(archive);
  const size = await stat(archive).then(
    (stats) => stats.size,
    () => {
      throw new BackupError(`no such file: ${archive}`);
    },
  );
  const expected = parseChecksumFile(
    await readFile(files.checksum, 'utf8').catch(() => {
      throw new BackupError(`no checksum file beside the archive: ${files.checksum}`);
    }),
  );
  const manifestText = await readFile(files.manifest).catch(() => {
    throw new BackupError(`no manifest beside the archive: ${files.manifest}`);
  });
  const sha256 = createHash('sha256').update(manifestText).digest('hex');
  checkChecksum(basename(files.manifest), sha256, expected, files.checksum);
  const manifest = parseManifest(manifestText.toString('utf8'), files.manifest);
  if (size !== manifest.archiveBytes) {
    throw new BackupError(
      size < manifest.archiveBytes
        ? `archive is truncated: ${size} of the ${manifest.archiveBytes} bytes db:backup wrote`
        : `archive is ${size} bytes, db:backup wrote ${manifest.archiveBytes}`,
    );
  }
  checkChecksum(basename(archive), await sha256OfFile(archive), expected, files.checksum);
  return manifest;
}

function checkChecksum(
  name: string,
  actual: string,
  expected: Map<string, string>,
  checksumFile: string,
): void {
  const want = expected.get(name);
  if (!want) throw new BackupError(`${checksumFile} holds no checksum for ${name}`);
  if (actual !== want) {
    throw new BackupError(
      `checksum mismatch: ${name} is not what db:backup wrote (${checksumFile} says otherwise)`,
    );
  }
}

async function createScratchDatabase(
  config: PostgresConfig,
  source: BackupManifest['database'],
): Promise<string> {
  // Within PostgreSQL's 63 bytes, and recognisable should a killed drill leave one behind.
  const name = `${source.name.slice(0, 40)}_drill_${randomBytes(4).toString('hex')}`;
  await withAdminClient(config, async (client) => {
    await client.query(
      `CREATE DATABASE ${client.escapeIdentifier(name)} TEMPLATE template0
         ENCODING ${client.escapeLiteral(source.encoding)}
         LC_COLLATE ${client.escapeLiteral(source.collate)} LC_CTYPE ${client.escapeLiteral(source.ctype)}`,
    );
  }).catch((error: unknown) => {
    throw new BackupError(
      `cannot create the scratch database ${name} (the drill's role needs CREATEDB): ${describeDatabaseError(error)}`,
    );
  });
  return name;
}

async function dropScratchDatabase(config: PostgresConfig, name: string): Promise<void> {
  await withAdminClient(config, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`),
  ).catch((error: unknown) => {
    console.warn(
      `warning: could not drop the scratch database ${name}, drop it by hand: ${describeDatabaseError(error)}`,
    );
  });
}

/** db:setup's check, through its functions: the required tables, indexes and extensions. */
async function checkSchema(config: PostgresConfig, endpoint: DatabaseEndpoint): Promise<void> {
  const dataSource = new DataSource({
    ...buildDataSourceOptions({ ...config, poolSize: 1, maxOverflow: 0 }, endpoint),
    migrationsRun: false,
  });
  try {
    await dataSource.initialize();
    const health = await databaseHealthCheck(dataSource);
    if (!health.schema) {
      throw new BackupError(`cannot inspect the restored schema: ${health.error}`);
    }
    const missing = missingParts(health.schema);
    if (missing.length > 0) {
      throw new BackupError(`schema incomplete after restore: missing ${missing.join(', ')}`);
    }
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`cannot inspect the restored schema: ${describeDatabaseError(error)}`);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

async function checkRowCounts(
  config: PostgresConfig,
  endpoint: DatabaseEndpoint,
  expected: Record<string, number>,
): Promise<void> {
  const client = connectionTo(config, endpoint);
  let restored: Record<string, number>;
  try {
    await client.connect();
    await client.query('SET statement_timeout = 0');
    restored = await countRows(client);
  } catch (error) {
    throw new BackupError(`cannot count the restored rows: ${describeDatabaseError(error)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  const tables = [...new Set([...Object.keys(expected), ...Object.keys(restored)])].sort();
  const differences = tables
    .filter((table) => expected[table] !== restored[table])
    .map(
      (table) =>
        `${table} ${restored[table] ?? 'absent'} restored, ${expected[table] ?? 'absent'} at backup`,
    );
  if (differences.length > 0) {
    throw new BackupError(`row counts differ from the manifest: ${differences.join('; ')}`);
  }
}

async function withAdminClient<T>(
  config: PostgresConfig,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = connectionTo(config, { ...sessionEndpointOf(config), database: 'postgres' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function connectionTo(config: PostgresConfig, endpoint: DatabaseEndpoint): Client {
  return new Client({
    ...endpoint,
    ssl: sslOptions(config),
    connectionTimeoutMillis: 5000,
    application_name: 'model-chatbot-drill',
  });
}
