import { createSecretKey, type KeyObject } from 'node:crypto';
import { jwtVerify } from 'jose';
import { PeerError } from './peer-error';

const INT32_MAX = 2_147_483_647;
/** As many verified tokens as the service remembers (auth/token-verifier.ts). */
const VERIFIED_TOKENS_KEPT = 10_000;

export interface PeerUser {
  id: number;
  scopes: ReadonlySet<string>;
}

/**
 * The service's check of a user's bearer token: HS256 through jose with `exp` required, the user
 * id from `sub`, the scopes from `scope`. Like the service, a token verified before is
 * remembered until it expires, so that a repeated token costs a map lookup, not an HMAC.
 * Service tokens (`conversations:act-as`) are not served: the benchmark sends users' tokens.
 */
export class TokenCheck {
  private readonly key: KeyObject;
  private readonly verified = new Map<string, { user: PeerUser; expiresAt: number }>();

  constructor(secret: string) {
    // One KeyObject: from raw bytes jose would import the key again on every verification.
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  async userOf(authorization: string | undefined): Promise<PeerUser> {
    const token = /^Bearer ([A-Za-z0-9\-_.]+)$/.exec(authorization ?? '')?.[1];
    if (!token) throw new PeerError(401, 'a bearer token is required');
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) return known.user;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        requiredClaims: ['exp'],
      }));
    } catch {
      throw new PeerError(401, 'token is invalid');
    }
    const subject = payload.sub ?? '';
    if (!/^[1-9]\d{0,9}$/.test(subject) || Number(subject) > INT32_MAX) {
      throw new PeerError(401, 'token subject is not a user id');
    }
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    const user = { id: Number(subject), scopes: new Set(scope.split(' ').filter(Boolean)) };
    if (this.verified.size >= VERIFIED_TOKENS_KEPT) {
      this.verified.delete(this.verified.keys().next().value as string);
    }
    this.verified.set(token, { user, expiresAt: (payload.exp as number) * 1000 });
    return user;
  }
}
