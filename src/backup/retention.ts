import { readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { archiveFiles, archivesOf } from './archive-files';

/**
 * The archives to delete so that `keep` remain, given a database's archives oldest first: the
 * oldest go, and `newest` (the archive just written) is kept whatever its name says.
 */
export function archivesBeyond(
  archives: readonly string[],
  keep: number,
  newest: string,
): string[] {
  const others = archives.filter((name) => name !== newest);
  return others.slice(0, Math.max(0, others.length - (keep - 1)));
}

/** Deletes the archives of `database` in `dir` beyond the newest `keep`, with the files beside them. */
export async function pruneArchives(
  dir: string,
  database: string,
  keep: number,
  newest: string,
): Promise<string[]> {
  const doomed = archivesBeyond(archivesOf(database, await readdir(dir)), keep, basename(newest));
  for (const name of doomed) {
    const files = archiveFiles(join(dir, name));
    // The archive first: a file left beside no archive is harmless, an archive without its
    // checksum and manifest could no longer pass a drill.
    await rm(files.archive, { force: true });
    await rm(files.checksum, { force: true });
    await rm(files.manifest, { force: true });
  }
  return doomed;
}
