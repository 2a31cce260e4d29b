import { ApiClient } from './support/api-client';
import { startTestApp, type TestApp } from './support/test-app';
import { testEnvironment } from './support/test-environment';
import { signToken } from './support/tokens';

const ALICE = 1801;
const BOB = 1802;
const INT32_MAX = 2_147_483_647;
const environment = testEnvironment();

describe('feedback on assistant messages', () => {
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    // Redis when the run has it (CI does), so that "cached" means the shared cache.
    t = await startTestApp(
      environment.redis
        ? {
            REDIS_HOST: environment.redis.host,
            REDIS_PORT: String(environment.redis.port),
            REDIS_KEY_PREFIX: `chatbot-test-${environment.runId}-feedback`,
          }
        : {},
    );
    api = await ApiClient.forUsers(t.http, [ALICE, BOB]);
  });

  afterAll(async () => {
    await t.close();
  });

  const feedbackOf = (conversationId: string, messageId: string): string =>
    `/api/v1/conversations/${conversationId}/messages/${messageId}/feedback`;

  /** A conversation of Alice's with a question and an answer of the regulation agent. */
  async function answered(
    agent = 'regulation_agent',
  ): Promise<{ conversationId: string; question: string; answer: string }> {
    const conversation = await api.createConversation(ALICE, { initial_message: '관세율?' });
    const appended = await api.append(ALICE, conversation.id, {
      role: 'assistant',
      content: '8%입니다',
      agent_used: agent,
      usage: { model: 'gpt-4o', prompt_tokens: 120, completion_tokens: 30, latency_ms: 1800 },
    });
    const { rows } = await t.db.client.query(
      `SELECT id FROM messages WHERE conversation_id = $1 AND seq = 1`,
      [conversation.id],
    );
    return {
      conversationId: conversation.id,
      question: rows[0].id,
      answer: appended.messages[0].id,
    };
  }

  /** Every read that carries the message: first page (cached), conversation (cached), export. */
  async function feedbackInEveryRead(
    conversationId: string,
    messageId: string,
  ): Promise<{ reads: unknown[]; cache: string[] }> {
    const page = await t.http
      .get(`/api/v1/conversations/${conversationId}/messages`)
      .set(api.auth(ALICE));
    const conversation = await t.http
      .get(`/api/v1/conversations/${conversationId}`)
      .set(api.auth(ALICE));
    const later = await t.http
      .get(`/api/v1/conversations/${conversationId}/messages?after_seq=1`)
      .set(api.auth(ALICE));
    const exported = await t.http
      .get(`/api/v1/conversations/${conversationId}/export?format=json`)
      .set(api.auth(ALICE));
    const find = (messages: Array<{ id: string; feedback: unknown }>): unknown =>
      messages.find((message) => message.id === messageId)?.feedback;
    return {
      reads: [
        find(page.body.messages),
        find(conversation.body.recent_messages),
        find(later.body.messages),
        find(JSON.parse(exported.text).messages),
      ],
      cache: [page.headers['x-cache'], conversation.headers['x-cache']],
    };
  }

  it('stores a rating from the owner, answers it, and shows it on the message in every read, cached or not', async () => {
    const { conversationId, answer } = await answered();
    // Fill the caches first: the rating must replace what they hold.
    const before = await feedbackInEveryRead(conversationId, answer);
    expect(before.reads).toEqual([null, null, null, null]);
    expect((await feedbackInEveryRead(conversationId, answer)).cache).toEqual(['HIT', 'HIT']);

    const response = await t.http
      .put(feedbackOf(conversationId, answer))
      .set(api.auth(ALICE))
      .send({ rating: 'down', comment: '세율이 바뀌었습니다', reasons: ['outdated', 'wrong'] });
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual([
      'comment',
      'rating',
      'reasons',
      'updated_at',
    ]);
    expect(response.body).toMatchObject({
      rating: 'down',
      comment: '세율이 바뀌었습니다',
      reasons: ['outdated', 'wrong'],
    });
    const after = await feedbackInEveryRead(conversationId, answer);
    expect(after.reads).toEqual([response.body, response.body, response.body, response.body]);
    expect(after.cache).toEqual(['MISS', 'MISS']);
    expect((await feedbackInEveryRead(conversationId, answer)).reads).toEqual(after.reads);

    const { rows } = await t.db.client.query(
      `SELECT user_id, conversation_id, rating, comment, reasons FROM message_feedback WHERE message_id = $1`,
      [answer],
    );
    expect(rows).toEqual([
      {
        user_id: ALICE,
        conversation_id: conversationId,
        rating: 'down',
        comment: '세율이 바뀌었습니다',
        reasons: ['outdated', 'wrong'],
      },
    ]);
  });

  it('replaces the whole feedback when sent again (fields left out are cleared), keeping one row', async () => {
    const { conversationId, answer } = await answered();
    const first = await t.http
      .put(feedbackOf(conversationId, answer))
      .set(api.auth(ALICE))
      .send({ rating: 'down', comment: 'wrong', reasons: ['outdated'] });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await t.http
      .put(`${feedbackOf(conversationId, answer)}/`)
      .set(api.auth(ALICE))
      .send({ rating: 'up' });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ rating: 'up', comment: null, reasons: [] });
    expect(Date.parse(second.body.updated_at)).toBeGreaterThan(Date.parse(first.body.updated_at));
    const { rows } = await t.db.client.query(
      `SELECT rating, created_at < updated_at AS replaced FROM message_feedback WHERE message_id = $1`,
      [answer],
    );
    expect(rows).toEqual([{ rating: 'up', replaced: true }]);
    expect((await feedbackInEveryRead(conversationId, answer)).reads).toEqual([
      second.body,
      second.body,
      second.body,
      second.body,
    ]);
  });

  it('deletes it with 204, again 204, and every read shows null at once', async () => {
    const { conversationId, answer } = await answered();
    await t.http
      .put(feedbackOf(conversationId, answer))
      .set(api.auth(ALICE))
      .send({ rating: 'up' });
    await feedbackInEveryRead(conversationId, answer);
    const removed = await t.http.delete(feedbackOf(conversationId, answer)).set(api.auth(ALICE));
    expect(removed.status).toBe(204);
    expect(removed.text).toBe('');
    expect((await feedbackInEveryRead(conversationId, answer)).reads).toEqual([
      null,
      null,
      null,
      null,
    ]);
    const again = await t.http.delete(feedbackOf(conversationId, answer)).set(api.auth(ALICE));
    expect(again.status).toBe(204);
    const { rows } = await t.db.client.query(
      `SELECT count(*)::int AS n FROM message_feedback WHERE message_id = $1`,
      [answer],
    );
    expect(rows[0].n).toBe(0);
  });

  it("answers 404 for another user's conversation, an unknown one and an unknown message, writing nothing", async () => {
    const { conversationId, answer } = await answered();
    const unknownConversation = await t.http
      .put(feedbackOf('conv_unknown', answer))
      .set(api.auth(BOB))
      .send({ rating: 'up' });
    for (const response of [
      await t.http
        .put(feedbackOf(conversationId, answer))
        .set(api.auth(BOB))
        .send({ rating: 'up' }),
      await t.http.delete(feedbackOf(conversationId, answer)).set(api.auth(BOB)),
    ]) {
      expect(response.status).toBe(404);
      expect(response.body).toEqual(unknownConversation.body);
    }
    const other = await answered();
    for (const messageId of ['msg_unknown', other.answer, 'a/b', 'x'.repeat(51)]) {
      const response = await t.http
        .put(feedbackOf(conversationId, encodeURIComponent(messageId)))
        .set(api.auth(ALICE))
        .send({ rating: 'up' });
      expect([messageId, response.status, response.body.message]).toEqual([
        messageId,
        404,
        'message not found',
      ]);
    }
    await t.http.delete(`/api/v1/conversations/${conversationId}`).set(api.auth(ALICE));
    const deleted = await t.http
      .put(feedbackOf(conversationId, answer))
      .set(api.auth(ALICE))
      .send({ rating: 'up' });
    expect(deleted.status).toBe(404);
    const { rows } = await t.db.client.query(
      `SELECT count(*)::int AS n FROM message_feedback WHERE message_id = ANY($1)`,
      [[answer, other.answer]],
    );
    expect(rows[0].n).toBe(0);
  });

  it('refuses a token with the agent scope (403), whether it names the user or acts for one; a gateway acting for the user is the user', async () => {
    const { conversationId, answer } = await answered();
    const agentActingAs = await signToken('agent-service', {
      scope: 'conversations:act-as messages:write:assistant',
    });
    const gateway = await signToken('ai-gateway', { scope: 'conversations:act-as' });
    for (const request of [
      t.http.put(feedbackOf(conversationId, answer)).set(api.auth(ALICE, 'agent')).send({
        rating: 'up',
      }),
      t.http.delete(feedbackOf(conversationId, answer)).set(api.auth(ALICE, 'agent')),
      t.http
        .put(feedbackOf(conversationId, answer))
        .set({ Authorization: `Bearer ${agentActingAs}` })
        .send({ rating: 'up', user_id: ALICE }),
    ]) {
      const response = await request;
      expect(response.status).toBe(403);
      expect(response.body.message).toContain('messages:write:assistant');
    }
    const relayed = await t.http
      .put(feedbackOf(conversationId, answer))
      .set({ Authorization: `Bearer ${gateway}` })
      .send({ rating: 'down', user_id: ALICE });
    expect(relayed.status).toBe(200);
    const { rows } = await t.db.client.query(
      `SELECT user_id, rating FROM message_feedback WHERE message_id = $1`,
      [answer],
    );
    expect(rows).toEqual([{ user_id: ALICE, rating: 'down' }]);
  });

  it('accepts feedback on assistant messages only: a user or system message is 400', async () => {
    const { conversationId, question } = await answered();
    const system = await api.append(ALICE, conversationId, { role: 'system', content: 's' });
    for (const messageId of [question, system.messages[0].id]) {
      for (const response of [
        await t.http
          .put(feedbackOf(conversationId, messageId))
          .set(api.auth(ALICE))
          .send({ rating: 'up' }),
        await t.http.delete(feedbackOf(conversationId, messageId)).set(api.auth(ALICE)),
      ]) {
        expect(response.status).toBe(400);
        expect(response.body.message).toBe('feedback is accepted on assistant messages only');
      }
    }
  });

  it('refuses bad bodies with 400 naming the field', async () => {
    const { conversationId, answer } = await answered();
    for (const [body, field] of [
      [{}, 'rating'],
      [{ rating: 'meh' }, 'rating'],
      [{ rating: 'up', comment: 'c'.repeat(2001) }, 'comment'],
      [{ rating: 'up', reasons: Array(11).fill('r') }, 'reasons'],
      [{ rating: 'up', reasons: ['r'.repeat(51)] }, 'reasons.0'],
      [{ rating: 'up', stars: 5 }, 'stars'],
    ] as const) {
      const response = await t.http
        .put(feedbackOf(conversationId, answer))
        .set(api.auth(ALICE))
        .send(body);
      expect([field, response.status]).toEqual([field, 400]);
      expect(JSON.stringify(response.body.message)).toContain(field);
    }
    const edges = await t.http
      .put(feedbackOf(conversationId, answer))
      .set(api.auth(ALICE))
      .send({
        rating: 'up',
        comment: '의'.repeat(2000),
        reasons: Array(10).fill('r'.repeat(50)),
      });
    expect(edges.status).toBe(200);
  });

  it('counts ratings in the conversation stats, per agent and in all', async () => {
    const conversation = await api.createConversation(ALICE, { initial_message: 'q' });
    const { messages } = await api.append(ALICE, conversation.id, {
      messages: [
        { role: 'assistant', content: 'a1', agent_used: 'regulation_agent' },
        { role: 'assistant', content: 'a2', agent_used: 'regulation_agent' },
        { role: 'assistant', content: 'a3', agent_used: 'consultation_agent' },
        { role: 'assistant', content: 'a4' },
      ],
    });
    const rate = (index: number, rating: string): Promise<unknown> =>
      t.http
        .put(feedbackOf(conversation.id, messages[index].id))
        .set(api.auth(ALICE))
        .send({ rating });
    await rate(0, 'up');
    await rate(1, 'down');
    await rate(2, 'up');
    await rate(3, 'down');
    await t.http.delete(feedbackOf(conversation.id, messages[2].id)).set(api.auth(ALICE));
    const stats = await t.http
      .get(`/api/v1/conversations/${conversation.id}/stats`)
      .set(api.auth(ALICE));
    expect(stats.body.feedback).toEqual({ up: 1, down: 2 });
    expect(stats.body.agents_used).toEqual([
      {
        agent: 'regulation_agent',
        count: 2,
        prompt_tokens: 0,
        completion_tokens: 0,
        feedback_up: 1,
        feedback_down: 1,
      },
      {
        agent: 'consultation_agent',
        count: 1,
        prompt_tokens: 0,
        completion_tokens: 0,
        feedback_up: 0,
        feedback_down: 0,
      },
    ]);
  });

  it('applies concurrent ratings of one message in turn: the figures match the rating left', async () => {
    const { conversationId, answer } = await answered('race_agent');
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 3 === 2
          ? t.http.delete(feedbackOf(conversationId, answer)).set(api.auth(ALICE))
          : t.http
              .put(feedbackOf(conversationId, answer))
              .set(api.auth(ALICE))
              .send({ rating: i % 3 === 0 ? 'up' : 'down' }),
      ),
    );
    const { rows: left } = await t.db.client.query(
      `SELECT rating FROM message_feedback WHERE message_id = $1`,
      [answer],
    );
    const { rows: figures } = await t.db.client.query(
      `SELECT sum(feedback_up)::int AS up, sum(feedback_down)::int AS down
       FROM agent_daily_stats WHERE agent = 'race_agent'`,
    );
    const rating = left[0]?.rating ?? null;
    expect(figures[0]).toEqual({ up: rating === 'up' ? 1 : 0, down: rating === 'down' ? 1 : 0 });
  });

  it('goes with its message: deleting the messages (purge, erasure) deletes the feedback', async () => {
    const { conversationId, answer } = await answered();
    await t.http
      .put(feedbackOf(conversationId, answer))
      .set(api.auth(ALICE))
      .send({ rating: 'up' });
    await t.db.client.query(`DELETE FROM messages WHERE conversation_id = $1`, [conversationId]);
    await t.db.client.query(`DELETE FROM conversations WHERE id = $1`, [conversationId]);
    const { rows } = await t.db.client.query(
      `SELECT (SELECT count(*)::int FROM message_feedback WHERE conversation_id = $1) AS feedback,
              (SELECT count(*)::int FROM agent_daily_conversations WHERE conversation_id = $1) AS answered`,
      [conversationId],
    );
    expect(rows[0]).toEqual({ feedback: 0, answered: 0 });
  });
});

describe('usage on assistant messages', () => {
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [ALICE]);
  });

  afterAll(async () => {
    await t.close();
  });

  const messagesOf = (id: string): string => `/api/v1/conversations/${id}/messages`;

  it('stores usage at its limits and returns it exactly as written in every answer; absent is null', async () => {
    const conversation = await api.createConversation(ALICE, { initial_message: 'q' });
    const full = {
      model: 'm'.repeat(100),
      prompt_tokens: INT32_MAX,
      completion_tokens: 0,
      latency_ms: INT32_MAX,
    };
    const partial = { latency_ms: 0 };
    const appended = await api.append(ALICE, conversation.id, {
      messages: [
        { role: 'assistant', content: 'a', agent_used: 'regulation_agent', usage: full },
        { role: 'assistant', content: 'b', agent_used: 'regulation_agent', usage: partial },
        { role: 'assistant', content: 'c', usage: null },
        { role: 'assistant', content: 'd', agent_used: 'regulation_agent', usage: {} },
      ],
    });
    const written = [full, partial, null, {}];
    expect(appended.messages.map((m: { usage: unknown }) => m.usage)).toEqual(written);
    const page = await t.http.get(messagesOf(conversation.id)).set(api.auth(ALICE));
    expect(page.body.messages.map((m: { usage: unknown }) => m.usage)).toEqual([null, ...written]);
    const read = await t.http.get(`/api/v1/conversations/${conversation.id}`).set(api.auth(ALICE));
    expect(read.body.recent_messages.map((m: { usage: unknown }) => m.usage)).toEqual([
      null,
      ...written,
    ]);
    const { rows } = await t.db.client.query(
      `SELECT usage FROM messages WHERE conversation_id = $1 ORDER BY seq`,
      [conversation.id],
    );
    expect(rows.map((row) => row.usage)).toEqual([null, ...written]);
  });

  it('refuses usage beyond its limits, or on a user or system message, naming the field', async () => {
    const conversation = await api.createConversation(ALICE);
    for (const [body, field] of [
      [{ role: 'assistant', content: 'a', usage: { model: 'm'.repeat(101) } }, 'usage.model'],
      [{ role: 'assistant', content: 'a', usage: { prompt_tokens: -1 } }, 'usage.prompt_tokens'],
      [
        { role: 'assistant', content: 'a', usage: { completion_tokens: INT32_MAX + 1 } },
        'usage.completion_tokens',
      ],
      [{ role: 'assistant', content: 'a', usage: { latency_ms: 1.5 } }, 'usage.latency_ms'],
      [{ role: 'assistant', content: 'a', usage: { latency_ms: '10' } }, 'usage.latency_ms'],
      [{ role: 'assistant', content: 'a', usage: { cost: 1 } }, 'usage.property cost'],
      [{ role: 'assistant', content: 'a', usage: [1] }, 'usage'],
      [{ role: 'user', content: 'q', usage: { prompt_tokens: 1 } }, 'usage'],
      [
        { messages: [{ role: 'system', content: 's', usage: {} }] },
        'messages.0.usage is accepted on assistant messages only',
      ],
    ] as const) {
      const response = await t.http
        .post(messagesOf(conversation.id))
        .set(api.auth(ALICE, 'agent'))
        .send(body);
      expect([field, response.status]).toEqual([field, 400]);
      expect(JSON.stringify(response.body.message)).toContain(field);
    }
    const { rows } = await t.db.client.query(
      `SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1`,
      [conversation.id],
    );
    expect(rows[0].n).toBe(0);
  });

  it('sums tokens per agent in the conversation stats, beyond INTEGER', async () => {
    const conversation = await api.createConversation(ALICE);
    await api.append(ALICE, conversation.id, {
      messages: [
        {
          role: 'assistant',
          content: 'a',
          agent_used: 'regulation_agent',
          usage: { prompt_tokens: INT32_MAX, completion_tokens: 7 },
        },
        {
          role: 'assistant',
          content: 'b',
          agent_used: 'regulation_agent',
          usage: { prompt_tokens: INT32_MAX, latency_ms: 5 },
        },
        {
          role: 'assistant',
          content: 'c',
          agent_used: 'consultation_agent',
          usage: { model: 'x' },
        },
      ],
    });
    const stats = await t.http
      .get(`/api/v1/conversations/${conversation.id}/stats`)
      .set(api.auth(ALICE));
    expect(stats.body.agents_used).toEqual([
      expect.objectContaining({
        agent: 'regulation_agent',
        count: 2,
        prompt_tokens: 2 * INT32_MAX,
        completion_tokens: 7,
      }),
      expect.objectContaining({
        agent: 'consultation_agent',
        count: 1,
        prompt_tokens: 0,
        completion_tokens: 0,
      }),
    ]);
  });
});
