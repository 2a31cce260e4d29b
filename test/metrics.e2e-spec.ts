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
});
