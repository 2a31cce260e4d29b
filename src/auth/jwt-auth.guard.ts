import {
  BadRequestException,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedUser } from './authenticated-user';
import { InvalidTokenError, TokenVerifier } from './token-verifier';

export type AuthenticatedRequest = FastifyRequest & { user: AuthenticatedUser };

/**
 * Verifies the bearer token and puts the user on the request. The predecessor's callers still send
 * `user_id` in the query or body: it is accepted only when it names the caller (403 otherwise),
 * then removed so that nothing downstream can mistake it for an input.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly verifier: TokenVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    try {
      request.user = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new UnauthorizedException(error.message);
      throw error;
    }
    consumeLegacyUserId(request.query, request.user.id);
    consumeLegacyUserId(request.body, request.user.id);
    return true;
  }
}

function bearerToken(header: string | undefined): string {
  const match = /^Bearer ([A-Za-z0-9\-_.]+)$/.exec(header ?? '');
  if (!match) throw new UnauthorizedException('a bearer token is required');
  return match[1];
}

function consumeLegacyUserId(container: unknown, userId: number): void {
  if (!container || typeof container !== 'object' || !('user_id' in container)) return;
  const claimed = (container as Record<string, unknown>).user_id;
  const asText = typeof claimed === 'number' ? String(claimed) : claimed;
  if (typeof asText !== 'string' || !/^\d{1,10}$/.test(asText)) {
    throw new BadRequestException('user_id must be an integer');
  }
  if (Number(asText) !== userId) {
    throw new ForbiddenException('user_id does not match the authenticated user');
  }
  delete (container as Record<string, unknown>).user_id;
}
