import {
  ForbiddenException,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { STATS_READ_SCOPE } from './authenticated-user';
import { BearerAuthenticator } from './bearer-authenticator';

/**
 * Guards the operators' routes, which read across all users: the token needs `stats:read`, and
 * names either a user (an operator's own token) or a service (a dashboard). No user is acted for,
 * so nothing user-scoped (cache, rate limit, `user_id`) applies.
 */
@Injectable()
export class StatsReaderGuard implements CanActivate {
  constructor(private readonly bearer: BearerAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await this.bearer.authenticate(request);
    if (!principal.scopes.has(STATS_READ_SCOPE)) {
      throw new ForbiddenException(`this route needs the ${STATS_READ_SCOPE} scope`);
    }
    return true;
  }
}
