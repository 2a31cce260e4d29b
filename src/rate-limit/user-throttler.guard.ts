import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { AuthenticatedRequest } from '../auth/jwt-auth.guard';
import { userTag } from '../cache/cache-keys';
import { METRICS } from '../metrics/metric-names';

/**
 * One budget per user across all API routes and replicas. Runs after `JwtAuthGuard`, which has
 * put the user on the request; health and metrics routes never use it.
 */
@Injectable()
export class UserThrottlerGuard extends ThrottlerGuard {
  @InjectMetric(METRICS.rateLimited) private readonly limited!: Counter;

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    return userTag((request as unknown as AuthenticatedRequest).user.id);
  }

  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    throttler: string,
  ): string {
    // The user first, like every key of this service: `<prefix>:{u:<id>}:ratelimit:<name>`.
    return `${tracker}:ratelimit:${throttler}`;
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    this.limited.inc();
    return super.throwThrottlingException(context, detail);
  }
}
