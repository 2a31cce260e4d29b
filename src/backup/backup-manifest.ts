import { readFile } from 'node:fs/promises';
import { BackupError } from './backup-error';

/** What db:backup records beside each archive; the restore drill checks the archive against it. */
export interface BackupManifest {
  format: 1;
  /** The archive's file name. */
  archive: string;
  archiveBytes: number;
  /** The source database, its encoding and locale: the drill's scratch database gets the same. */
  database: { name: string; encoding: string; collate: string; ctype: string };
  serverVersion: string;
  startedAt: string;
  finishedAt: string;
  /** Rows of every table (`schema.table`), counted in the snapshot that pg_dump dumped. */
  tables: Record<string, number>;
}

export async function readManifest(path: string): Promise<BackupManifest> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new BackupError(`no manifest beside the archive: ${path}`);
  });
  return parseManifest(text, path);
}

export function parseManifest(text: string, path: string): BackupManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BackupError(`${path} is not valid JSON`);
  }
  const problem = manifestProblem(parsed);
  if (problem) throw new BackupError(`${path} is not a db:backup manifest: ${problem}`);
  return parsed as BackupManifest;
}

function manifestProblem(value: unknown): string | undefined {
  const manifest = value as Partial<BackupManifest> | null;
  if (typeof manifest !== 'object' || manifest === null) return 'not an object';
  if (manifest.format !== 1) return `unknown format ${String(manifest.format)}`;
  if (typeof manifest.archive !== 'string') return 'no archive name';
  if (!Number.isSafeInteger(manifest.archiveBytes)) return 'no archive size';
  const database = manifest.database;
  if (
    typeof database !== 'object' ||
    database === null ||
    !['name', 'encoding', 'collate', 'ctype'].every(
      (key) => typeof (database as Record<string, unknown>)[key] === 'string',
    )
  )
    return 'no database name, encoding and locale';
  if (Number.isNaN(Date.parse(String(manifest.finishedAt)))) return 'no finishing time';
  const tables = manifest.tables;
  if (
    typeof tables !== 'object' ||
    tables === null ||
    !Object.values(tables).every((count) => Number.isSafeInteger(count) && count >= 0)
  )
    return 'no row counts';
  return undefined;
}
