import { ApiClient } from './support/api-client';
import { startTestApp, type TestApp } from './support/test-app';
import { signToken } from './support/tokens';

const USERS = [1901, 1902, 1903, 1904, 1905];
const [ALICE, BOB] = USERS;
const STATS = '/api/v1/agents/stats';
const DAY_MS = 86_400_000;

const day = (offset: number): string =>
  new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);

/** The nearest-rank percentile: the value at rank ceil(p/100 * n). */
function exactPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1];
}

describe('GET /api/v1/agents/stats', () => {
  let t: TestApp;
  let api: ApiClient;
  let operator: { Authorization: string };

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, USERS);
    // An operator dashboard's token: a service name, not a user, in its user claim.
    operator = { Authorization: `Bearer ${await signToken('grafana', { scope: 'stats:read' })}` };
  });

  afterAll(async () => {
    await t.close();
  });

  const statsOf = async (agent: string, query = ''): Promise<Record<string, unknown>> => {
    const response = await t.http.get(`${STATS}${query}`).set(operator);
    expect(response.status).toBe(200);
    return response.body.agents.find((row: { agent: string }) => row.agent === agent);
  };

  /** Moves an agent's rollup rows `days` back, as if its messages had been written then. */
  const age = async (agent: string, days: number): Promise<void> => {
    for (const table of ['agent_daily_stats', 'agent_daily_conversations']) {
      await t.db.client.query(`UPDATE ${table} SET day = day - $2::int WHERE agent = $1`, [
        agent,
        days,
      ]);
    }
  };

  it('needs the stats:read scope: 401 without a token, 403 without the scope, from any user', async () => {
    expect((await t.http.get(STATS)).status).toBe(401);
    for (const token of [
      await signToken(ALICE),
      await signToken(ALICE, { scope: 'messages:write:assistant' }),
      await signToken('ai-gateway', { scope: 'conversations:act-as' }),
    ]) {
      const response = await t.http.get(STATS).set({ Authorization: `Bearer ${token}` });
      expect(response.status).toBe(403);
      expect(response.body.message).toBe('this route needs the stats:read scope');
    }
    const asOperatorUser = await t.http
      .get(STATS)
      .set({ Authorization: `Bearer ${await signToken(ALICE, { scope: 'stats:read' })}` });
    expect(asOperatorUser.status).toBe(200);
  });

  it("gives a dashboard's token no user: it cannot act on conversations", async () => {
    const list = await t.http.get(`/api/v1/conversations?user_id=${ALICE}`).set(operator);
    expect(list.status).toBe(403);
    expect(list.body.message).toContain('conversations:act-as');
  });

  it('answers sums and percentiles across all users on a known data set', async () => {
    const latencies = Array.from({ length: 40 }, (_, i) => 40 + ((i * 7919) % 97) * 131);
    const byUser = new Map<number, string>();
    for (const [index, latency] of latencies.entries()) {
      const user = USERS[index % USERS.length];
      const conversation: string =
        byUser.get(user) ?? (await api.createConversation(user, { initial_message: 'q' })).id;
      byUser.set(user, conversation);
      await api.append(user, conversation, {
        messages: [
          { role: 'user', content: `q${index}` },
          {
            role: 'assistant',
            content: `a${index}`,
            agent_used: 'known_agent',
            usage: {
              prompt_tokens: 100 + index,
              completion_tokens: 2 * index,
              latency_ms: latency,
            },
          },
        ],
      });
    }
    // Answers without usage count as messages, not in the sums or percentiles.
    await api.append(ALICE, byUser.get(ALICE)!, {
      role: 'assistant',
      content: 'no usage',
      agent_used: 'known_agent',
    });
    const row = await statsOf('known_agent');
    expect(row).toMatchObject({
      agent: 'known_agent',
      messages: 41,
      conversations: USERS.length,
      feedback_up: 0,
      feedback_down: 0,
      prompt_tokens: latencies.reduce((sum, _latency, i) => sum + 100 + i, 0),
      completion_tokens: latencies.reduce((sum, _latency, i) => sum + 2 * i, 0),
    });
    for (const [field, p] of [
      ['latency_ms_p50', 50],
      ['latency_ms_p95', 95],
    ] as const) {
      const exact = exactPercentile(latencies, p);
      const error = Math.abs((row[field] as number) - exact) / exact;
      expect([field, error <= 0.042]).toEqual([field, true]);
    }
    // Small latencies fall in buckets of one integer each: exact.
    const conversation = await api.createConversation(BOB);
    await api.append(BOB, conversation.id, {
      messages: [5, 5, 6, 7, 9].map((latency) => ({
        role: 'assistant',
        content: 'a',
        agent_used: 'small_agent',
        usage: { latency_ms: latency },
      })),
    });
    expect(await statsOf('small_agent')).toMatchObject({
      messages: 5,
      conversations: 1,
      latency_ms_p50: 6,
      latency_ms_p95: 9,
    });
  });

  it('counts a streamed answer when it ends, with the usage it ends with', async () => {
    const conversation = await api.createConversation(ALICE, { initial_message: '관세율?' });
    const stream = (await api.append(ALICE, conversation.id, {
      role: 'assistant',
      status: 'streaming',
      agent_used: 'streaming_agent',
    })) as { messages: Array<{ id: string }> };
    const messagePath = `/api/v1/conversations/${conversation.id}/messages/${stream.messages[0].id}`;
    await t.http
      .patch(messagePath)
      .set(api.auth(ALICE, 'agent'))
      .send({ append: '8%', offset: 0 })
      .expect(200);
    expect(await statsOf('streaming_agent')).toBeUndefined();

    const finished = await t.http
      .patch(messagePath)
      .set(api.auth(ALICE, 'agent'))
      .send({
        status: 'complete',
        usage: { model: 'gpt-4o', prompt_tokens: 70, completion_tokens: 9, latency_ms: 1200 },
      });
    expect(finished.status).toBe(200);
    expect(finished.body).toMatchObject({
      status: 'complete',
      content: '8%',
      usage: { model: 'gpt-4o', prompt_tokens: 70, completion_tokens: 9, latency_ms: 1200 },
    });
    expect(await statsOf('streaming_agent')).toMatchObject({
      messages: 1,
      conversations: 1,
      prompt_tokens: 70,
      completion_tokens: 9,
    });
    // Finished once: a second end is refused and counts nothing again.
    const again = await t.http
      .patch(messagePath)
      .set(api.auth(ALICE, 'agent'))
      .send({ status: 'complete', usage: { prompt_tokens: 1 } });
    expect(again.status).toBe(409);
    expect(await statsOf('streaming_agent')).toMatchObject({ messages: 1, prompt_tokens: 70 });
  });

  it('counts distinct conversations over the window, not per day, and no percentile without latency', async () => {
    const first = await api.createConversation(ALICE);
    const second = await api.createConversation(BOB);
    const answer = { role: 'assistant', content: 'a', agent_used: 'spread_agent' };
    await api.append(ALICE, first.id, answer);
    await age('spread_agent', 1);
    await api.append(ALICE, first.id, answer);
    await api.append(BOB, second.id, answer);
    expect(await statsOf('spread_agent')).toEqual({
      agent: 'spread_agent',
      messages: 3,
      conversations: 2,
      feedback_up: 0,
      feedback_down: 0,
      prompt_tokens: 0,
      completion_tokens: 0,
      latency_ms_p50: null,
      latency_ms_p95: null,
    });
    expect(await statsOf('spread_agent', `?from=${day(0)}`)).toMatchObject({
      messages: 2,
      conversations: 2,
    });
    expect(await statsOf('spread_agent', `?from=${day(-1)}&to=${day(-1)}`)).toMatchObject({
      messages: 1,
      conversations: 1,
    });
  });

  it('holds the current ratings of its messages: a replace moves one, a removal takes it away', async () => {
    const conversation = await api.createConversation(ALICE);
    const { messages } = await api.append(ALICE, conversation.id, {
      messages: [1, 2, 3].map(() => ({
        role: 'assistant',
        content: 'a',
        agent_used: 'rated_agent',
      })),
    });
    const feedback = (index: number): string =>
      `/api/v1/conversations/${conversation.id}/messages/${messages[index].id}/feedback`;
    await t.http.put(feedback(0)).set(api.auth(ALICE)).send({ rating: 'up' });
    await t.http.put(feedback(1)).set(api.auth(ALICE)).send({ rating: 'up' });
    await t.http.put(feedback(2)).set(api.auth(ALICE)).send({ rating: 'down' });
    expect(await statsOf('rated_agent')).toMatchObject({ feedback_up: 2, feedback_down: 1 });
    await t.http.put(feedback(1)).set(api.auth(ALICE)).send({ rating: 'down' });
    expect(await statsOf('rated_agent')).toMatchObject({ feedback_up: 1, feedback_down: 2 });
    await t.http.delete(feedback(2)).set(api.auth(ALICE));
    await t.http.put(feedback(0)).set(api.auth(ALICE)).send({ rating: 'up', comment: 'again' });
    expect(await statsOf('rated_agent')).toMatchObject({ feedback_up: 1, feedback_down: 1 });
  });

  it('defaults to the last 7 days, today included, and takes windows of 1 to 92 days', async () => {
    const conversation = await api.createConversation(ALICE);
    const answer = { role: 'assistant', content: 'a', agent_used: 'window_agent' };
    await api.append(ALICE, conversation.id, answer);
    await age('window_agent', 6);
    await api.append(ALICE, conversation.id, answer);
    await age('window_agent', 1);
    const response = await t.http.get(STATS).set(operator);
    expect(response.body).toMatchObject({ from: day(-6), to: day(0) });
    // Written 7 and 1 days ago: the default window holds the second only.
    expect(await statsOf('window_agent')).toMatchObject({ messages: 1 });
    expect(await statsOf('window_agent', `?from=${day(-7)}&to=${day(-7)}`)).toMatchObject({
      messages: 1,
    });
    const widest = await t.http.get(`${STATS}?from=${day(-91)}&to=${day(0)}`).set(operator);
    expect(widest.status).toBe(200);
    expect(
      widest.body.agents.find((row: { agent: string }) => row.agent === 'window_agent'),
    ).toMatchObject({ messages: 2 });
    expect(await statsOf('window_agent', `?from=${day(-3)}&to=${day(-2)}`)).toBeUndefined();
  });

  it('refuses a window beyond 92 days, reversed, or not made of calendar days, with 400 naming the field', async () => {
    for (const [query, message] of [
      [`?from=${day(-92)}&to=${day(0)}`, 'from and to span at most 92 days'],
      [`?from=${day(0)}&to=${day(-1)}`, 'from must not be after to'],
      ['?from=2026-02-30', 'from must be a calendar day, YYYY-MM-DD (UTC)'],
      ['?to=2026-12-01T00:00:00Z', 'to must be a calendar day, YYYY-MM-DD (UTC)'],
      ['?to=', 'to must be a calendar day, YYYY-MM-DD (UTC)'],
    ]) {
      const response = await t.http.get(`${STATS}${query}`).set(operator);
      expect([query, response.status, response.body.message]).toEqual([query, 400, message]);
    }
    const unknown = await t.http.get(`${STATS}?user_id=${ALICE}`).set(operator);
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.message)).toContain('user_id');
  });
});
