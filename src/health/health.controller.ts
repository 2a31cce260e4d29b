import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { PostgresHealthIndicator } from './postgres.health';
import { RedisHealthIndicator } from './redis.health';
import { ShutdownState } from './shutdown-state';

/** Kubernetes probes and operators' views. Bodies never carry hosts, users or driver errors. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly postgres: PostgresHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process can serve; checks no dependency' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary:
      'Readiness: 200 when PostgreSQL answers (Redis down: 200, degraded); 503 otherwise or while shutting down',
  })
  ready(): Promise<HealthCheckResult> {
    return this.readiness();
  }

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'The readiness result with its details' })
  overall(): Promise<HealthCheckResult> {
    return this.readiness();
  }

  @Get('database')
  @HealthCheck()
  @ApiOperation({
    summary:
      'PostgreSQL and Redis in detail: status, latency, server version, pool use, required tables, indexes and extensions; 503 when PostgreSQL is down',
  })
  database(): Promise<HealthCheckResult> {
    return this.health.check([() => this.postgres.inspect(), () => this.redis.check()]);
  }

  private readiness(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.accepting(),
      () => this.postgres.check(),
      () => this.redis.check(),
    ]);
  }

  private accepting(): HealthIndicatorResult {
    const indicator = this.indicators.check('lifecycle');
    return this.shutdown.draining ? indicator.down({ message: 'shutting down' }) : indicator.up();
  }
}
