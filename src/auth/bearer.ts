import { UnauthorizedException } from '@nestjs/common';
import type { TokenPrincipal } from './authenticated-user';
import { InvalidTokenError, type TokenVerifier } from './token-verifier';

/** The principal of an `Authorization: Bearer` header; 401 when missing or invalid. */
export async function verifyBearer(
  verifier: TokenVerifier,
  header: string | undefined,
): Promise<TokenPrincipal> {
  const match = /^Bearer ([A-Za-z0-9\-_.]+)$/.exec(header ?? '');
  if (!match) throw new UnauthorizedException('a bearer token is required');
  try {
    return await verifier.verify(match[1]);
  } catch (error) {
    if (error instanceof InvalidTokenError) throw new UnauthorizedException(error.message);
    throw error;
  }
}
