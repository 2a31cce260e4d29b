import { ApiClient } from './support/api-client';
import { startTestApp, type TestApp } from './support/test-app';

const ALICE = 101;
const BOB = 102;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const CONVERSATION_ID = /^conv_[0-9a-f]{32}$/;
const MESSAGE_ID = /^msg_[0-9a-f]{32}$/;

describe('conversations API', () => {
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [ALICE, BOB]);
  });

  afterAll(async () => {
    await t.close();
  });

  describe('POST /api/v1/conversations', () => {
    it("creates a conversation with exactly the contract's fields", async () => {
      const response = await t.http
        .post('/api/v1/conversations')
        .set(api.auth(ALICE))
        .send({ title: '수입 통관 문의', metadata: { channel: 'web' } });
      expect(response.status).toBe(201);
      expect(Object.keys(response.body).sort()).toEqual(
        [
          'created_at',
          'head_message_id',
          'id',
          'is_active',
          'is_archived',
          'is_pinned',
          'last_agent_used',
          'message_count',
          'messages',
          'metadata',
          'tags',
          'title',
          'updated_at',
          'user_id',
        ].sort(),
      );
      expect(response.body).toMatchObject({
        user_id: ALICE,
        title: '수입 통관 문의',
        message_count: 0,
        last_agent_used: null,
        is_active: true,
        metadata: { channel: 'web' },
        messages: [],
      });
      expect(response.body.id).toMatch(CONVERSATION_ID);
      expect(response.body.created_at).toMatch(ISO_WITH_OFFSET);
    });

    it('stores the initial message as seq 1 and derives the title from its first line', async () => {
      const response = await t.http
        .post('/api/v1/conversations')
        .set(api.auth(ALICE))
        .send({ initial_message: '\n  관세율 조회는 어떻게 하나요?  \n두 번째 줄' });
      expect(response.status).toBe(201);
      expect(response.body.title).toBe('관세율 조회는 어떻게 하나요?');
      expect(response.body.message_count).toBe(1);
      expect(response.body.messages).toHaveLength(1);
      const [message] = response.body.messages;
      expect(message).toMatchObject({
        seq: 1,
        role: 'user',
        conversation_id: response.body.id,
        agent_used: null,
        routing_info: {},
        references: [],
        metadata: {},
      });
      expect(message.id).toMatch(MESSAGE_ID);
      const stored = await t.db.client.query(
        'SELECT seq, role, content, user_id FROM messages WHERE conversation_id = $1',
        [response.body.id],
      );
      expect(stored.rows).toEqual([
        {
          seq: 1,
          role: 'user',
          content: '\n  관세율 조회는 어떻게 하나요?  \n두 번째 줄',
          user_id: ALICE,
        },
      ]);
    });

    it('cuts a long derived title to 50 characters ending in "..."', async () => {
      const line = '가'.repeat(80);
      const body = await api.createConversation(ALICE, { initial_message: line });
      expect(body.title).toBe(`${'가'.repeat(47)}...`);
      expect(body.title).toHaveLength(50);
    });

    it('names a conversation without title or message "새 대화"', async () => {
      expect((await api.createConversation(ALICE)).title).toBe('새 대화');
    });

    it.each([
      ['message_count', 5],
      ['id', 'conv_mine'],
      ['is_active', false],
      ['created_at', '2020-01-01T00:00:00Z'],
    ])('refuses %s in the body with 400 naming it (mass assignment)', async (field, value) => {
      const response = await t.http
        .post('/api/v1/conversations')
        .set(api.auth(ALICE))
        .send({ title: 'x', [field]: value });
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.message)).toContain(field);
    });

    it("accepts the predecessor's user_id when it is the caller's, and answers 403 for another user's", async () => {
      const own = await t.http
        .post('/api/v1/conversations')
        .set(api.auth(ALICE))
        .send({ user_id: ALICE, title: 'mine' });
      expect(own.status).toBe(201);
      expect(own.body.user_id).toBe(ALICE);
      const before = await t.db.client.query(
        'SELECT count(*)::int AS n FROM conversations WHERE user_id = $1',
        [BOB],
      );
      const other = await t.http
        .post('/api/v1/conversations')
        .set(api.auth(ALICE))
        .send({ user_id: BOB, title: 'theirs' });
      expect(other.status).toBe(403);
      const after = await t.db.client.query(
        'SELECT count(*)::int AS n FROM conversations WHERE user_id = $1',
        [BOB],
      );
      expect(after.rows[0].n).toBe(before.rows[0].n);
    });

    it('answers 401 without a token', async () => {
      const response = await t.http.post('/api/v1/conversations').send({ title: 'x' });
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    });
  });

  describe('GET /api/v1/conversations', () => {
    const CAROL = 103;
    let carol: ApiClient;
    const created: string[] = [];

    beforeAll(async () => {
      carol = await ApiClient.forUsers(t.http, [CAROL]);
      for (let i = 0; i < 7; i += 1)
        created.push(
          (await carol.createConversation(CAROL, { title: `c${i}`, metadata: { secret: i } })).id,
        );
    });

    it('lists active conversations newest first, with a true total and no metadata', async () => {
      const response = await t.http.get('/api/v1/conversations?limit=3').set(carol.auth(CAROL));
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual([
        'conversations',
        'has_next',
        'next_cursor',
        'page',
        'page_size',
        'total_count',
      ]);
      expect(response.body).toMatchObject({
        total_count: 7,
        page: 1,
        page_size: 3,
        has_next: true,
      });
      expect(response.body.conversations.map((c: { title: string }) => c.title)).toEqual([
        'c6',
        'c5',
        'c4',
      ]);
      for (const summary of response.body.conversations) {
        expect(Object.keys(summary).sort()).toEqual([
          'created_at',
          'id',
          'is_active',
          'is_archived',
          'is_pinned',
          'last_agent_used',
          'message_count',
          'tags',
          'title',
          'updated_at',
          'user_id',
        ]);
      }
    });

    it('walks every page by page number and by cursor, each conversation once', async () => {
      const byPage: string[] = [];
      for (let page = 1; page <= 3; page += 1) {
        const response = await t.http
          .get(`/api/v1/conversations?limit=3&page=${page}`)
          .set(carol.auth(CAROL));
        byPage.push(...response.body.conversations.map((c: { id: string }) => c.id));
        expect(response.body.has_next).toBe(page < 3);
      }
      const byCursor: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `cursor=${cursor}` : 'offset=0';
        const response = await t.http
          .get(`/api/v1/conversations?limit=3&${query}`)
          .set(carol.auth(CAROL));
        expect(response.status).toBe(200);
        byCursor.push(...response.body.conversations.map((c: { id: string }) => c.id));
        cursor = response.body.next_cursor;
      } while (cursor);
      expect(byPage).toEqual([...created].reverse());
      expect(byCursor).toEqual(byPage);
    });

    it.each([
      ['limit=0'],
      ['limit=101'],
      ['limit=abc'],
      ['limit=1.5'],
      ['page=0'],
      ['offset=-1'],
      ['page=1&offset=3'],
      ['cursor=not-a-cursor'],
      ['sort=title'],
    ])('answers 400 for %s, never clamping', async (query) => {
      const response = await t.http.get(`/api/v1/conversations?${query}`).set(carol.auth(CAROL));
      expect(response.status).toBe(400);
      const field = query.split(/[=&]/)[0];
      expect(JSON.stringify(response.body.message)).toContain(field);
    });

    it('accepts the edges: limit 1 and 100', async () => {
      for (const limit of [1, 100]) {
        const response = await t.http
          .get(`/api/v1/conversations?limit=${limit}`)
          .set(carol.auth(CAROL));
        expect(response.status).toBe(200);
        expect(response.body.conversations.length).toBe(Math.min(limit, 7));
      }
    });
  });

  describe('GET /api/v1/conversations/:id', () => {
    it('answers the conversation with its newest 20 messages, oldest first', async () => {
      const conversation = await api.createConversation(ALICE, { title: 'long' });
      const messages = Array.from({ length: 25 }, (_, i) => ({
        role: i % 2 ? 'assistant' : 'user',
        content: `m${i + 1}`,
      }));
      for (let i = 0; i < 25; i += 5)
        await api.append(ALICE, conversation.id, { messages: messages.slice(i, i + 5) });
      const response = await t.http
        .get(`/api/v1/conversations/${conversation.id}`)
        .set(api.auth(ALICE));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: conversation.id, message_count: 25, metadata: {} });
      expect(response.body.recent_messages.map((m: { seq: number }) => m.seq)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 6),
      );
      expect(response.body.recent_messages[0].content).toBe('m6');
    });
  });

  describe('PATCH and PUT /api/v1/conversations/:id', () => {
    it('renames and replaces metadata, moving updated_at', async () => {
      const conversation = await api.createConversation(ALICE, {
        title: 'old',
        metadata: { a: 1 },
      });
      const patched = await t.http
        .patch(`/api/v1/conversations/${conversation.id}`)
        .set(api.auth(ALICE))
        .send({ title: 'new' });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ title: 'new', metadata: { a: 1 } });
      expect(Date.parse(patched.body.updated_at)).toBeGreaterThanOrEqual(
        Date.parse(conversation.updated_at),
      );
      const put = await t.http
        .put(`/api/v1/conversations/${conversation.id}`)
        .set(api.auth(ALICE))
        .send({ metadata: { b: 2 } });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ title: 'new', metadata: { b: 2 } });
    });

    it("refuses is_active (the predecessor's undelete) and a too long title", async () => {
      const conversation = await api.createConversation(ALICE);
      const undelete = await t.http
        .patch(`/api/v1/conversations/${conversation.id}`)
        .set(api.auth(ALICE))
        .send({ is_active: true });
      expect(undelete.status).toBe(400);
      expect(JSON.stringify(undelete.body.message)).toContain('is_active');
      const long = await t.http
        .patch(`/api/v1/conversations/${conversation.id}`)
        .set(api.auth(ALICE))
        .send({ title: 'x'.repeat(201) });
      expect(long.status).toBe(400);
      expect(JSON.stringify(long.body.message)).toContain('title');
      const edge = await t.http
        .patch(`/api/v1/conversations/${conversation.id}`)
        .set(api.auth(ALICE))
        .send({ title: 'x'.repeat(200) });
      expect(edge.status).toBe(200);
    });
  });

  describe('DELETE /api/v1/conversations/:id', () => {
    it('soft deletes: 204, then 404 on every read and write, absent from the list, 204 again', async () => {
      const conversation = await api.createConversation(ALICE, {
        initial_message: 'to be deleted',
      });
      const first = await t.http
        .delete(`/api/v1/conversations/${conversation.id}`)
        .set(api.auth(ALICE));
      expect(first.status).toBe(204);
      const stored = await t.db.client.query('SELECT is_active FROM conversations WHERE id = $1', [
        conversation.id,
      ]);
      expect(stored.rows).toEqual([{ is_active: false }]);
      const base = `/api/v1/conversations/${conversation.id}`;
      for (const [method, path] of [
        ['get', base],
        ['get', `${base}/messages`],
        ['get', `${base}/stats`],
        ['get', `${base}/export`],
        ['patch', base],
        ['post', `${base}/messages`],
      ] as const) {
        const response = await t.http[method](path)
          .set(api.auth(ALICE, 'agent'))
          .send(
            method === 'get'
              ? undefined
              : method === 'patch'
                ? { title: 'x' }
                : { role: 'user', content: 'x' },
          );
        expect([method, path, response.status]).toEqual([method, path, 404]);
      }
      const list = await t.http.get('/api/v1/conversations?limit=100').set(api.auth(ALICE));
      expect(list.body.conversations.map((c: { id: string }) => c.id)).not.toContain(
        conversation.id,
      );
      const again = await t.http.delete(base).set(api.auth(ALICE));
      expect(again.status).toBe(204);
      const count = await t.db.client.query(
        'SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1',
        [conversation.id],
      );
      expect(count.rows[0].n).toBe(1);
    });
  });

  describe('GET /api/v1/conversations/:id/stats', () => {
    it('counts messages by role and agent, with first and last times', async () => {
      const conversation = await api.createConversation(ALICE, { initial_message: 'q1' });
      await api.append(ALICE, conversation.id, {
        messages: [
          { role: 'assistant', content: 'a1', agent_used: 'regulation_agent' },
          { role: 'user', content: 'q2' },
          { role: 'assistant', content: 'a2', agent_used: 'regulation_agent' },
          { role: 'assistant', content: 'a3', agent_used: 'consultation_agent' },
          { role: 'system', content: 's' },
        ],
      });
      const response = await t.http
        .get(`/api/v1/conversations/${conversation.id}/stats`)
        .set(api.auth(ALICE));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        conversation_id: conversation.id,
        total_messages: 6,
        by_role: { user: 2, assistant: 3, system: 1 },
        agents_used: [
          { agent: 'regulation_agent', count: 2 },
          { agent: 'consultation_agent', count: 1 },
        ],
      });
      expect(response.body.first_message_at).toMatch(ISO_WITH_OFFSET);
      expect(Date.parse(response.body.last_message_at)).toBeGreaterThanOrEqual(
        Date.parse(response.body.first_message_at),
      );
    });

    it('answers zeros and nulls for an empty conversation', async () => {
      const conversation = await api.createConversation(ALICE);
      const response = await t.http
        .get(`/api/v1/conversations/${conversation.id}/stats`)
        .set(api.auth(ALICE));
      expect(response.body).toEqual({
        conversation_id: conversation.id,
        total_messages: 0,
        by_role: { user: 0, assistant: 0, system: 0 },
        agents_used: [],
        feedback: { up: 0, down: 0 },
        first_message_at: null,
        last_message_at: null,
      });
    });
  });

  describe('GET /api/v1/conversations/:id/export', () => {
    it('downloads the whole conversation as JSON, every message in order', async () => {
      const conversation = await api.createConversation(ALICE, {
        title: 'export me',
        initial_message: 'first',
      });
      await api.append(ALICE, conversation.id, {
        role: 'assistant',
        content: 'second',
        references: [{ source: 's', title: 't', similarity: 0.9, metadata: {} }],
      });
      const response = await t.http
        .get(`/api/v1/conversations/${conversation.id}/export?format=json`)
        .set(api.auth(ALICE));
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toContain('application/json');
      expect(response.headers['content-disposition']).toBe(
        `attachment; filename="${conversation.id}.json"`,
      );
      const document = JSON.parse(response.text);
      expect(document.conversation).toMatchObject({
        id: conversation.id,
        title: 'export me',
        message_count: 2,
      });
      expect(document.messages.map((m: { content: string }) => m.content)).toEqual([
        'first',
        'second',
      ]);
      expect(document.messages[1].references).toEqual([
        { source: 's', title: 't', similarity: 0.9, metadata: {} },
      ]);
    });

    it('downloads Markdown with the title and each message', async () => {
      const conversation = await api.createConversation(ALICE, {
        title: '원산지 문의',
        initial_message: '원산지 증명서가 필요한가요?',
      });
      const response = await t.http
        .get(`/api/v1/conversations/${conversation.id}/export?format=markdown`)
        .set(api.auth(ALICE));
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toContain('text/markdown');
      expect(response.text).toContain('# 원산지 문의');
      expect(response.text).toContain('## 1. user');
      expect(response.text).toContain('원산지 증명서가 필요한가요?');
    });

    it('refuses an unknown format with 400', async () => {
      const conversation = await api.createConversation(ALICE);
      const response = await t.http
        .get(`/api/v1/conversations/${conversation.id}/export?format=pdf`)
        .set(api.auth(ALICE));
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.message)).toContain('format');
    });
  });
});
