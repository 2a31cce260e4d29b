import { SignJWT } from 'jose';
import { AGENT_WRITE_SCOPE } from '../../src/auth/authenticated-user';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export interface TokenOptions {
  scope?: string;
  expiresIn?: string | number;
  secret?: string;
}

export function signToken(userId: number | string, options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT(options.scope ? { scope: options.scope } : {})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(userId))
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h');
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

/** A token of the agent service, which may write assistant and system messages. */
export function agentToken(userId: number): Promise<string> {
  return signToken(userId, { scope: AGENT_WRITE_SCOPE });
}
