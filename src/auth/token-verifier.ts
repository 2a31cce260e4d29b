import { Inject, Injectable, Logger } from '@nestjs/common';
import { errors, jwtVerify, type JWTPayload } from 'jose';
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { INT32_MAX } from '../common/limits';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ACT_AS_SCOPE, STATS_READ_SCOPE, type TokenPrincipal } from './authenticated-user';

export const HMAC_ALGORITHMS = ['HS256'];
const VERIFIED_TOKENS_KEPT = 10_000;

export class InvalidTokenError extends Error {
  constructor(
    message: string,
    readonly expired = false,
  ) {
    super(message);
  }
}

interface VerificationKey {
  key: KeyObject | Uint8Array;
  algorithms: string[];
}

/**
 * Verifies bearer tokens with jose: algorithms pinned to the kind of key configured (so an HS256
 * token "signed" with a public key is refused), `exp` required, issuer and audience when set.
 */
@Injectable()
export class TokenVerifier {
  private readonly logger = new Logger(TokenVerifier.name);
  private readonly verificationKey: VerificationKey;
  private readonly verified = new Map<string, { principal: TokenPrincipal; expiresAt: number }>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    if (config.auth.usingDevelopmentKey) {
      this.logger.warn('AUTH_JWT_SECRET is not set: using the fixed development key');
    }
    this.verificationKey = loadVerificationKey(config.auth);
  }

  /** The principal of a token verified before and not expired since: no signature check. */
  known(token: string): TokenPrincipal | undefined {
    const known = this.verified.get(token);
    return known && known.expiresAt > Date.now() ? known.principal : undefined;
  }

  async verify(token: string): Promise<TokenPrincipal> {
    const known = this.known(token);
    if (known) return known;
    const { principal, expiresAt } = await this.verifySignature(token);
    this.remember(token, principal, expiresAt);
    return principal;
  }

  /**
   * Remembers a verified token until it expires: the same bytes verify the same way, and the
   * signature check (WebCrypto HMAC) was the largest cost of a cached read.
   */
  private remember(token: string, principal: TokenPrincipal, expiresAt: number): void {
    if (this.verified.size >= VERIFIED_TOKENS_KEPT) {
      this.verified.delete(this.verified.keys().next().value as string);
    }
    this.verified.set(token, { principal, expiresAt });
  }

  private async verifySignature(
    token: string,
  ): Promise<{ principal: TokenPrincipal; expiresAt: number }> {
    const { key, algorithms } = this.verificationKey;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms,
        issuer: this.config.auth.issuer,
        audience: this.config.auth.audience,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw refusal(error);
    }
    const expiresAt = (payload.exp as number) * 1000;
    const issuedAt = typeof payload.iat === 'number' ? payload.iat * 1000 : Date.now();
    if (expiresAt - issuedAt > this.config.auth.maxAgeSeconds * 1000) {
      throw new InvalidTokenError('token lifetime exceeds the maximum this service accepts');
    }
    return { principal: principalOf(payload, this.config.auth.userClaim), expiresAt };
  }
}

function loadVerificationKey(auth: AppConfig['auth']): VerificationKey {
  if (auth.publicKey) {
    // Operators often paste PEM keys into one-line variables with literal "\n".
    const key = createPublicKey(auth.publicKey.replace(/\\n/g, '\n'));
    return { key, algorithms: [key.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256'] };
  }
  // A KeyObject made once: from raw bytes jose would import the key again on every verification.
  return {
    key: createSecretKey(Buffer.from(auth.secret ?? '', 'utf8')),
    algorithms: HMAC_ALGORITHMS,
  };
}

/**
 * A user token names its user in the user claim (an integer, as a number or digits); a token
 * with the act-as scope is a trusted service's, and its user claim names the service. A token
 * with `stats:read` whose claim is not a user id is an operator dashboard's: a service too, with
 * no user to act for (one whose claim is a user id stays that user's).
 */
function principalOf(payload: JWTPayload, userClaim: string): TokenPrincipal {
  const scopes = parseScopes(payload.scope);
  const claimed = payload[userClaim];
  const userId = parseUserId(claimed);
  if (scopes.has(ACT_AS_SCOPE) || (userId === null && scopes.has(STATS_READ_SCOPE))) {
    const name = typeof claimed === 'string' || typeof claimed === 'number' ? String(claimed) : '';
    if (!/^[\x21-\x7e]{1,100}$/.test(name)) {
      throw new InvalidTokenError(`token claim "${userClaim}" does not name the service`);
    }
    return { kind: 'service', name, scopes };
  }
  if (userId === null) {
    throw new InvalidTokenError(
      userClaim === 'sub'
        ? 'token subject is not a user id'
        : `token claim "${userClaim}" is not a user id`,
    );
  }
  return { kind: 'user', id: userId, scopes };
}

function parseUserId(claimed: unknown): number | null {
  const text = typeof claimed === 'number' ? String(claimed) : claimed;
  if (typeof text !== 'string' || !/^[1-9]\d{0,9}$/.test(text) || Number(text) > INT32_MAX) {
    return null;
  }
  return Number(text);
}

function parseScopes(scope: unknown): ReadonlySet<string> {
  return new Set(typeof scope === 'string' ? scope.split(' ').filter(Boolean) : []);
}

function refusal(error: unknown): InvalidTokenError {
  if (error instanceof errors.JWTExpired) return new InvalidTokenError('token expired', true);
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new InvalidTokenError(`token claim "${error.claim}" is invalid`);
  }
  return new InvalidTokenError('token is invalid');
}
