import { createClient } from '@keyv/redis';
import { ApiClient } from './support/api-client';
import { startAppProcess, waitForStatus } from './support/app-process';
import { startTestApp, type TestApp } from './support/test-app';
import { createTestDatabase } from './support/test-database';
import { testEnvironment } from './support/test-environment';
import { signToken, TEST_JWT_SECRET } from './support/tokens';

const ALICE = 1201;
const BOB = 1202;
const ACT_AS = 'conversations:act-as messages:write:assistant';
const environment = testEnvironment();
const describeWithRedis = environment.redis ? describe : describe.skip;

/** The AI gateway's token: a trusted service that names, per request, the user it acts for. */
const gatewayToken = (scope = ACT_AS): Promise<string> => signToken('ai-gateway', { scope });

describe("the predecessor's gateway, acting for its users with a service token", () => {
  let t: TestApp;
  let api: ApiClient;
  let gateway: { Authorization: string };
  let alices: Record<string, any>;
  let bobs: Record<string, any>;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [ALICE, BOB]);
    gateway = { Authorization: `Bearer ${await gatewayToken()}` };
    alices = await api.createConversation(ALICE, { initial_message: '관세율 조회 방법' });
    await api.append(ALICE, alices.id, {
      role: 'assistant',
      content: 'HS 코드로 관세율을 찾습니다',
      agent_used: 'regulation_agent',
      routing_info: { selected_agent: 'regulation_agent', complexity: 0.4, reasoning: '규정' },
      references: [{ source: 'law', title: '관세법', similarity: 0.9, metadata: {} }],
    });
    bobs = await api.createConversation(BOB, { initial_message: '밥의 대화' });
  });

  afterAll(async () => {
    await t.close();
  });

  describe.each([
    ['with', '/'],
    ['without', ''],
  ])('%s the trailing slash', (_label, slash) => {
    it('list: GET /api/v1/conversations/?user_id&limit&offset answers the fields the gateway reads', async () => {
      const response = await t.http
        .get(`/api/v1/conversations${slash}?user_id=${ALICE}&limit=20&offset=0`)
        .set(gateway);
      expect(response.status).toBe(200);
      expect(response.body.total_count).toBe(1);
      expect(response.body.conversations).toHaveLength(1);
      expect(response.body.conversations[0]).toMatchObject({
        id: alices.id,
        title: '관세율 조회 방법',
        message_count: 2,
        last_agent_used: 'regulation_agent',
        is_active: true,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
    });

    it('history: GET /{id}/messages?user_id&limit=50&offset=0 answers the messages, oldest first', async () => {
      const response = await t.http
        .get(
          `/api/v1/conversations/${alices.id}/messages${slash}?user_id=${ALICE}&limit=50&offset=0`,
        )
        .set(gateway);
      expect(response.status).toBe(200);
      expect(response.body.total_count).toBe(2);
      expect(response.body.messages.map((m: { role: string }) => m.role)).toEqual([
        'user',
        'assistant',
      ]);
      expect(response.body.messages[1]).toMatchObject({
        id: expect.any(String),
        conversation_id: alices.id,
        content: 'HS 코드로 관세율을 찾습니다',
        agent_used: 'regulation_agent',
        routing_info: { selected_agent: 'regulation_agent', complexity: 0.4, reasoning: '규정' },
        references: [{ source: 'law', title: '관세법', similarity: 0.9, metadata: {} }],
        timestamp: expect.any(String),
        metadata: {},
      });
    });

    it('search: POST /search with {query, user_id, limit} answers conversations, messages and total_count', async () => {
      const response = await t.http
        .post(`/api/v1/conversations/search${slash}`)
        .set(gateway)
        .send({ query: '관세율', user_id: ALICE, limit: 10 });
      expect(response.status).toBe(200);
      expect(response.body.total_count).toBe(2);
      expect(response.body.messages).toHaveLength(2);
      expect(response.body.conversations).toEqual([
        expect.objectContaining({ id: alices.id, match_count: 2 }),
      ]);
    });

    it("delete: DELETE /{id}?user_id answers 404 for another user's conversation", async () => {
      const response = await t.http
        .delete(`/api/v1/conversations/${bobs.id}${slash}?user_id=${ALICE}`)
        .set(gateway);
      expect(response.status).toBe(404);
      expect((await t.http.get(`/api/v1/conversations/${bobs.id}`).set(api.auth(BOB))).status).toBe(
        200,
      );
    });

    it('health: GET /health answers 200 with status', async () => {
      const response = await t.http.get(`/health${slash}`);
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('ok');
    });
  });

  it('delete: DELETE /{id}/?user_id answers 204 for the acted user, and the conversation is gone', async () => {
    const doomed = await api.createConversation(ALICE, { title: '지울 대화' });
    const response = await t.http
      .delete(`/api/v1/conversations/${doomed.id}/?user_id=${ALICE}`)
      .set(gateway);
    expect(response.status).toBe(204);
    expect(
      (await t.http.get(`/api/v1/conversations/${doomed.id}`).set(api.auth(ALICE))).status,
    ).toBe(404);
  });

  it('answers every route with or without one trailing slash, metrics and health included', async () => {
    for (const path of ['/metrics', '/health/live', '/health/ready', '/health/database']) {
      expect([path, (await t.http.get(path)).status]).toEqual([path, 200]);
      expect([path, (await t.http.get(`${path}/`)).status]).toEqual([path, 200]);
    }
    const own = api.auth(ALICE);
    expect((await t.http.get(`/api/v1/conversations/${alices.id}/`).set(own)).status).toBe(200);
    expect((await t.http.get(`/api/v1/conversations/${alices.id}/stats/`).set(own)).status).toBe(
      200,
    );
  });

  it('acting for a user without user_id, or with user_id null, answers 400 naming user_id', async () => {
    const bare = await t.http.get('/api/v1/conversations/').set(gateway);
    expect(bare.status).toBe(400);
    expect(bare.body.message).toContain('user_id');
    const nullInBody = await t.http
      .post('/api/v1/conversations/search')
      .set(gateway)
      .send({ query: '관세', user_id: null, limit: 5 });
    expect(nullInBody.status).toBe(400);
    expect(nullInBody.body.message).toContain('user_id');
  });

  it('refuses a user_id in the query and another in the body with 400', async () => {
    const response = await t.http
      .post(`/api/v1/conversations?user_id=${ALICE}`)
      .set(gateway)
      .send({ user_id: BOB, title: 'x' });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe('user_id differs between the query and the body');
  });

  it("treats user_id null from a user's own token as no user_id", async () => {
    const search = await t.http
      .post('/api/v1/conversations/search')
      .set(api.auth(ALICE))
      .send({ query: '관세율', user_id: null, limit: 10 });
    expect(search.status).toBe(200);
    expect(search.body.total_count).toBe(2);
    const created = await t.http
      .post('/api/v1/conversations')
      .set(api.auth(ALICE))
      .send({ user_id: null, title: 'null은 없는 것' });
    expect(created.status).toBe(201);
    expect(created.body.user_id).toBe(ALICE);
  });

  it('without the act-as scope, a user_id of another user stays 403', async () => {
    const agentOnly = {
      Authorization: `Bearer ${await signToken(ALICE, { scope: 'messages:write:assistant' })}`,
    };
    const response = await t.http.get(`/api/v1/conversations?user_id=${BOB}`).set(agentOnly);
    expect(response.status).toBe(403);
  });

  it("with the act-as scope, user B's conversation acting for A is 404, exactly like an unknown id", async () => {
    const foreign = await t.http
      .get(`/api/v1/conversations/${bobs.id}?user_id=${ALICE}`)
      .set(gateway);
    const unknown = await t.http
      .get(`/api/v1/conversations/conv_00000000000000000000000000000000?user_id=${ALICE}`)
      .set(gateway);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(unknown.body);
  });

  it('writes assistant messages for the acted user only with messages:write:assistant as well', async () => {
    const actOnly = { Authorization: `Bearer ${await gatewayToken('conversations:act-as')}` };
    const refused = await t.http
      .post(`/api/v1/conversations/${alices.id}/messages`)
      .set(actOnly)
      .send({ user_id: ALICE, role: 'assistant', content: '답변' });
    expect(refused.status).toBe(403);
    const asUser = await t.http
      .post(`/api/v1/conversations/${alices.id}/messages`)
      .set(actOnly)
      .send({ user_id: ALICE, role: 'user', content: '질문' });
    expect(asUser.status).toBe(201);
    expect(asUser.body.messages[0]).toMatchObject({ role: 'user', content: '질문' });
  });

  it('replays an Idempotency-Key as the acted user, whichever way the path ends', async () => {
    const send = (path: string) =>
      t.http
        .post(path)
        .set(gateway)
        .set('Idempotency-Key', 'gateway-retry-1')
        .send({ user_id: ALICE, title: '한 번만' });
    const first = await send('/api/v1/conversations/');
    const retry = await send('/api/v1/conversations');
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.id).toBe(first.body.id);
    expect(first.body.user_id).toBe(ALICE);
  });
});

describe("the predecessor's ids", () => {
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [ALICE]);
    await t.db.client.query(
      `INSERT INTO conversations (id, user_id, title, message_count) VALUES ('sample_conv_001', $1, '샘플 대화', 2)`,
      [ALICE],
    );
    await t.db.client.query(
      `INSERT INTO messages (id, conversation_id, user_id, seq, role, content) VALUES
       ('system_init_1732000000.123456', 'sample_conv_001', $1, 1, 'system', '시스템 초기화'),
       ('sample_msg_001', 'sample_conv_001', $1, 2, 'user', '샘플 질문')`,
      [ALICE],
    );
  });

  afterAll(async () => {
    await t.close();
  });

  it('lists, opens, pages, appends to and deletes a conversation stored with a legacy id', async () => {
    const auth = api.auth(ALICE);
    const list = await t.http.get('/api/v1/conversations').set(auth);
    expect(list.body.conversations.map((c: { id: string }) => c.id)).toContain('sample_conv_001');
    const opened = await t.http.get('/api/v1/conversations/sample_conv_001').set(auth);
    expect(opened.status).toBe(200);
    expect(opened.body.recent_messages.map((m: { id: string }) => m.id)).toEqual([
      'system_init_1732000000.123456',
      'sample_msg_001',
    ]);
    const appended = await api.append(ALICE, 'sample_conv_001', {
      role: 'user',
      content: '이어서',
    });
    expect(appended.messages[0].seq).toBe(3);
    expect((await t.http.delete('/api/v1/conversations/sample_conv_001').set(auth)).status).toBe(
      204,
    );
    expect((await t.http.get('/api/v1/conversations/sample_conv_001').set(auth)).status).toBe(404);
  });

  it('answers an id that cannot be stored exactly like an unknown one', async () => {
    const auth = api.auth(ALICE);
    const unknown = await t.http.get('/api/v1/conversations/conv_unknown').set(auth);
    for (const id of ['a'.repeat(51), 'conv%20x', 'conv~1', 'conv_%E2%9C%93']) {
      const response = await t.http.get(`/api/v1/conversations/${id}`).set(auth);
      expect([id, response.status, response.body]).toEqual([id, 404, unknown.body]);
    }
    expect((await t.http.get(`/api/v1/conversations/${'a'.repeat(50)}`).set(auth)).status).toBe(
      404,
    );
  });
});

describeWithRedis('acting for a user: the rate limit and the cache are that user’s', () => {
  const prefix = `chatbot-test-${environment.runId}-takeover`;
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestApp({
      REDIS_HOST: environment.redis!.host,
      REDIS_PORT: String(environment.redis!.port),
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMIT_PER_MINUTE: '6',
    });
    api = await ApiClient.forUsers(t.http, [ALICE, BOB]);
  });

  afterAll(async () => {
    await t.close();
  });

  it("counts the gateway's requests against the acted user, and caches under that user", async () => {
    const gateway = { Authorization: `Bearer ${await gatewayToken()}` };
    const statuses: number[] = [];
    const caches: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const response = await t.http
        .get(`/api/v1/conversations/?user_id=${ALICE}&limit=20&offset=0`)
        .set(gateway);
      statuses.push(response.status);
      caches.push(response.headers['x-cache']);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    expect(caches).toEqual(['MISS', 'HIT', 'HIT', 'HIT', 'HIT', 'HIT']);
    // Alice's own token shares her budget (spent) and her cache; Bob's budget is untouched.
    expect((await t.http.get('/api/v1/conversations').set(api.auth(ALICE))).status).toBe(429);
    const bob = await t.http.get(`/api/v1/conversations?user_id=${BOB}`).set(gateway);
    expect(bob.status).toBe(200);
    expect(bob.headers['x-cache']).toBe('MISS');
    const redis = createClient({ socket: environment.redis });
    await redis.connect();
    try {
      const keys: string[] = [];
      for await (const batch of redis.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) {
        keys.push(...batch);
      }
      expect(keys).toEqual(
        expect.arrayContaining([
          `${prefix}:{u:${ALICE}}:ratelimit:default`,
          `${prefix}:{u:${BOB}}:ratelimit:default`,
        ]),
      );
      expect(keys.some((key) => key.includes('ai-gateway'))).toBe(false);
    } finally {
      redis.destroy();
    }
  });
});

describe('the log line of a request made by a service acting for a user', () => {
  it('carries acting_for and service, and never the token', async () => {
    const db = await createTestDatabase();
    const { postgres } = environment;
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
      const token = await gatewayToken();
      const response = await fetch(
        `http://127.0.0.1:${app.port}/api/v1/conversations/?user_id=${ALICE}`,
        { headers: { Authorization: `Bearer ${token}` } },
      );
      expect(response.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const lines = app
        .output()
        .split('\n')
        .filter((line) => line.includes('request completed'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toEqual([
        expect.objectContaining({ acting_for: ALICE, service: 'ai-gateway' }),
      ]);
      expect(app.output()).not.toContain(token);
    } finally {
      app.child.kill('SIGKILL');
      await app.exited;
      await db.drop();
    }
  });
});
