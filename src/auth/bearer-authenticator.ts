import { HttpStatus, Injectable, UnauthorizedException, type HttpException } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import { RetryLaterException } from '../common/retry-later.exception';
import { METRICS } from '../metrics/metric-names';
import type { TokenPrincipal } from './authenticated-user';
import { RefusedTokenLimiter } from './refused-token-limiter';
import { InvalidTokenError, TokenVerifier } from './token-verifier';

/** Refused tokens an address may send in a minute before its next one is refused unchecked. */
export const REFUSED_TOKENS_PER_MINUTE = 30;

type Refusal = 'missing' | 'invalid' | 'expired' | 'limited';

/**
 * The principal of a request's `Authorization: Bearer` header, for every guard: 401 when missing
 * or invalid, each refusal counted; an address refused too often gets 429 before its next unknown
 * token is checked, so that forged tokens cannot keep the signature check busy (a token verified
 * before is never held back).
 */
@Injectable()
export class BearerAuthenticator {
  private readonly limiter = new RefusedTokenLimiter(REFUSED_TOKENS_PER_MINUTE);

  constructor(
    private readonly verifier: TokenVerifier,
    @InjectMetric(METRICS.tokensRefused) private readonly refusals: Counter<'reason'>,
  ) {}

  async authenticate(request: FastifyRequest): Promise<TokenPrincipal> {
    const token = /^Bearer ([A-Za-z0-9\-_.]+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token) {
      throw this.refuse('missing', new UnauthorizedException('a bearer token is required'));
    }
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
