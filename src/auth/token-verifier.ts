import { Inject, Injectable, Logger } from '@nestjs/common';
import { errors, jwtVerify, type JWTPayload } from 'jose';
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { INT32_MAX } from '../common/limits';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { AuthenticatedUser } from './authenticated-user';

export const HMAC_ALGORITHMS = ['HS256'];
const VERIFIED_TOKENS_KEPT = 10_000;

export class InvalidTokenError extends Error {}

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
  private readonly verified = new Map<string, { user: AuthenticatedUser; expiresAt: number }>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    if (config.auth.usingDevelopmentKey) {
      this.logger.warn('AUTH_JWT_SECRET is not set: using the fixed development key');
    }
    this.verificationKey = loadVerificationKey(config.auth);
  }

  async verify(token: string): Promise<AuthenticatedUser> {
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) return known.user;
    const { user, expiresAt } = await this.verifySignature(token);
    this.remember(token, user, expiresAt);
    return user;
  }

  /**
   * Remembers a verified token until it expires: the same bytes verify the same way, and the
   * signature check (WebCrypto HMAC) was the largest cost of a cached read.
   */
  private remember(token: string, user: AuthenticatedUser, expiresAt: number): void {
    if (this.verified.size >= VERIFIED_TOKENS_KEPT) {
      this.verified.delete(this.verified.keys().next().value as string);
    }
    this.verified.set(token, { user, expiresAt });
  }

  private async verifySignature(
    token: string,
  ): Promise<{ user: AuthenticatedUser; expiresAt: number }> {
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
      throw new InvalidTokenError(describeJoseError(error));
    }
    return {
      user: { id: parseUserId(payload.sub), scopes: parseScopes(payload.scope) },
      expiresAt: (payload.exp as number) * 1000,
    };
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

function parseUserId(sub: unknown): number {
  const text = typeof sub === 'number' ? String(sub) : sub;
  if (typeof text !== 'string' || !/^[1-9]\d{0,9}$/.test(text) || Number(text) > INT32_MAX) {
    throw new InvalidTokenError('token subject is not a user id');
  }
  return Number(text);
}

function parseScopes(scope: unknown): ReadonlySet<string> {
  return new Set(typeof scope === 'string' ? scope.split(' ').filter(Boolean) : []);
}

function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `token claim "${error.claim}" is invalid`;
  return 'token is invalid';
}
