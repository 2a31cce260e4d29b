import { basename, dirname, join } from 'node:path';

/** An archive and the files beside it: its checksums and the manifest written at backup time. */
export interface ArchiveFiles {
  archive: string;
  checksum: string;
  manifest: string;
}

export function archiveFiles(archive: string): ArchiveFiles {
  return { archive, checksum: `${archive}.sha256`, manifest: `${archive}.manifest.json` };
}

/** `<database>-<UTC time to the second>.dump`: names sort in the order the backups were taken. */
export function archiveName(database: string, takenAt: Date): string {
  const stamp = takenAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${database}-${stamp}.dump`;
}

/** The database and time an archive's name gives, or undefined for a name db:backup never writes. */
export function parseArchiveName(archive: string): { database: string; takenAt: Date } | undefined {
  const match = /^(.+)-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.dump$/.exec(basename(archive));
  if (!match) return undefined;
  const [, database, year, month, day, hours, minutes, seconds] = match;
  return {
    database,
    takenAt: new Date(`${year}-${month}-${day}T${hours}:${minutes}:${seconds}Z`),
  };
}

/** The archives of `database` among the names of a directory, oldest first. */
export function archivesOf(database: string, names: readonly string[]): string[] {
  return names.filter((name) => parseArchiveName(name)?.database === database).sort();
}

/**
 * Where a file is written before it is complete: hidden, and never ending in a name that
 * retention, a restore or node-exporter (`*.prom`) would pick up.
 */
export function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.partial`);
}
