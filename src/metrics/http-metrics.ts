import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { FastifyInstance } from 'fastify';
import type { Histogram } from 'prom-client';
import { METRICS } from './metric-names';

type Labels = 'method' | 'route' | 'status_code';

/**
 * Times every answer, labelled by the route template (bounded), never by the raw URL. An event
 * stream's lifetime is not a latency: streams are counted by `events_streams_open` instead.
 */
@Injectable()
export class HttpMetrics implements OnApplicationBootstrap {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @InjectMetric(METRICS.httpRequestDuration) private readonly duration: Histogram<Labels>,
  ) {}

  onApplicationBootstrap(): void {
    // An operator's command (db:purge, user:erase) runs the modules without an HTTP server.
    if (!this.adapterHost.httpAdapter) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', async (request, reply) => {
      if (String(reply.raw.getHeader('content-type')).startsWith('text/event-stream')) return;
      this.duration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
    });
  }
}
