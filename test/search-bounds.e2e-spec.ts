import { ApiClient } from './support/api-client';
import { startTestApp, type TestApp } from './support/test-app';

const HEAVY = 1601;
const OTHER = 1602;

/**
 * A heavy user: 6,000 messages that all hold the index terms of 관세율표 (관세, 세율, 율표) but
 * not the word itself, so that a search for it must check the text of every candidate.
 */
async function loadHeavyUser(t: TestApp): Promise<void> {
  await t.db.client.query(
    `INSERT INTO conversations (id, user_id, title, message_count) VALUES ('conv_heavy', $1, 'heavy', 6000)`,
    [HEAVY],
  );
  await t.db.client.query(
    `INSERT INTO messages (id, conversation_id, user_id, seq, role, content, timestamp, search_terms)
     SELECT 'msg_heavy_' || s, 'conv_heavy', $1, s, 'user',
            '관세 세율 율표 ' || repeat('수입 신고 ', 40) || s,
            now() - s * interval '1 second',
            '{관,관세,세,세율,율,율표,표,수,수입,입,신,신고,고}'
     FROM generate_series(1, 6000) s`,
    [HEAVY],
  );
  await t.db.client.query('ANALYZE messages');
}

describe('the cost bound of a search', () => {
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    // One connection: searches queue behind each other, so that parallel ones overlap for sure.
    t = await startTestApp({ POSTGRES_POOL_SIZE: '1', POSTGRES_MAX_OVERFLOW: '0' });
    api = await ApiClient.forUsers(t.http, [HEAVY, OTHER]);
    await loadHeavyUser(t);
    await api.createConversation(OTHER, { initial_message: '관세율표 보는 법' });
  });

  afterAll(async () => {
    await t.close();
  });

  const search = (userId: number, body: Record<string, unknown>) =>
    t.http.post('/api/v1/conversations/search').set(api.auth(userId)).send(body);

  it('refuses more than 10 distinct words, words found inside others counting once, with a 400 naming query', async () => {
    const eleven = await search(OTHER, { query: '관 세 율 수 입 신 고 서 원 산 지' });
    expect(eleven.status).toBe(400);
    expect(eleven.body.message).toMatch(/^query: at most 10 distinct words/);
    const nested = await search(OTHER, {
      query: Array.from({ length: 18 }, (_, i) => '관세율표보는법'.repeat(3).slice(0, i + 1)).join(
        ' ',
      ),
    });
    expect(nested.status).toBe(200);
  });

  it('stops checking text at the bound and says so: the total a lower bound, the search not exhaustive', async () => {
    const response = await search(HEAVY, { query: '관세율표' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      total_count: 0,
      total_count_exact: false,
      exhaustive: false,
      messages: [],
    });
    const whole = await search(OTHER, { query: '관세율표' });
    expect(whole.body).toMatchObject({ total_count: 1, total_count_exact: true, exhaustive: true });
  });

  it('sends an excerpt, not the whole of a long message, and highlights within it', async () => {
    const long = `${'가나다라 '.repeat(3000)}원산지증명서 발급${' 마바사'.repeat(3000)}`;
    const conversation = await api.createConversation(OTHER, { title: 'long' });
    await api.append(OTHER, conversation.id, { role: 'user', content: long });
    const response = await search(OTHER, { query: '원산지증명서' });
    const [hit] = response.body.messages;
    expect(hit.snippet.startsWith('…')).toBe(true);
    expect(hit.snippet.endsWith('…')).toBe(true);
    expect(hit.snippet.length).toBeLessThanOrEqual(202);
    expect(
      hit.highlights.map(({ start, end }: { start: number; end: number }) =>
        hit.snippet.slice(start, end),
      ),
    ).toEqual(['원산지증명서']);
  });

  it("answers a user's second search while the first runs with 429 and Retry-After, and not another user's", async () => {
    // All sent at once (a supertest request goes out when awaited).
    const [other, ...answers] = await Promise.all([
      search(OTHER, { query: '관세율표' }),
      ...Array.from({ length: 8 }, () => search(HEAVY, { query: '수입 신고' })),
    ]);
    const statuses = answers.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
    const refused = answers.find((response) => response.status === 429)!;
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.body.message).toBe(
      "a user's searches run at most 1 at a time: retry after the Retry-After seconds",
    );
    expect(other.status).toBe(200);
    // Once the burst is over, the user searches again.
    expect((await search(HEAVY, { query: '수입 신고' })).status).toBe(200);
  });
});
