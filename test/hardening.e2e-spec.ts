import { request as httpRequest } from 'node:http';
import { SignJWT } from 'jose';
import { ApiClient } from './support/api-client';
import { metricValue } from './support/metrics';
import { startAppProcess, waitForStatus, type AppProcess } from './support/app-process';
import { startTestApp, type TestApp } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { testEnvironment } from './support/test-environment';
import { signToken, TEST_JWT_SECRET } from './support/tokens';

const ALICE = 1501;

/** A JSON object of `count` members with short names, as a cheap attack would send. */
const wideObject = (count: number): Record<string, number> =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [i.toString(36), 0]));

describe('hostile bodies', () => {
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [ALICE]);
  });

  afterAll(async () => {
    await t.close();
  });

  /**
   * Sends `body` while /health/live is asked every 5 ms (same process, same event loop as the app):
   * the answer's time and the longest a liveness probe waited.
   */
  async function sendWhileProbing(
    body: string,
  ): Promise<{ status: number; message: unknown; ms: number; longestProbeMs: number }> {
    let probing = true;
    let longestProbeMs = 0;
    const probes = (async () => {
      while (probing) {
        const started = performance.now();
        await t.http.get('/health/live');
        longestProbeMs = Math.max(longestProbeMs, performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = performance.now();
    const response = await t.http
      .post('/api/v1/conversations')
      .set(api.auth(ALICE))
      .set('Content-Type', 'application/json')
      .send(body);
    const ms = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 20));
    probing = false;
    await probes;
    return { status: response.status, message: response.body.message, ms, longestProbeMs };
  }

  it.each([
    ['90,000 unknown top-level keys', () => JSON.stringify({ title: 't', ...wideObject(90_000) })],
    [
      '90,000 keys inside metadata',
      () => JSON.stringify({ title: 't', metadata: wideObject(90_000) }),
    ],
    [
      'an array of 200,000 numbers',
      () => JSON.stringify({ title: 't', metadata: { a: Array(200_000).fill(1) } }),
    ],
    [
      '4,900 objects of one key each, under every width',
      () =>
        JSON.stringify({
          title: 't',
          metadata: Object.fromEntries(
            Array.from({ length: 50 }, (_, i) => [`g${i}`, wideObject(99)]),
          ),
        }),
    ],
  ])(
    'answers a body of %s at once with 400, and liveness never waits behind it',
    async (_name, build) => {
      const body = build();
      expect(Buffer.byteLength(body)).toBeLessThan(1024 * 1024);
      const result = await sendWhileProbing(body);
      expect(result.status).toBe(400);
      expect(JSON.stringify(result.message)).toMatch(/members|should not exist|16384 bytes/);
      // The target is 50 ms of CPU; the bound here leaves room for a loaded CI machine.
      expect(result.ms).toBeLessThan(250);
      expect(result.longestProbeMs).toBeLessThan(120);
    },
  );

  it('still takes a body with the most members a request may hold', async () => {
    const body = JSON.stringify({ title: 't', metadata: wideObject(900) });
    const result = await sendWhileProbing(body);
    expect(result.status).toBe(201);
  });

  it('answers 415 for form-encoded and plain-text bodies, and stores nothing', async () => {
    const form = await t.http
      .post('/api/v1/conversations')
      .set(api.auth(ALICE))
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('title=form');
    const text = await t.http
      .post('/api/v1/conversations')
      .set(api.auth(ALICE))
      .set('Content-Type', 'text/plain')
      .send('{"title":"text"}');
    expect([form.status, text.status]).toEqual([415, 415]);
    const { rows } = await t.db.client.query(
      `SELECT count(*)::int AS n FROM conversations WHERE title IN ('form', 'text')`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('answers 400 naming an unknown query parameter on every route', async () => {
    const conversation = await api.createConversation(ALICE, { title: 'q' });
    const auth = api.auth(ALICE);
    const routes = [
      t.http.get(`/api/v1/conversations/${conversation.id}?verbose=1`).set(auth),
      t.http.get(`/api/v1/conversations/${conversation.id}/stats?verbose=1`).set(auth),
      t.http.delete(`/api/v1/conversations/${conversation.id}?verbose=1`).set(auth),
      t.http.post('/api/v1/conversations?verbose=1').set(auth).send({}),
      t.http.post('/api/v1/conversations/search?verbose=1').set(auth).send({ query: 'q' }),
      t.http.get('/api/v1/conversations?verbose=1').set(auth),
      t.http.get(`/api/v1/conversations/${conversation.id}/messages?verbose=1`).set(auth),
      t.http.get('/health/live?verbose=1'),
      t.http.get('/metrics?verbose=1'),
    ];
    for (const response of await Promise.all(routes)) {
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.message)).toContain('verbose');
    }
    expect((await t.http.get(`/api/v1/conversations/${conversation.id}`).set(auth)).status).toBe(
      200,
    );
  });
});

describe('tokens', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ AUTH_JWT_MAX_AGE_SECONDS: '86400' });
  });

  afterAll(async () => {
    await t.close();
  });

  const sign = (claims: { iat?: number; exp: number }): Promise<string> => {
    let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(String(ALICE));
    if (claims.iat !== undefined) jwt = jwt.setIssuedAt(claims.iat);
    return jwt.setExpirationTime(claims.exp).sign(new TextEncoder().encode(TEST_JWT_SECRET));
  };
  const now = (): number => Math.floor(Date.now() / 1000);

  it('refuses a token that lives longer than AUTH_JWT_MAX_AGE_SECONDS, with or without iat', async () => {
    const call = async (token: string): Promise<number> =>
      (await t.http.get('/api/v1/conversations').set('Authorization', `Bearer ${token}`)).status;
    expect(await call(await sign({ iat: now(), exp: now() + 86_400 }))).toBe(200);
    expect(await call(await sign({ iat: now(), exp: now() + 86_401 }))).toBe(401);
    expect(await call(await sign({ exp: 1e300 }))).toBe(401);
    expect(await call(await sign({ exp: now() + 3 * 86_400 }))).toBe(401);
  });

  it('counts refused tokens, and limits an address that keeps sending them without slowing a valid token', async () => {
    const refused = (reason: string): Promise<number> =>
      metricValue(t.http, `auth_tokens_refused_total{reason="${reason}"}`);
    const [invalidBefore, limitedBefore] = [await refused('invalid'), await refused('limited')];
    const known = await signToken(ALICE);
    expect(
      (await t.http.get('/api/v1/conversations').set('Authorization', `Bearer ${known}`)).status,
    ).toBe(200);
    const forged = `${known.slice(0, -4)}AAAA`;
    const statuses: number[] = [];
    for (let i = 0; i < 32; i += 1) {
      const response = await t.http
        .get('/api/v1/conversations')
        .set('X-Forwarded-For', '203.0.113.7')
        .set('Authorization', `Bearer ${forged}`);
      statuses.push(response.status);
      if (response.status === 429)
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(401));
    expect(statuses.slice(30)).toEqual([429, 429]);
    // A token already verified is not held back, nor is another address.
    const fromSame = await t.http
      .get('/api/v1/conversations')
      .set('X-Forwarded-For', '203.0.113.7')
      .set('Authorization', `Bearer ${known}`);
    expect(fromSame.status).toBe(200);
    const fromOther = await t.http
      .get('/api/v1/conversations')
      .set('X-Forwarded-For', '198.51.100.1')
      .set('Authorization', `Bearer ${forged}`);
    expect(fromOther.status).toBe(401);
    expect((await refused('invalid')) - invalidBefore).toBe(31);
    expect((await refused('limited')) - limitedBefore).toBe(2);
  });
});

describe('a body over the limit under load', () => {
  let db: TestDatabase;
  let app: AppProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    const { postgres } = testEnvironment();
    app = await startAppProcess({
      NODE_ENV: 'production',
      POSTGRES_HOST: postgres.host,
      POSTGRES_PORT: String(postgres.port),
      POSTGRES_USER: postgres.user,
      POSTGRES_DB: db.name,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT_PER_MINUTE: '1000000',
    });
    await waitForStatus(app, '/health/ready', 200, 30_000);
  });

  afterAll(async () => {
    app.child.kill('SIGKILL');
    await app.exited;
    await db.drop();
  });

  /** Writes a 2 MiB body in chunks, as a client on a network would, and reads the answer. */
  function sendOversized(token: string): Promise<number | string> {
    return new Promise((resolve) => {
      const body = Buffer.alloc(2 * 1024 * 1024, 'a');
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port: app.port,
          method: 'POST',
          path: '/api/v1/conversations',
          headers: {
            Authorization: `Bearer ${token}`,
            'Content-Type': 'application/json',
            'Content-Length': body.length,
          },
        },
        (response) => {
          response.resume();
          response.once('end', () => resolve(response.statusCode ?? 0));
        },
      );
      request.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      let offset = 0;
      const writeMore = (): void => {
        while (offset < body.length) {
          const chunk = body.subarray(offset, offset + 64 * 1024);
          offset += chunk.length;
          if (!request.write(chunk)) {
            request.once('drain', writeMore);
            return;
          }
        }
        request.end();
      };
      writeMore();
    });
  }

  it('reaches every client as 413: 4 parallel senders of 2 MiB, 20 requests, no EPIPE', async () => {
    const token = await signToken(ALICE);
    const outcomes: Array<number | string> = [];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 5; i += 1) outcomes.push(await sendOversized(token));
      }),
    );
    expect(outcomes).toEqual(Array(20).fill(413));
  });
});

describe('an unexpected database error in the log', () => {
  it('names its class and code, never the SQL, its parameters or the message text', async () => {
    const db = await createTestDatabase();
    const { postgres } = testEnvironment();
    const app = await startAppProcess({
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      POSTGRES_HOST: postgres.host,
      POSTGRES_PORT: String(postgres.port),
      POSTGRES_USER: postgres.user,
      POSTGRES_DB: db.name,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
    });
    try {
      await waitForStatus(app, '/health/ready', 200, 30_000);
      const token = await signToken(ALICE);
      const base = `http://127.0.0.1:${app.port}/api/v1/conversations`;
      const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
      const created = (await (
        await fetch(base, { method: 'POST', headers, body: JSON.stringify({ title: 't' }) })
      ).json()) as { id: string };
      // An error no mapping knows: a column the INSERT names is gone.
      await db.client.query('ALTER TABLE messages RENAME COLUMN search_terms TO search_terms_gone');
      const planted = '심어 둔 비밀 문장 planted-secret-text';
      const response = await fetch(`${base}/${created.id}/messages`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ role: 'user', content: planted }),
      });
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'internal server error',
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const line = app
        .output()
        .split('\n')
        .find((text) => text.includes('unexpected error'));
      expect(JSON.parse(line!)).toMatchObject({
        err: { type: 'QueryFailedError', code: '42703' },
      });
      expect(app.output()).not.toMatch(/planted-secret-text|심어|INSERT INTO|search_terms_gone/);
    } finally {
      app.child.kill('SIGKILL');
      await app.exited;
      await db.drop();
    }
  });
});

describe('Idempotency-Key in flight', () => {
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [ALICE]);
  });

  afterAll(async () => {
    await t.close();
  });

  it('holds only the exact key: another key with the same 32-bit hash goes through while the first runs', async () => {
    const { rows } = await t.db.client.query(
      `SELECT hashtext('k48136') = hashtext('k127628') AS collide`,
    );
    expect(rows[0].collide).toBe(true);
    const held = await api.createConversation(ALICE, { title: 'held' });
    const free = await api.createConversation(ALICE, { title: 'free' });
    const append = (conversationId: string, key: string) =>
      t.http
        .post(`/api/v1/conversations/${conversationId}/messages`)
        .set(api.auth(ALICE))
        .set('Idempotency-Key', key)
        .send({ role: 'user', content: `with ${key}` });
    // The first request waits on its conversation's row, held by this transaction.
    await t.db.client.query('BEGIN');
    await t.db.client.query('SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE', [held.id]);
    // A supertest request is sent when awaited: then() sends it now.
    const first = append(held.id, 'k48136').then((response) => response);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await append(free.id, 'k127628');
    const sameKey = await append(held.id, 'k48136');
    await t.db.client.query('COMMIT');
    expect(second.status).toBe(201);
    expect(sameKey.status).toBe(409);
    expect(sameKey.body.message).toBe('a request with this Idempotency-Key is still in progress');
    expect((await first).status).toBe(201);
  });
});
