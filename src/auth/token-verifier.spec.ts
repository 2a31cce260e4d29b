import { SignJWT } from 'jose';
import { buildConfig } from '../config/load-config';
import { InvalidTokenError, TokenVerifier } from './token-verifier';

const SECRET = 'unit-test-secret-that-is-long-enough-0123456789';

function sign(claims: { sub?: string; exp: number }): Promise<string> {
  return new SignJWT({ scope: 'messages:write:assistant' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub ?? '42')
    .setExpirationTime(claims.exp)
    .sign(new TextEncoder().encode(SECRET));
}

describe('TokenVerifier', () => {
  const verifier = new TokenVerifier(buildConfig({ AUTH_JWT_SECRET: SECRET }));
  const now = (): number => Math.floor(Date.now() / 1000);

  afterEach(() => jest.useRealTimers());

  it('returns the user and scopes of a valid token, the same on a second call', async () => {
    const token = await sign({ exp: now() + 60 });
    const first = await verifier.verify(token);
    expect(first.id).toBe(42);
    expect([...first.scopes]).toEqual(['messages:write:assistant']);
    expect(await verifier.verify(token)).toEqual(first);
  });

  it('stops accepting a remembered token once it expires', async () => {
    const token = await sign({ exp: now() + 2 });
    await verifier.verify(token);
    jest.useFakeTimers({ now: Date.now() + 3_000 });
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('never remembers a refused token', async () => {
    const token = await sign({ sub: 'not-a-number', exp: now() + 60 });
    await expect(verifier.verify(token)).rejects.toThrow('token subject is not a user id');
    await expect(verifier.verify(token)).rejects.toThrow('token subject is not a user id');
  });
});
