import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { databaseHealthCheck, missingParts } from '../database/database-health';
import { poolOf } from '../database/pool-of';
import { withTimeout } from '../common/with-timeout';

const PROBE_TIMEOUT_MS = 2000;
const DOWN = 'PostgreSQL is not answering';

/** PostgreSQL up or down, with a bounded wait and fixed messages: never the driver's text. */
@Injectable()
export class PostgresHealthIndicator {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly health: HealthIndicatorService,
  ) {}

  /** Readiness: one round trip. */
  async check(key = 'database'): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    const started = performance.now();
    try {
      await withTimeout(this.dataSource.query('SELECT 1'), PROBE_TIMEOUT_MS);
      return indicator.up({ latency_ms: Math.round(performance.now() - started) });
    } catch {
      return indicator.down({ message: DOWN });
    }
  }

  /** `/health/database`: latency, server version, pool use and the required schema. */
  async inspect(key = 'database'): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    const report = await withTimeout(databaseHealthCheck(this.dataSource), PROBE_TIMEOUT_MS).catch(
      () => null,
    );
    if (!report || report.status === 'down' || !report.schema)
      return indicator.down({ message: DOWN });
    const pool = poolOf(this.dataSource);
    const details = {
      latency_ms: report.latency_ms,
      server_version: report.server_version,
      pool: {
        total: pool?.totalCount ?? 0,
        idle: pool?.idleCount ?? 0,
        waiting: pool?.waitingCount ?? 0,
        max: pool?.options.max ?? 0,
      },
      tables: report.schema.tables,
      indexes: report.schema.indexes,
      extensions: report.schema.extensions,
    };
    const missing = missingParts(report.schema);
    return missing.length === 0
      ? indicator.up(details)
      : indicator.down({ ...details, message: `schema incomplete: missing ${missing.join(', ')}` });
  }
}
