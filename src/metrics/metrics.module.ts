import { Global, Module } from '@nestjs/common';
import { makeCounterProvider, PrometheusModule } from '@willsoto/nestjs-prometheus';
import { register } from 'prom-client';
import { METRICS } from './metric-names';

const COUNTERS = [
  makeCounterProvider({ name: METRICS.cacheHits, help: 'Cached reads answered from the cache' }),
  makeCounterProvider({ name: METRICS.cacheMisses, help: 'Cached reads answered from PostgreSQL' }),
  makeCounterProvider({
    name: METRICS.cacheErrors,
    help: 'Cache operations that failed or timed out (the request was answered from PostgreSQL)',
    labelNames: ['operation'],
  }),
];

/**
 * `/metrics` in the Prometheus text format, and the counters the other modules inject. Default
 * process metrics are registered once per process: a second app in the same process (the
 * two-replica tests) shares them instead of failing on a duplicate name.
 */
@Global()
@Module({
  imports: [
    PrometheusModule.register({
      path: '/metrics',
      defaultMetrics: { enabled: register.getSingleMetric('process_cpu_user_seconds_total') === undefined },
    }),
  ],
  providers: COUNTERS,
  exports: COUNTERS,
})
export class MetricsModule {}
