import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  HttpStatus,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import { INT32_MAX } from '../common/limits';
import { RetryLaterException } from '../common/retry-later.exception';
import { METRICS } from '../metrics/metric-names';
import type { AuthenticatedUser, TokenPrincipal } from './authenticated-user';
import { RefusedTokenLimiter } from './refused-token-limiter';
import { InvalidTokenError, TokenVerifier } from './token-verifier';

/** Refused tokens an address may send in a minute before its next one is refused unchecked. */
export const REFUSED_TOKENS_PER_MINUTE = 30;

type Refusal = 'missing' | 'invalid' | 'expired' | 'limited';

export type AuthenticatedRequest = FastifyRequest & { user: AuthenticatedUser };

/**
 * Verifies the bearer token and puts the user the request runs as on it. The predecessor's
 * callers send `user_id` in the query or body: from a user's token it must name that user (403
 * otherwise); a trusted service (`conversations:act-as`) names with it the user it acts for.
 * Either way `user_id` is then removed, so that nothing downstream mistakes it for an input.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly limiter = new RefusedTokenLimiter(REFUSED_TOKENS_PER_MINUTE);

  constructor(
    private readonly verifier: TokenVerifier,
    @InjectMetric(METRICS.tokensRefused) private readonly refusals: Counter<'reason'>,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.authenticate(request);
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

  /** The token's principal; a token not verified before is checked unless its address is limited. */
  private async authenticate(request: FastifyRequest): Promise<TokenPrincipal> {
    const token = bearerToken(request.headers.authorization);
    if (!token)
      throw this.refuse('missing', new UnauthorizedException('a bearer token is required'));
    const known = this.verifier.known(token);
    if (known) return known;
    const wait = this.limiter.waitSeconds(request.ip);
    if (wait > 0) {
      throw this.refuse(
        'limited',
        new RetryLaterException(
          HttpStatus.TOO_MANY_REQUESTS,
          'too many refused tokens from this address: retry after the Retry-After seconds',
          wait,
        ),
      );
    }
    try {
      return await this.verifier.verify(token);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      this.limiter.refused(request.ip);
      throw this.refuse(
        error.expired ? 'expired' : 'invalid',
        new UnauthorizedException(error.message),
      );
    }
  }

  private refuse(reason: Refusal, exception: HttpException): HttpException {
    this.refusals.inc({ reason });
    return exception;
  }
}

function bearerToken(header: string | undefined): string | null {
  return /^Bearer ([A-Za-z0-9\-_.]+)$/.exec(header ?? '')?.[1] ?? null;
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
