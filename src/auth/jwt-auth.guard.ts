import {
  BadRequestException,
  ForbiddenException,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { INT32_MAX } from '../common/limits';
import { ACT_AS_SCOPE, type AuthenticatedUser } from './authenticated-user';
import { BearerAuthenticator } from './bearer-authenticator';

export type AuthenticatedRequest = FastifyRequest & { user: AuthenticatedUser };

/**
 * Verifies the bearer token and puts the user the request runs as on it. The predecessor's
 * callers send `user_id` in the query or body: from a user's token it must name that user (403
 * otherwise); a trusted service (`conversations:act-as`) names with it the user it acts for.
 * Either way `user_id` is then removed, so that nothing downstream mistakes it for an input.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly bearer: BearerAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.bearer.authenticate(request);
    const claimed = [takeUserId(request.query), takeUserId(request.body)].filter(
      (id): id is number => id !== undefined,
    );
    if (principal.kind === 'user') {
      if (claimed.some((id) => id !== principal.id)) {
        throw new ForbiddenException('user_id does not match the authenticated user');
      }
      request.user = { id: principal.id, scopes: principal.scopes };
      return true;
    }
    if (!principal.scopes.has(ACT_AS_SCOPE)) {
      throw new ForbiddenException(
        `this token names a service without the ${ACT_AS_SCOPE} scope: it acts for no user`,
      );
    }
    request.user = {
      id: actedUserId(claimed),
      scopes: principal.scopes,
      service: principal.name,
    };
    // Every line of this request, its completion line included, says who acted for whom.
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const log = request.log.child({ acting_for: request.user.id, service: principal.name });
    request.log = log;
    reply.log = log;
    return true;
  }
}

/** The user a trusted service acts for: named once, or the same in the query and the body. */
function actedUserId(claimed: number[]): number {
  if (claimed.length === 0) {
    throw new BadRequestException('user_id is required: name the user this service acts for');
  }
  if (claimed.some((id) => id !== claimed[0])) {
    throw new BadRequestException('user_id differs between the query and the body');
  }
  return claimed[0];
}

/**
 * Reads and removes `user_id` from a query or body: undefined when absent or null (the
 * predecessor's gateway sends `null` when it has no user), else a positive INTEGER.
 */
function takeUserId(container: unknown): number | undefined {
  if (!container || typeof container !== 'object' || !('user_id' in container)) return undefined;
  const fields = container as Record<string, unknown>;
  const claimed = fields.user_id;
  delete fields.user_id;
  if (claimed === null || claimed === '' || claimed === 'null') return undefined;
  const asText = typeof claimed === 'number' ? String(claimed) : claimed;
  if (typeof asText !== 'string' || !/^[1-9]\d{0,9}$/.test(asText) || Number(asText) > INT32_MAX) {
    throw new BadRequestException('user_id must be a positive integer');
  }
  return Number(asText);
}
