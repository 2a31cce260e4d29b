import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Histogram } from 'prom-client';
import { DataSource, type AfterQueryEvent, type EntitySubscriberInterface } from 'typeorm';
import { METRICS } from './metric-names';
import { poolOf } from '../database/pool-of';

/** Wires the seed's database metrics to the real pool and to every query TypeORM runs. */
@Injectable()
export class DatabaseMetrics implements EntitySubscriberInterface, OnApplicationBootstrap {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectMetric(METRICS.dbQueryDuration) private readonly queryDuration: Histogram<'outcome'>,
    @InjectMetric(METRICS.dbConnections) private readonly connections: Counter,
  ) {}

  onApplicationBootstrap(): void {
    this.dataSource.subscribers.push(this);
    const pool = poolOf(this.dataSource);
    if (!pool) return;
    // The connections TypeORM opened while initialising, before this listener existed.
    this.connections.inc(pool.totalCount);
    pool.on('connect', () => this.connections.inc());
  }

  afterQuery(event: AfterQueryEvent): void {
    this.queryDuration.observe(
      { outcome: event.success ? 'ok' : 'error' },
      (event.executionTime ?? 0) / 1000,
    );
  }
}
