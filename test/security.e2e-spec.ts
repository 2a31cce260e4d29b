import { generateKeyPairSync, createHmac } from 'node:crypto';
import { SignJWT, UnsecuredJWT, importPKCS8 } from 'jose';
import { ApiClient } from './support/api-client';
import { freePort } from './support/app-process';
import { metricValue } from './support/metrics';
import { startTestApp, type TestApp } from './support/test-app';
import { testEnvironment } from './support/test-environment';
import { signToken } from './support/tokens';

const USER = 1101;
const OTHER = 1102;
const ISSUER = 'https://id.example.test';
const AUDIENCE = 'chatbot-history';

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

describe('JWT attack set against an RS256 setup with issuer and audience', () => {
  let t: TestApp;
  let privateKey: Awaited<ReturnType<typeof importPKCS8>>;
  let publicPem: string;

  beforeAll(async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    privateKey = await importPKCS8(
      pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      'RS256',
    );
    t = await startTestApp({
      AUTH_JWT_SECRET: '',
      AUTH_JWT_PUBLIC_KEY: publicPem,
      AUTH_JWT_ISSUER: ISSUER,
      AUTH_JWT_AUDIENCE: AUDIENCE,
    });
  });

  afterAll(async () => {
    await t.close();
  });

  const now = () => Math.floor(Date.now() / 1000);
  const call = (token: string) =>
    t.http.get('/api/v1/conversations').set('Authorization', `Bearer ${token}`);

  /** An RS256 token of the real key, with the claims given (null drops a claim). */
  const signed = (claims: {
    sub?: string;
    iss?: string;
    aud?: string;
    exp?: number | string | null;
    nbf?: number;
  }) => {
    let jwt = new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject(claims.sub ?? String(USER))
      .setIssuer(claims.iss ?? ISSUER)
      .setAudience(claims.aud ?? AUDIENCE);
    if (claims.exp !== null) jwt = jwt.setExpirationTime(claims.exp ?? '1h');
    if (claims.nbf !== undefined) jwt = jwt.setNotBefore(claims.nbf);
    return jwt.sign(privateKey);
  };

  it('accepts a well-formed RS256 token (the control)', async () => {
    expect((await call(await signed({}))).status).toBe(200);
  });

  it.each([
    [
      'alg none',
      async () =>
        new UnsecuredJWT({
          sub: String(USER),
          iss: ISSUER,
          aud: AUDIENCE,
          exp: now() + 3600,
        }).encode(),
    ],
    [
      'HS256 signed with the RS256 public key',
      async () => {
        const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
        const payload = base64url(
          JSON.stringify({ sub: String(USER), iss: ISSUER, aud: AUDIENCE, exp: now() + 3600 }),
        );
        const signature = createHmac('sha256', publicPem)
          .update(`${header}.${payload}`)
          .digest('base64url');
        return `${header}.${payload}.${signature}`;
      },
    ],
    ['expired', () => signed({ exp: now() - 60 })],
    ['nbf in the future', () => signed({ nbf: now() + 600 })],
    ['wrong issuer', () => signed({ iss: 'https://evil.test' })],
    ['wrong audience', () => signed({ aud: 'someone-else' })],
    ['missing exp', () => signed({ exp: null })],
    [
      'a flipped payload byte',
      async () => {
        const [header, payload, signature] = (await signed({})).split('.');
        const bytes = Buffer.from(payload, 'base64url');
        bytes[bytes.length - 3] ^= 0x01;
        return `${header}.${bytes.toString('base64url')}.${signature}`;
      },
    ],
    ['a non-integer sub', () => signed({ sub: 'alice' })],
    ['a negative sub', () => signed({ sub: '-5' })],
    ['a sub beyond INTEGER', () => signed({ sub: '2147483648' })],
  ])('answers 401 for %s', async (_name, forge) => {
    const response = await call(await forge());
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    expect(JSON.stringify(response.body)).not.toMatch(/BEGIN PUBLIC KEY|stack|at \w+ \(/);
  });

  it('takes sub as a JSON number too', async () => {
    const token = await new SignJWT({ sub: USER as unknown as string })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('1h')
      .sign(privateKey);
    expect((await call(token)).status).toBe(200);
  });
});

describe('HS256 secret setup', () => {
  it('refuses an RS256 token and a token signed with another secret', async () => {
    const t = await startTestApp();
    try {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const rs = await new SignJWT({})
        .setProtectedHeader({ alg: 'RS256' })
        .setSubject(String(USER))
        .setExpirationTime('1h')
        .sign(privateKey);
      expect(
        (await t.http.get('/api/v1/conversations').set('Authorization', `Bearer ${rs}`)).status,
      ).toBe(401);
      const forged = await signToken(USER, { secret: 'x'.repeat(48) });
      expect(
        (await t.http.get('/api/v1/conversations').set('Authorization', `Bearer ${forged}`)).status,
      ).toBe(401);
    } finally {
      await t.close();
    }
  });
});

const environment = testEnvironment();
const describeWithRedis = environment.redis ? describe : describe.skip;

describeWithRedis('rate limiting per user, shared across replicas through Redis', () => {
  const env = {
    RATE_LIMIT_PER_MINUTE: '5',
    REDIS_HOST: environment.redis?.host ?? '',
    REDIS_PORT: String(environment.redis?.port ?? ''),
    REDIS_KEY_PREFIX: `chatbot-test-${environment.runId}-ratelimit`,
  };
  let a: TestApp;
  let b: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    a = await startTestApp(env);
    b = await startTestApp(env, a.db);
    api = await ApiClient.forUsers(a.http, [USER, OTHER]);
  });

  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it("answers 429 with Retry-After once the user's budget is spent on either replica, and not for another user", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1)
      statuses.push((await a.http.get('/api/v1/conversations').set(api.auth(USER))).status);
    for (let i = 0; i < 2; i += 1)
      statuses.push((await b.http.get('/api/v1/conversations').set(api.auth(USER))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await b.http.get('/api/v1/conversations').set(api.auth(USER));
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.message).toContain('rate limit exceeded');
    expect((await a.http.get('/api/v1/conversations').set(api.auth(OTHER))).status).toBe(200);
    expect(await metricValue(b.http, 'rate_limited_total')).toBeGreaterThanOrEqual(1);
  });

  it('never limits health and metrics', async () => {
    for (let i = 0; i < 20; i += 1) {
      expect((await a.http.get('/health/live')).status).toBe(200);
      expect((await a.http.get('/metrics')).status).toBe(200);
    }
  });
});

describe('rate limiting with Redis unreachable', () => {
  it('fails open and counts it in rate_limit_fail_open_total', async () => {
    const t = await startTestApp({
      RATE_LIMIT_PER_MINUTE: '2',
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(await freePort()),
    });
    try {
      const api = await ApiClient.forUsers(t.http, [USER]);
      for (let i = 0; i < 5; i += 1) {
        expect((await t.http.get('/api/v1/conversations').set(api.auth(USER))).status).toBe(200);
      }
      expect(await metricValue(t.http, 'rate_limit_fail_open_total')).toBe(5);
    } finally {
      await t.close();
    }
  });
});

describe('security headers and CORS', () => {
  it('sends security headers on every answer, no X-Powered-By, and no CORS headers by default', async () => {
    const t = await startTestApp();
    try {
      const api = await ApiClient.forUsers(t.http, [USER]);
      for (const response of [
        await t.http.get('/health/live'),
        await t.http.get('/api/v1/conversations').set(api.auth(USER)),
        await t.http.get('/api/v1/conversations'),
        await t.http.get('/nowhere'),
      ]) {
        expect(response.headers['x-content-type-options']).toBe('nosniff');
        expect(response.headers['strict-transport-security']).toContain('max-age=');
        expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
        expect(response.headers['content-security-policy']).toContain("default-src 'self'");
        expect(response.headers['x-powered-by']).toBeUndefined();
      }
      const cors = await t.http
        .options('/api/v1/conversations')
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'GET');
      expect(cors.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it('allows exactly the configured origins', async () => {
    const t = await startTestApp({ CORS_ORIGINS: 'https://chat.example, https://admin.example' });
    try {
      const allowed = await t.http
        .options('/api/v1/conversations')
        .set('Origin', 'https://chat.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(allowed.headers['access-control-allow-origin']).toBe('https://chat.example');
      expect(allowed.headers['access-control-allow-headers']).toContain('Idempotency-Key');
      const refused = await t.http
        .options('/api/v1/conversations')
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
