import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Gauge, Registry } from 'prom-client';
import { temporaryPath } from './archive-files';
import type { BackupManifest } from './backup-manifest';

/** What a backup run knows when it ends: its own outcome and the newest archive it left. */
export interface BackupRunOutcome {
  database: string;
  ranAt: Date;
  success: boolean;
  archives: number;
  /** The newest archive's manifest (the last successful backup), when there is one. */
  newest?: BackupManifest;
}

export interface DrillOutcome {
  database: string;
  ranAt: Date;
  success: boolean;
  seconds: number;
  /** When the drilled archive was taken (from its name), when its name says. */
  archiveTakenAt?: Date;
}

const seconds = (date: Date): number => date.getTime() / 1000;

/** The backup run's gauges in Prometheus text format (node-exporter's textfile collector reads it). */
export function backupMetricsText(outcome: BackupRunOutcome): Promise<string> {
  const newest = outcome.newest;
  return render(outcome.database, {
    chatbot_backup_last_run_timestamp_seconds: [
      'When db:backup last ran, successful or not (Unix time).',
      seconds(outcome.ranAt),
    ],
    chatbot_backup_last_run_success: [
      'Whether the last db:backup run succeeded (1) or failed (0), its drill included.',
      outcome.success ? 1 : 0,
    ],
    chatbot_backup_last_success_timestamp_seconds: [
      'When the newest archive in the backup directory was completed (Unix time; 0: none).',
      newest ? seconds(new Date(newest.finishedAt)) : 0,
    ],
    chatbot_backup_last_success_size_bytes: [
      'Size of the newest archive in the backup directory.',
      newest?.archiveBytes ?? 0,
    ],
    chatbot_backup_last_success_duration_seconds: [
      'How long the newest archive took to write, row counts and checksums included.',
      newest ? (Date.parse(newest.finishedAt) - Date.parse(newest.startedAt)) / 1000 : 0,
    ],
    chatbot_backup_archives: [
      'Archives of the database kept in the backup directory.',
      outcome.archives,
    ],
  });
}

export function drillMetricsText(outcome: DrillOutcome): Promise<string> {
  return render(outcome.database, {
    chatbot_backup_drill_last_timestamp_seconds: [
      'When the last restore drill ran (Unix time).',
      seconds(outcome.ranAt),
    ],
    chatbot_backup_drill_last_success: [
      'Whether the last restore drill passed (1) or failed (0).',
      outcome.success ? 1 : 0,
    ],
    chatbot_backup_drill_last_duration_seconds: [
      'How long the last restore drill took.',
      outcome.seconds,
    ],
    chatbot_backup_drill_last_archive_timestamp_seconds: [
      'When the archive the last drill restored was taken (Unix time; 0: unknown).',
      outcome.archiveTakenAt ? seconds(outcome.archiveTakenAt) : 0,
    ],
  });
}

/**
 * Replaces `<dir>/<name>` in one rename, as node-exporter asks of textfile writers: a scrape
 * never reads half a file. The temporary name does not end in `.prom`, so it is never collected.
 */
export async function writeTextfile(dir: string, name: string, text: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  const partial = temporaryPath(path);
  await writeFile(partial, text);
  await rename(partial, path);
  return path;
}

/** One file per database and kind, so that several databases and the drill never overwrite each other. */
export function textfileName(kind: 'backup' | 'drill', database: string): string {
  const safe = database.replace(/[^A-Za-z0-9_-]/g, '_');
  return kind === 'backup' ? `chatbot_backup_${safe}.prom` : `chatbot_backup_drill_${safe}.prom`;
}

async function render(
  database: string,
  gauges: Record<string, [help: string, value: number]>,
): Promise<string> {
  const registry = new Registry();
  for (const [name, [help, value]] of Object.entries(gauges)) {
    new Gauge({ name, help, labelNames: ['database'], registers: [registry] }).set(
      { database },
      value,
    );
  }
  return registry.metrics();
}
