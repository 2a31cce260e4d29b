import { Global, Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import {
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
  PrometheusModule,
} from '@willsoto/nestjs-prometheus';
import { register, type Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { DatabaseMetrics } from './database-metrics';
import { HttpMetrics } from './http-metrics';
import { METRICS } from './metric-names';
import { poolOf } from '../database/pool-of';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
// An agent's answer takes from a fraction of a second (a greeting) to minutes (several agents).
const AGENT_LATENCY_BUCKETS = [0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120, 300];

const METRIC_PROVIDERS = [
  makeHistogramProvider({
    name: METRICS.httpRequestDuration,
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status_code'],
    buckets: LATENCY_BUCKETS,
  }),
  makeHistogramProvider({
    name: METRICS.dbQueryDuration,
    help: 'Duration of each SQL statement TypeORM executed',
    labelNames: ['outcome'],
    buckets: LATENCY_BUCKETS,
  }),
  makeCounterProvider({
    name: METRICS.dbConnections,
    help: 'Database connections opened by the pool',
  }),
  makeGaugeProvider({
    name: METRICS.dbPool,
    help: 'Connections of the PostgreSQL pool by state (total, idle, waiting requests)',
    labelNames: ['state'],
    inject: [getDataSourceToken()],
    collect(this: Gauge<'state'>, dataSource: DataSource) {
      const pool = poolOf(dataSource);
      if (!pool) return;
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  }),
  makeGaugeProvider({
    name: METRICS.dbReplicaAvailable,
    help: '1 while reads may go to this read replica (it answers, is a standby, and is within POSTGRES_READ_MAX_LAG_MS), else 0',
    labelNames: ['replica'],
  }),
  makeGaugeProvider({
    name: METRICS.dbReplicaLag,
    help: 'How old the data of this read replica may be: time since the primary first passed what it has replayed (absent while it does not answer)',
    labelNames: ['replica'],
  }),
  makeGaugeProvider({
    name: METRICS.dbReplicaPool,
    help: "Connections of a read replica's pool by state (total, idle, waiting requests)",
    labelNames: ['replica', 'state'],
  }),
  makeCounterProvider({
    name: METRICS.dbReadRoutes,
    help: 'Requests that read, by where they read (primary or a replica) and why (caught_up, own_write, no_replica, position_unknown, replica_failed)',
    labelNames: ['target', 'reason'],
  }),
  makeCounterProvider({ name: METRICS.cacheHits, help: 'Cached reads answered from the cache' }),
  makeCounterProvider({ name: METRICS.cacheMisses, help: 'Cached reads answered from PostgreSQL' }),
  makeCounterProvider({
    name: METRICS.cacheErrors,
    help: 'Cache operations that failed or timed out (the request was answered from PostgreSQL)',
    labelNames: ['operation'],
  }),
  makeGaugeProvider({
    name: METRICS.cacheFenced,
    help: '1 while this replica does not serve from the cache (its lease lapsed, or Redis is unreachable from it)',
  }),
  makeCounterProvider({
    name: METRICS.cacheInvalidationsRecorded,
    help: 'Invalidations this replica could not make in Redis and recorded in PostgreSQL for the others',
  }),
  makeCounterProvider({
    name: METRICS.rateLimitFailOpen,
    help: 'Requests let through unlimited because the shared rate-limit store (Redis) failed',
  }),
  makeCounterProvider({ name: METRICS.rateLimited, help: 'Requests refused with 429' }),
  makeCounterProvider({
    name: METRICS.tokensRefused,
    help: 'Bearer tokens refused, by reason (missing, invalid, expired, limited: the address was refused too often)',
    labelNames: ['reason'],
  }),
  makeCounterProvider({
    name: METRICS.messagesAppended,
    help: 'Messages stored, by role and agent (unknown agents counted as other)',
    labelNames: ['role', 'agent'],
  }),
  makeCounterProvider({
    name: METRICS.messageFeedback,
    help: 'Ratings given to assistant messages, by agent and rating: a new rating or a changed one (a replace with the same rating and a removal count nothing)',
    labelNames: ['agent', 'rating'],
  }),
  makeCounterProvider({
    name: METRICS.agentTokens,
    help: 'Tokens reported in the usage of assistant messages, by agent and kind (prompt, completion)',
    labelNames: ['agent', 'kind'],
  }),
  makeHistogramProvider({
    name: METRICS.agentLatency,
    help: 'Latency reported in the usage of assistant messages (usage.latency_ms), by agent',
    labelNames: ['agent'],
    buckets: AGENT_LATENCY_BUCKETS,
  }),
  makeCounterProvider({
    name: METRICS.purgeRuns,
    help: 'Runs of the purge and retention job: completed, skipped (another replica held the lock), failed',
    labelNames: ['outcome'],
  }),
  makeCounterProvider({
    name: METRICS.purgeDeletedRows,
    help: 'Rows the purge job deleted, by table and reason (trash: past the trash window; expired: idempotency records past 24 hours)',
    labelNames: ['table', 'reason'],
  }),
  makeHistogramProvider({
    name: METRICS.purgeStatementDuration,
    help: 'Duration of each statement of the purge job (each commits at once: the longest a lock is held)',
    labelNames: ['table'],
    buckets: LATENCY_BUCKETS,
  }),
  makeCounterProvider({
    name: METRICS.retentionTrashed,
    help: 'Conversations the retention job moved to the trash (not updated for RETENTION_DAYS)',
  }),
  makeCounterProvider({
    name: METRICS.deltasAppended,
    help: 'Pieces of text appended to streaming assistant messages',
  }),
  makeCounterProvider({
    name: METRICS.streamsIncomplete,
    help: 'Streaming messages that stopped without finishing (no write for STREAM_STALE_SECONDS), finalised by the sweep',
  }),
  makeGaugeProvider({
    name: METRICS.eventStreamsOpen,
    help: 'Event streams (Server-Sent Events) open on this replica',
  }),
  makeCounterProvider({
    name: METRICS.eventsSent,
    help: 'Events written to open event streams, by type (reset included)',
    labelNames: ['type'],
  }),
  makeCounterProvider({
    name: METRICS.eventsLost,
    help: 'Writes whose events could not be published on the bus (the streams of their conversations are reset once it answers)',
  }),
];

/**
 * `/metrics` in the Prometheus text format, and the metrics the other modules inject. Default
 * process metrics are registered once per process: a second app in the same process (the
 * two-replica tests) shares them instead of failing on a duplicate name.
 */
@Global()
@Module({
  imports: [
    PrometheusModule.register({
      path: '/metrics',
      defaultMetrics: {
        enabled: register.getSingleMetric('process_cpu_user_seconds_total') === undefined,
      },
    }),
  ],
  providers: [...METRIC_PROVIDERS, DatabaseMetrics, HttpMetrics],
  exports: [...METRIC_PROVIDERS, DatabaseMetrics],
})
export class MetricsModule {}
