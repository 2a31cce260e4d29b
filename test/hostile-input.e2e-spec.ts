import fc from 'fast-check';
import { ApiClient } from './support/api-client';
import { startTestApp, type TestApp } from './support/test-app';

const USER = 1201;
const RUNS_PER_ROUTE = 150;
const LEAKS =
  /SELECT|INSERT|UPDATE |constraint|idx_|pk_|fk_|chk_|relation "|syntax error|at \w+ \(|\/work\/|node_modules|127\.0\.0\.1|postgres/i;

// Values that break naive code: wrong types, huge and empty strings, lone surrogates, NUL, deep
// and wide JSON, numbers out of range.
const nasty = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\udfff',
    '😀'.repeat(20_000),
    'x'.repeat(40_000),
    '%',
    '\\',
    "'; DROP TABLE messages; --",
  ),
  fc.constantFrom(
    -1,
    0,
    1.5,
    2 ** 31,
    -(2 ** 53),
    Number.MAX_SAFE_INTEGER,
    1e308,
    true,
    null,
    [],
    {},
  ),
  fc
    .integer({ min: 1, max: 300 })
    .map((depth) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`)),
  fc
    .integer({ min: 1, max: 2000 })
    .map((width) => Object.fromEntries(Array.from({ length: width }, (_, i) => [`k${i}`, i]))),
);

const messageBody = fc.record(
  {
    role: fc.oneof(fc.constantFrom('user', 'assistant', 'system'), nasty),
    content: fc.oneof(fc.string({ minLength: 1, maxLength: 50 }), nasty),
    agent_used: nasty,
    routing_info: nasty,
    references: fc.oneof(fc.array(nasty, { maxLength: 60 }), nasty),
    metadata: nasty,
    [`extra`]: nasty,
  },
  { requiredKeys: [] },
);

const createBody = fc.record(
  {
    title: fc.oneof(fc.string({ maxLength: 250 }), nasty),
    initial_message: nasty,
    metadata: nasty,
    user_id: nasty,
    id: nasty,
  },
  { requiredKeys: [] },
);

const queryString = fc
  .dictionary(
    fc.constantFrom(
      'limit',
      'page',
      'offset',
      'cursor',
      'before_seq',
      'after_seq',
      'format',
      'user_id',
      'x',
    ),
    fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer().map(String)),
    { maxKeys: 4 },
  )
  .map((params) => new URLSearchParams(params).toString());

const pathId = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('conv_', 'conv_%00', '..', 'search', `conv_${'f'.repeat(45)}`),
);

describe('hostile input, generated', () => {
  let t: TestApp;
  let api: ApiClient;
  let conversationId: string;
  const accepted = { conversations: 1, messages: 0 };
  let requests = 0;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [USER]);
    conversationId = (await api.createConversation(USER, { title: 'target' })).id;
  });

  afterAll(async () => {
    await t.close();
  });

  /** No 5xx; a 4xx says what is wrong, and leaks nothing. */
  function checkAnswer(status: number, body: unknown, sent: unknown): void {
    requests += 1;
    if (status >= 500)
      throw new Error(
        `${status} for ${JSON.stringify(sent)?.slice(0, 300)}: ${JSON.stringify(body)}`,
      );
    if (status >= 400) {
      const message = (body as { message?: unknown }).message;
      const text = Array.isArray(message) ? message.join(' ') : message;
      if (typeof text !== 'string' || text.trim().length < 5)
        throw new Error(`a ${status} without a message: ${JSON.stringify(body)}`);
      if (LEAKS.test(JSON.stringify(body)))
        throw new Error(`a ${status} leaks: ${JSON.stringify(body)}`);
    }
  }

  it('POST /api/v1/conversations: never 5xx, and stores exactly what it accepted', async () => {
    await fc.assert(
      fc.asyncProperty(createBody, async (body) => {
        const response = await t.http.post('/api/v1/conversations').set(api.auth(USER)).send(body);
        checkAnswer(response.status, response.body, body);
        if (response.status === 201) {
          accepted.conversations += 1;
          accepted.messages += response.body.messages.length;
        }
      }),
      { numRuns: RUNS_PER_ROUTE },
    );
  }, 120_000);

  it('POST /api/v1/conversations/:id/messages: never 5xx, single messages and exchanges', async () => {
    const body = fc.oneof(
      messageBody,
      fc.record({ messages: fc.oneof(fc.array(messageBody, { maxLength: 12 }), nasty) }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (sent) => {
        const response = await t.http
          .post(`/api/v1/conversations/${conversationId}/messages`)
          .set(api.auth(USER, 'agent'))
          .send(sent);
        checkAnswer(response.status, response.body, sent);
        if (response.status === 201) accepted.messages += response.body.messages.length;
      }),
      { numRuns: RUNS_PER_ROUTE },
    );
  }, 120_000);

  it('raw bodies that are not JSON objects: never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.constantFrom('null', '[]', '"x"', '1', '{"a":', '{}}'),
        ),
        async (raw) => {
          const response = await t.http
            .post(`/api/v1/conversations/${conversationId}/messages`)
            .set(api.auth(USER, 'agent'))
            .set('Content-Type', 'application/json')
            .send(raw);
          checkAnswer(response.status, response.body, raw);
          if (response.status === 201) accepted.messages += response.body.messages.length;
        },
      ),
      { numRuns: RUNS_PER_ROUTE },
    );
  }, 120_000);

  it('PATCH and PUT /api/v1/conversations/:id: never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('patch', 'put') as fc.Arbitrary<'patch' | 'put'>,
        createBody,
        async (method, body) => {
          const response = await t.http[method](`/api/v1/conversations/${conversationId}`)
            .set(api.auth(USER))
            .send(body);
          checkAnswer(response.status, response.body, body);
        },
      ),
      { numRuns: RUNS_PER_ROUTE },
    );
  }, 120_000);

  it('POST /api/v1/conversations/search: never 5xx', async () => {
    const body = fc.record(
      {
        query: fc.oneof(fc.string({ unit: 'binary', maxLength: 220 }), nasty),
        sort: nasty,
        agent_type: nasty,
        role: nasty,
        conversation_id: nasty,
        start_date: nasty,
        end_date: nasty,
        limit: nasty,
        offset: nasty,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, async (sent) => {
        const response = await t.http
          .post('/api/v1/conversations/search')
          .set(api.auth(USER))
          .send(sent);
        checkAnswer(response.status, response.body, sent);
      }),
      { numRuns: RUNS_PER_ROUTE },
    );
  }, 120_000);

  it('query strings of the list, messages and export routes: never 5xx', async () => {
    const route = fc.constantFrom(
      '/api/v1/conversations',
      `/api/v1/conversations/${conversationId}/messages`,
      `/api/v1/conversations/${conversationId}/export`,
    );
    await fc.assert(
      fc.asyncProperty(route, queryString, async (path, query) => {
        const response = await t.http.get(`${path}?${query}`).set(api.auth(USER));
        checkAnswer(response.status, response.body, query);
      }),
      { numRuns: RUNS_PER_ROUTE },
    );
  }, 120_000);

  it("path ids on every route: never 5xx, and only 404 for what is not the caller's", async () => {
    const method = fc.constantFrom(
      'get',
      'get-messages',
      'get-stats',
      'get-export',
      'delete',
      'post-messages',
    );
    await fc.assert(
      fc.asyncProperty(method, pathId, async (kind, raw) => {
        const id = encodeURIComponent(raw);
        const path = {
          get: `/api/v1/conversations/${id}`,
          'get-messages': `/api/v1/conversations/${id}/messages`,
          'get-stats': `/api/v1/conversations/${id}/stats`,
          'get-export': `/api/v1/conversations/${id}/export`,
          delete: `/api/v1/conversations/${id}`,
          'post-messages': `/api/v1/conversations/${id}/messages`,
        }[kind];
        const request =
          kind === 'delete'
            ? t.http.delete(path)
            : kind === 'post-messages'
              ? t.http.post(path).send({ role: 'user', content: 'x' })
              : t.http.get(path);
        const response = await request.set(api.auth(USER));
        checkAnswer(response.status, response.body, path);
        if (raw.length > 0 && !raw.includes('/') && raw !== '..' && raw !== '.')
          expect([path, response.status]).toEqual([path, 404]);
      }),
      { numRuns: RUNS_PER_ROUTE },
    );
  }, 120_000);

  it('stored exactly the rows of the accepted requests', async () => {
    expect(requests).toBeGreaterThanOrEqual(1000);
    const conversations = await t.db.client.query(
      'SELECT count(*)::int AS n FROM conversations WHERE user_id = $1',
      [USER],
    );
    const messages = await t.db.client.query(
      'SELECT count(*)::int AS n FROM messages WHERE user_id = $1',
      [USER],
    );
    expect(conversations.rows[0].n).toBe(accepted.conversations);
    expect(messages.rows[0].n).toBe(accepted.messages);
    const counters = await t.db.client.query(
      `SELECT count(*)::int AS n FROM conversations c WHERE c.user_id = $1 AND c.message_count <> (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)`,
      [USER],
    );
    expect(counters.rows[0].n).toBe(0);
  });
});
