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
    expect(first).toMatchObject({ kind: 'user', id: 42 });
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

describe('TokenVerifier with AUTH_JWT_USER_CLAIM and service tokens', () => {
  const now = (): number => Math.floor(Date.now() / 1000);
  const signClaims = (claims: Record<string, unknown>): Promise<string> =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(now() + 60)
      .sign(new TextEncoder().encode(SECRET));

  it('reads the user from the configured claim, with no fall-back to sub', async () => {
    const verifier = new TokenVerifier(
      buildConfig({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_USER_CLAIM: 'user_id' }),
    );
    expect(await verifier.verify(await signClaims({ sub: 'kim.minsu', user_id: 7 }))).toMatchObject(
      {
        kind: 'user',
        id: 7,
      },
    );
    await expect(verifier.verify(await signClaims({ sub: '7' }))).rejects.toThrow(
      'token claim "user_id" is not a user id',
    );
  });

  it('takes a token with the act-as scope as a service named by its user claim', async () => {
    const verifier = new TokenVerifier(buildConfig({ AUTH_JWT_SECRET: SECRET }));
    const principal = await verifier.verify(
      await signClaims({
        sub: 'ai-gateway',
        scope: 'conversations:act-as messages:write:assistant',
      }),
    );
    expect(principal).toMatchObject({ kind: 'service', name: 'ai-gateway' });
    expect([...principal.scopes].sort()).toEqual([
      'conversations:act-as',
      'messages:write:assistant',
    ]);
    await expect(
      verifier.verify(await signClaims({ scope: 'conversations:act-as' })),
    ).rejects.toThrow('token claim "sub" does not name the service');
  });

  it('refuses a user name in sub from a token without the act-as scope', async () => {
    const verifier = new TokenVerifier(buildConfig({ AUTH_JWT_SECRET: SECRET }));
    await expect(verifier.verify(await signClaims({ sub: 'kim.minsu' }))).rejects.toThrow(
      'token subject is not a user id',
    );
  });

  it('takes a stats:read token whose claim is not a user id as a service, and one with a user id as that user', async () => {
    const verifier = new TokenVerifier(buildConfig({ AUTH_JWT_SECRET: SECRET }));
    expect(
      await verifier.verify(await signClaims({ sub: 'grafana', scope: 'stats:read' })),
    ).toMatchObject({ kind: 'service', name: 'grafana' });
    expect(
      await verifier.verify(await signClaims({ sub: '12', scope: 'stats:read' })),
    ).toMatchObject({ kind: 'user', id: 12 });
    await expect(verifier.verify(await signClaims({ scope: 'stats:read' }))).rejects.toThrow(
      'token claim "sub" does not name the service',
    );
    await expect(
      verifier.verify(await signClaims({ sub: 'grafana', scope: 'messages:write:assistant' })),
    ).rejects.toThrow('token subject is not a user id');
  });
});
