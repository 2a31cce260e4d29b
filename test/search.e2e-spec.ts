import { ApiClient } from './support/api-client';
import { startTestApp, type TestApp } from './support/test-app';

const ALICE = 1001;
const BOB = 1002;
const HEAVY = 1003;

interface Hit {
  id: string;
  conversation_id: string;
  conversation_title: string;
  seq: number;
  role: string;
  agent_used: string | null;
  timestamp: string;
  snippet: string;
  highlights: Array<{ start: number; end: number }>;
  score: number;
}

describe('POST /api/v1/conversations/search', () => {
  let t: TestApp;
  let api: ApiClient;
  let tariffs: string;
  let origin: string;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [ALICE, BOB, HEAVY]);
    tariffs = (await api.createConversation(ALICE, { title: '관세율 문의' })).id;
    await api.append(ALICE, tariffs, {
      messages: [
        { role: 'user', content: '수입신고서를 작성하려면 관세율표를 봐야 하나요?' },
        {
          role: 'assistant',
          content: '네, 관세율은 HS Code로 결정됩니다. The Customs tariff applies.',
          agent_used: 'regulation_agent',
        },
        { role: 'user', content: '쌀 수입 관세는 얼마인가요? 쌀은 513%입니다.' },
        {
          role: 'assistant',
          content: 'Import duty for rice: 513% (관세 관세 관세)',
          agent_used: 'consultation_agent',
        },
      ],
    });
    origin = (await api.createConversation(ALICE, { title: '원산지' })).id;
    await api.append(ALICE, origin, {
      messages: [
        { role: 'user', content: '원산지증명서 발급 절차가 궁금합니다' },
        {
          role: 'assistant',
          content: 'FTA협정에 따른 원산지 증명서는 100% 필요합니다_ok \\ path',
          agent_used: 'regulation_agent',
        },
      ],
    });
    const bobs = (await api.createConversation(BOB, { title: 'Bob' })).id;
    await api.append(BOB, bobs, { role: 'user', content: '관세율 관세 수입신고서 customs' });
  });

  afterAll(async () => {
    await t.close();
  });

  const search = (userId: number, body: Record<string, unknown>) =>
    t.http.post('/api/v1/conversations/search').set(api.auth(userId)).send(body);
  const contentsOf = async (userId: number, body: Record<string, unknown>): Promise<string[]> => {
    const response = await search(userId, body);
    expect(response.status).toBe(200);
    const ids = response.body.messages.map((hit: Hit) => hit.id);
    const { rows } = await t.db.client.query(
      'SELECT id, content FROM messages WHERE id = ANY($1)',
      [ids],
    );
    const byId = new Map(rows.map((row) => [row.id, row.content]));
    return ids.map((id: string) => byId.get(id));
  };

  it("answers with the contract's shape", async () => {
    const response = await search(ALICE, { query: '관세율' });
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual([
      'conversations',
      'exhaustive',
      'messages',
      'search_query',
      'total_count',
      'total_count_exact',
    ]);
    expect(response.body).toMatchObject({
      search_query: '관세율',
      total_count: 2,
      total_count_exact: true,
      exhaustive: true,
    });
    expect(Object.keys(response.body.messages[0]).sort()).toEqual(
      [
        'agent_used',
        'conversation_id',
        'conversation_title',
        'highlights',
        'id',
        'role',
        'score',
        'seq',
        'snippet',
        'timestamp',
      ].sort(),
    );
    expect(response.body.conversations).toEqual([
      { id: tariffs, title: '관세율 문의', updated_at: expect.any(String), match_count: 2 },
    ]);
  });

  it.each([
    ['쌀', 1, ['쌀 수입 관세는 얼마인가요? 쌀은 513%입니다.']],
    [
      '관세',
      2,
      [
        'Import duty for rice: 513% (관세 관세 관세)',
        '쌀 수입 관세는 얼마인가요? 쌀은 513%입니다.',
        '네, 관세율은 HS Code로 결정됩니다. The Customs tariff applies.',
        '수입신고서를 작성하려면 관세율표를 봐야 하나요?',
      ],
    ],
    [
      '수입',
      2,
      [
        '수입신고서를 작성하려면 관세율표를 봐야 하나요?',
        '쌀 수입 관세는 얼마인가요? 쌀은 513%입니다.',
      ],
    ],
    [
      '관세율',
      3,
      [
        '네, 관세율은 HS Code로 결정됩니다. The Customs tariff applies.',
        '수입신고서를 작성하려면 관세율표를 봐야 하나요?',
      ],
    ],
    ['원산지증명서', 3, ['원산지증명서 발급 절차가 궁금합니다']],
    ['관세율은', 4, ['네, 관세율은 HS Code로 결정됩니다. The Customs tariff applies.']],
  ])(
    'finds Korean %s as a substring (%i syllables or with a particle)',
    async (query, _syllables, expected) => {
      expect((await contentsOf(ALICE, { query })).sort()).toEqual([...expected].sort());
    },
  );

  it('matches English whole words case-insensitively, not inside other words', async () => {
    expect(await contentsOf(ALICE, { query: 'CUSTOMS' })).toEqual([
      '네, 관세율은 HS Code로 결정됩니다. The Customs tariff applies.',
    ]);
    expect(await contentsOf(ALICE, { query: 'port' })).toEqual([]);
    expect(await contentsOf(ALICE, { query: 'import' })).toEqual([
      'Import duty for rice: 513% (관세 관세 관세)',
    ]);
  });

  it('requires every word to match', async () => {
    expect(await contentsOf(ALICE, { query: '관세 rice' })).toEqual([
      'Import duty for rice: 513% (관세 관세 관세)',
    ]);
    expect(await contentsOf(ALICE, { query: '원산지 FTA협정' })).toEqual([
      'FTA협정에 따른 원산지 증명서는 100% 필요합니다_ok \\ path',
    ]);
    expect(await contentsOf(ALICE, { query: '관세 원산지' })).toEqual([]);
  });

  it('ranks by relevance (occurrences, then newest) or by recency', async () => {
    const relevance = await search(ALICE, { query: '관세' });
    const scores = relevance.body.messages.map((hit: Hit) => hit.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(relevance.body.messages[0].snippet).toContain('관세 관세 관세');
    const recent = await search(ALICE, { query: '관세', sort: 'recent' });
    expect(recent.body.messages.map((hit: Hit) => hit.seq)).toEqual([4, 3, 2, 1]);
  });

  it('highlights exactly the matched text inside the snippet', async () => {
    const response = await search(ALICE, { query: '관세 customs' });
    for (const hit of response.body.messages as Hit[]) {
      expect(hit.highlights.length).toBeGreaterThan(0);
      for (const { start, end } of hit.highlights) {
        expect(['관세', 'customs']).toContain(hit.snippet.slice(start, end).toLowerCase());
      }
    }
    const infix = await search(ALICE, { query: '관세', sort: 'recent' });
    const table = (infix.body.messages as Hit[]).find((hit) => hit.snippet.includes('관세율표'))!;
    expect(table.highlights.map(({ start, end }) => table.snippet.slice(start, end))).toEqual([
      '관세',
    ]);
  });

  it('filters by agent, role, conversation and dates', async () => {
    expect(await contentsOf(ALICE, { query: '관세', agent_type: 'consultation_agent' })).toEqual([
      'Import duty for rice: 513% (관세 관세 관세)',
    ]);
    expect((await contentsOf(ALICE, { query: '관세', role: 'user' })).length).toBe(2);
    expect((await contentsOf(ALICE, { query: '원산지', conversation_id: tariffs })).length).toBe(0);
    expect((await contentsOf(ALICE, { query: '원산지', conversation_id: origin })).length).toBe(2);
    expect((await contentsOf(ALICE, { query: '관세', start_date: '2999-01-01' })).length).toBe(0);
    expect((await contentsOf(ALICE, { query: '관세', end_date: '2000-01-01' })).length).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    expect(
      (await contentsOf(ALICE, { query: '관세', start_date: today, end_date: today })).length,
    ).toBe(4);
  });

  it("never returns another user's messages or a deleted conversation's", async () => {
    expect(await contentsOf(BOB, { query: '관세율' })).toEqual(['관세율 관세 수입신고서 customs']);
    const doomed = (
      await api.createConversation(ALICE, { initial_message: '삭제될 대화의 고유단어' })
    ).id;
    expect((await contentsOf(ALICE, { query: '고유단어' })).length).toBe(1);
    await t.http.delete(`/api/v1/conversations/${doomed}`).set(api.auth(ALICE)).expect(204);
    const after = await search(ALICE, { query: '고유단어' });
    expect(after.body).toMatchObject({ total_count: 0, messages: [], conversations: [] });
  });

  it("stores user_id on every message equal to its conversation's", async () => {
    const { rows } = await t.db.client.query(
      `SELECT count(*)::int AS mismatched FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.user_id <> c.user_id`,
    );
    expect(rows[0].mismatched).toBe(0);
  });

  it.each([
    ['100%', ['FTA협정에 따른 원산지 증명서는 100% 필요합니다_ok \\ path']],
    [
      '%',
      [
        '쌀 수입 관세는 얼마인가요? 쌀은 513%입니다.',
        'Import duty for rice: 513% (관세 관세 관세)',
        'FTA협정에 따른 원산지 증명서는 100% 필요합니다_ok \\ path',
      ],
    ],
    ['_ok', ['FTA협정에 따른 원산지 증명서는 100% 필요합니다_ok \\ path']],
    ['\\', ['FTA협정에 따른 원산지 증명서는 100% 필요합니다_ok \\ path']],
    ["' OR 1=1 --", []],
    ['관세 & | ! :* ( )', []],
    ['😀', []],
    ['"관세"', []],
    ['x'.repeat(200), []],
  ])('takes hostile query %j literally: 200 and only literal matches', async (query, expected) => {
    const response = await search(ALICE, { query });
    expect(response.status).toBe(200);
    expect((await contentsOf(ALICE, { query })).sort()).toEqual([...expected].sort());
  });

  it.each([
    [{ query: '' }, 'query'],
    [{ query: '   ' }, 'query'],
    [{ query: 'x'.repeat(201) }, 'query'],
    [{ query: 'a\u0000b' }, 'query'],
    [{ query: '관세', limit: 0 }, 'limit'],
    [{ query: '관세', limit: 101 }, 'limit'],
    [{ query: '관세', offset: -1 }, 'offset'],
    [{ query: '관세', sort: 'best' }, 'sort'],
    [{ query: '관세', role: 'robot' }, 'role'],
    [{ query: '관세', start_date: 'yesterday' }, 'start_date'],
    [{ query: '관세', user_id: 'me' }, 'user_id'],
    [{ query: '관세', unknown: 1 }, 'unknown'],
    [{}, 'query'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const response = await search(ALICE, body);
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body.message)).toContain(field);
  });

  it("answers 403 for another user's user_id", async () => {
    expect((await search(ALICE, { query: '관세', user_id: BOB })).status).toBe(403);
    expect((await search(ALICE, { query: '관세', user_id: ALICE })).status).toBe(200);
  });

  it('counts exactly up to 1,000 and flags a lower bound beyond, paging the newest first', async () => {
    const conversation = (await api.createConversation(HEAVY)).id;
    for (let batch = 0; batch < 105; batch += 1) {
      await api.append(HEAVY, conversation, {
        messages: Array.from({ length: 10 }, (_, i) => ({
          role: 'user',
          content: `통관 문의 ${batch * 10 + i} 번째`,
        })),
      });
    }
    const many = await search(HEAVY, { query: '통관', sort: 'recent', limit: 5 });
    expect(many.body).toMatchObject({ total_count: 1000, total_count_exact: false });
    expect(many.body.messages.map((hit: Hit) => hit.seq)).toEqual([1050, 1049, 1048, 1047, 1046]);
    const relevance = await search(HEAVY, { query: '통관', limit: 3, offset: 2 });
    expect(relevance.status).toBe(200);
    expect(relevance.body.messages).toHaveLength(3);
    const few = await search(HEAVY, { query: '통관 1049' });
    expect(few.body).toMatchObject({ total_count: 1, total_count_exact: true });
    expect(few.body.messages[0].seq).toBe(1050);
  }, 60_000);
});
