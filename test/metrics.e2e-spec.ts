import { ApiClient } from './support/api-client';
import { metricValue } from './support/metrics';
import { startTestApp, type TestApp } from './support/test-app';

const USER = 801;

describe('/metrics', () => {
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [USER]);
  });

  afterAll(async () => {
    await t.close();
  });

  it('exports every named series after a few requests, labelled by route template, never by id', async () => {
    const conversation = await api.createConversation(USER, { initial_message: '질문' });
    await api.append(USER, conversation.id, {
      messages: [
        { role: 'assistant', content: 'a', agent_used: 'regulation_agent' },
        { role: 'assistant', content: 'b', agent_used: 'some_new_agent' },
      ],
    });
    await t.http.get(`/api/v1/conversations/${conversation.id}`).set(api.auth(USER));
    await t.http.get(`/api/v1/conversations/${conversation.id}`).set(api.auth(USER));
    await t.http.get('/api/v1/conversations/conv_unknown').set(api.auth(USER));

    const response = await t.http.get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const text: string = response.text;
    for (const series of [
      'process_cpu_user_seconds_total',
      'nodejs_heap_size_used_bytes',
      'http_request_duration_seconds_bucket',
      'db_query_duration_seconds_count',
      'db_connections_total',
      'db_pool_connections{state="total"}',
      'db_pool_connections{state="idle"}',
      'db_pool_connections{state="waiting"}',
      'cache_hits_total',
      'cache_misses_total',
      'cache_errors_total',
      'chat_messages_appended_total',
    ]) {
      expect([series, text.includes(series)]).toEqual([series, true]);
    }
    expect(text).toContain('route="/api/v1/conversations/:id",status_code="200"');
    expect(text).toContain('route="/api/v1/conversations/:id",status_code="404"');
    expect(text).toContain('route="/api/v1/conversations/:id/messages",status_code="201"');
    expect(text).not.toContain(conversation.id);
    expect(text).not.toMatch(/user(_id)?="?\d/);
    expect(
      await metricValue(t.http, 'chat_messages_appended_total{role="user",agent="none"}'),
    ).toBe(1);
    expect(
      await metricValue(
        t.http,
        'chat_messages_appended_total{role="assistant",agent="regulation_agent"}',
      ),
    ).toBe(1);
    expect(
      await metricValue(t.http, 'chat_messages_appended_total{role="assistant",agent="other"}'),
    ).toBe(1);
    expect(text).not.toContain('some_new_agent');
    expect(await metricValue(t.http, 'cache_hits_total')).toBeGreaterThanOrEqual(1);
    expect(await metricValue(t.http, 'db_connections_total')).toBeGreaterThanOrEqual(1);
  });

  it('counts a query in db_query_duration_seconds_count', async () => {
    const before = await metricValue(t.http, 'db_query_duration_seconds_count{outcome="ok"}');
    await t.http.get('/health/ready');
    expect(
      await metricValue(t.http, 'db_query_duration_seconds_count{outcome="ok"}'),
    ).toBeGreaterThan(before);
  });

  it('moves the agent series with each write, unknown agents counted as other', async () => {
    const value = (series: string): Promise<number> => metricValue(t.http, series);
    const series = {
      promptKnown: 'chat_agent_tokens_total{agent="regulation_agent",kind="prompt"}',
      completionKnown: 'chat_agent_tokens_total{agent="regulation_agent",kind="completion"}',
      promptOther: 'chat_agent_tokens_total{agent="other",kind="prompt"}',
      latencyKnown: 'chat_agent_latency_seconds_count{agent="regulation_agent"}',
      latencySumKnown: 'chat_agent_latency_seconds_sum{agent="regulation_agent"}',
      latencyOther: 'chat_agent_latency_seconds_count{agent="other"}',
      fastBucket: 'chat_agent_latency_seconds_bucket{le="2",agent="regulation_agent"}',
      upKnown: 'chat_message_feedback_total{agent="regulation_agent",rating="up"}',
      downKnown: 'chat_message_feedback_total{agent="regulation_agent",rating="down"}',
      upOther: 'chat_message_feedback_total{agent="other",rating="up"}',
    };
    const read = async (): Promise<Record<keyof typeof series, number>> =>
      Object.fromEntries(
        await Promise.all(
          Object.entries(series).map(async ([name, line]) => [name, await value(line)]),
        ),
      );
    const conversation = await api.createConversation(USER);
    const before = await read();
    const { messages } = await api.append(USER, conversation.id, {
      messages: [
        {
          role: 'assistant',
          content: 'a',
          agent_used: 'regulation_agent',
          usage: { prompt_tokens: 120, completion_tokens: 30, latency_ms: 1500 },
        },
        {
          role: 'assistant',
          content: 'b',
          agent_used: 'agent_nobody_listed',
          usage: { prompt_tokens: 7, latency_ms: 40_000 },
        },
      ],
    });
    const appended = await read();
    expect(appended.promptKnown - before.promptKnown).toBe(120);
    expect(appended.completionKnown - before.completionKnown).toBe(30);
    expect(appended.promptOther - before.promptOther).toBe(7);
    expect(appended.latencyKnown - before.latencyKnown).toBe(1);
    expect(appended.latencySumKnown - before.latencySumKnown).toBeCloseTo(1.5);
    expect(appended.fastBucket - before.fastBucket).toBe(1);
    expect(appended.latencyOther - before.latencyOther).toBe(1);

    const feedback = (index: number): string =>
      `/api/v1/conversations/${conversation.id}/messages/${messages[index].id}/feedback`;
    await t.http.put(feedback(0)).set(api.auth(USER)).send({ rating: 'up' });
    await t.http.put(feedback(1)).set(api.auth(USER)).send({ rating: 'up' });
    const rated = await read();
    expect(rated.upKnown - before.upKnown).toBe(1);
    expect(rated.upOther - before.upOther).toBe(1);
    // A changed rating counts the new one; the same rating again and a removal count nothing.
    await t.http.put(feedback(0)).set(api.auth(USER)).send({ rating: 'down' });
    await t.http.put(feedback(0)).set(api.auth(USER)).send({ rating: 'down', comment: 'c' });
    await t.http.delete(feedback(0)).set(api.auth(USER));
    const changed = await read();
    expect(changed.upKnown - before.upKnown).toBe(1);
    expect(changed.downKnown - before.downKnown).toBe(1);
    expect((await t.http.get('/metrics')).text).not.toContain('agent_nobody_listed');
  });
});
