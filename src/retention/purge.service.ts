import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Histogram } from 'prom-client';
import { SessionCache } from '../cache/session-cache.service';
import type { AppConfig, LifecycleConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { SessionConnections } from '../database/session-connections';
import { METRICS } from '../metrics/metric-names';
import { releasePurgeLock, tryPurgeLock } from './purge-lock';
import {
  BATCH_ROWS,
  NO_ROWS,
  PurgeRepository,
  type RowCounts,
  type TrashPosition,
} from './purge.repository';
import { RowDeletion } from './row-deletion.service';

export interface PurgeReport {
  /** `skipped`: another replica (or the CronJob) held the lock and is running it. */
  outcome: 'completed' | 'stopped' | 'skipped' | 'dry_run';
  trashRetentionDays: number;
  retentionDays: number | null;
  /** Live conversations moved to the trash by retention. */
  movedToTrash: number;
  /** What the purge of the expired trash deleted: conversations and every row of theirs. */
  purged: RowCounts;
  /** Idempotency records past their 24 hours, of every user. */
  expiredIdempotencyKeys: number;
  statements: number;
  /** The longest single statement: each commits at once, so no lock is held longer. */
  longestStatementMs: number;
  elapsedMs: number;
}

/**
 * One run of the purge and retention job: live conversations idle for `RETENTION_DAYS` move to
 * the trash, conversations in the trash for longer than `TRASH_RETENTION_DAYS` are deleted with
 * every row of theirs, expired idempotency records go. One replica at a time (an advisory lock on
 * a session of its own), `BATCH_ROWS` rows per statement, each statement committing at once.
 */
@Injectable()
export class PurgeService {
  private readonly logger = new Logger('Purge');
  private readonly lifecycle: LifecycleConfig;
  private stopping = false;

  constructor(
    private readonly rows: PurgeRepository,
    private readonly deletion: RowDeletion,
    private readonly sessions: SessionConnections,
    private readonly cache: SessionCache,
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectMetric(METRICS.purgeRuns) private readonly runs: Counter<'outcome'>,
    @InjectMetric(METRICS.purgeDeletedRows)
    private readonly deleted: Counter<'table' | 'reason'>,
    @InjectMetric(METRICS.purgeStatementDuration)
    private readonly statementSeconds: Histogram<'table'>,
    @InjectMetric(METRICS.retentionTrashed) private readonly trashed: Counter,
  ) {
    this.lifecycle = config.lifecycle;
  }

  /** A dry run counts what a run would do and writes nothing (it needs no lock). */
  async run(options: { dryRun?: boolean } = {}): Promise<PurgeReport> {
    const report = this.emptyReport();
    const started = performance.now();
    try {
      if (options.dryRun) await this.countInto(report);
      else await this.purgeUnderLock(report);
    } catch (error) {
      this.runs.inc({ outcome: 'failed' });
      throw error;
    }
    report.elapsedMs = performance.now() - started;
    this.runs.inc({ outcome: report.outcome });
    if (report.outcome !== 'skipped') this.logger.log(describePurge(report));
    return report;
  }

  /** Makes a run in progress stop after its current statement (shutdown). */
  requestStop(): void {
    this.stopping = true;
  }

  private async purgeUnderLock(report: PurgeReport): Promise<void> {
    const session = await this.sessions.open('purge');
    try {
      if (!(await tryPurgeLock(session))) {
        report.outcome = 'skipped';
        return;
      }
      try {
        await this.purge(report);
      } finally {
        await releasePurgeLock(session).catch(() => undefined);
      }
    } finally {
      await session.end().catch(() => undefined);
    }
  }

  private async purge(report: PurgeReport): Promise<void> {
    const observe = (table: string, ms: number): void => this.observe(report, table, ms);
    const { retentionDays, trashRetentionDays } = this.lifecycle;
    if (retentionDays !== undefined) {
      for (;;) {
        if (this.stopped(report)) return;
        const moved = await this.timed(observe, 'conversations', () =>
          this.rows.moveStaleToTrash(retentionDays, BATCH_ROWS),
        );
        report.movedToTrash += moved.length;
        this.trashed.inc(moved.length);
        // The moved conversations leave the users' cached lists and reads.
        for (const userId of new Set(moved.map((row) => row.user_id))) {
          await this.cache.invalidateUser(userId);
        }
        if (moved.length < BATCH_ROWS) break;
      }
    }
    for (;;) {
      if (this.stopped(report)) return;
      const expired = await this.timed(observe, 'conversations', () =>
        this.rows.expiredTrash(trashRetentionDays, BATCH_ROWS, null),
      );
      if (expired.length === 0) break;
      // No cached read shows a conversation in the trash: purging it changes none of them.
      const counts = await this.deletion.deleteConversations(
        expired.map((row) => row.id),
        observe,
      );
      for (const kind of Object.keys(counts) as Array<keyof RowCounts>) {
        report.purged[kind] += counts[kind];
        if (counts[kind] > 0) this.deleted.inc({ table: kind, reason: 'trash' }, counts[kind]);
      }
      if (expired.length < BATCH_ROWS) break;
    }
    for (;;) {
      if (this.stopped(report)) return;
      const deleted = await this.timed(observe, 'idempotency_keys', () =>
        this.rows.deleteExpiredIdempotencyKeys(BATCH_ROWS),
      );
      report.expiredIdempotencyKeys += deleted;
      if (deleted > 0) this.deleted.inc({ table: 'idempotency_keys', reason: 'expired' }, deleted);
      if (deleted < BATCH_ROWS) break;
    }
  }

  private async countInto(report: PurgeReport): Promise<void> {
    report.outcome = 'dry_run';
    const { retentionDays, trashRetentionDays } = this.lifecycle;
    if (retentionDays !== undefined)
      report.movedToTrash = await this.rows.countStale(retentionDays);
    let after: TrashPosition | null = null;
    for (;;) {
      const expired = await this.rows.expiredTrash(trashRetentionDays, BATCH_ROWS, after);
      if (expired.length === 0) break;
      const counts = await this.deletion.countConversations(expired.map((row) => row.id));
      for (const kind of Object.keys(counts) as Array<keyof RowCounts>) {
        report.purged[kind] += counts[kind];
      }
      after = expired[expired.length - 1];
    }
    report.expiredIdempotencyKeys = await this.rows.countExpiredIdempotencyKeys();
  }

  private stopped(report: PurgeReport): boolean {
    if (this.stopping) report.outcome = 'stopped';
    return this.stopping;
  }

  private async timed<T>(
    observe: (table: string, ms: number) => void,
    table: string,
    statement: () => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    const result = await statement();
    observe(table, performance.now() - started);
    return result;
  }

  private observe(report: PurgeReport, table: string, ms: number): void {
    report.statements += 1;
    report.longestStatementMs = Math.max(report.longestStatementMs, ms);
    this.statementSeconds.observe({ table }, ms / 1000);
  }

  private emptyReport(): PurgeReport {
    return {
      outcome: 'completed',
      trashRetentionDays: this.lifecycle.trashRetentionDays,
      retentionDays: this.lifecycle.retentionDays ?? null,
      movedToTrash: 0,
      purged: { ...NO_ROWS },
      expiredIdempotencyKeys: 0,
      statements: 0,
      longestStatementMs: 0,
      elapsedMs: 0,
    };
  }
}

/** One line for the log and for `db:purge`: counts only, never an id or a title. */
export function describePurge(report: PurgeReport): string {
  if (report.outcome === 'skipped') {
    return 'purge skipped: another replica holds the purge lock and is running it';
  }
  const { purged } = report;
  const verb = report.outcome === 'dry_run' ? 'would be' : 'were';
  const retention =
    report.retentionDays === null
      ? 'retention off (RETENTION_DAYS unset)'
      : `${report.movedToTrash} conversations not updated for ${report.retentionDays} days ${verb} moved to the trash`;
  const trash = `${purged.conversations} conversations in the trash for over ${report.trashRetentionDays} days ${verb} purged with ${purged.messages} messages, ${purged.feedback} feedback and ${purged.idempotency_keys} idempotency records`;
  const expired = `${report.expiredIdempotencyKeys} expired idempotency records ${verb} deleted`;
  const timing =
    report.outcome === 'dry_run'
      ? 'dry run: nothing was written'
      : `${report.statements} statements, the longest ${report.longestStatementMs.toFixed(1)} ms, in ${(report.elapsedMs / 1000).toFixed(2)} s${report.outcome === 'stopped' ? ' (stopped by shutdown: the next run continues)' : ''}`;
  return `${retention}; ${trash}; ${expired}; ${timing}`;
}
