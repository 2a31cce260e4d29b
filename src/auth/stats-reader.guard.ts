import {
  ForbiddenException,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { STATS_READ_SCOPE } from './authenticated-user';
import { verifyBearer } from './bearer';
import { TokenVerifier } from './token-verifier';

/**
 * Guards the operators' routes, which read across all users: the token needs `stats:read`, and
 * names either a user (an operator's own token) or a service (a dashboard). No user is acted for,
 * so nothing user-scoped (cache, rate limit, `user_id`) applies.
 */
@Injectable()
export class StatsReaderGuard implements CanActivate {
  constructor(private readonly verifier: TokenVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await verifyBearer(this.verifier, request.headers.authorization);
    if (!principal.scopes.has(STATS_READ_SCOPE)) {
      throw new ForbiddenException(`this route needs the ${STATS_READ_SCOPE} scope`);
    }
    return true;
  }
}
