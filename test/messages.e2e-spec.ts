import { ApiClient } from './support/api-client';
import { storedMessages } from './support/stored';
import { startTestApp, type TestApp } from './support/test-app';

const ALICE = 201;

describe('messages API', () => {
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

  describe('POST /:id/messages', () => {
    it('appends one message with routing_info and references in their own columns, exactly as written', async () => {
      const conversation = await api.createConversation(ALICE, { initial_message: '관세율 문의' });
      const routingInfo = {
        selected_agent: 'regulation_agent',
        complexity: 0.42,
        reasoning: '규정 질문',
        requires_multiple_agents: false,
        routing_history: [{ agent: 'conversation_agent', score: 0.1 }],
        extra_field: { nested: [1, 2, 3] },
      };
      const references = [
        { source: 'law/123', title: '관세법 제50조', similarity: 0.87, metadata: { page: 3 } },
      ];
      const response = await t.http
        .post(messagesOf(conversation.id))
        .set(api.auth(ALICE, 'agent'))
        .send({
          role: 'assistant',
          content: '8%입니다.',
          agent_used: 'regulation_agent',
          routing_info: routingInfo,
          references,
          metadata: { tokens: 12 },
        });
      expect(response.status).toBe(201);
      expect(Object.keys(response.body).sort()).toEqual([
        'conversation',
        'conversation_id',
        'messages',
      ]);
      const [message] = response.body.messages;
      expect(Object.keys(message).sort()).toEqual(
        [
          'agent_used',
          'content',
          'conversation_id',
          'feedback',
          'id',
          'metadata',
          'parent_id',
          'references',
          'role',
          'routing_info',
          'seq',
          'sibling_count',
          'sibling_index',
          'status',
          'timestamp',
          'usage',
        ].sort(),
      );
      expect(message).toMatchObject({
        seq: 2,
        role: 'assistant',
        routing_info: routingInfo,
        references,
        metadata: { tokens: 12 },
      });
      expect(response.body.conversation).toMatchObject({
        message_count: 2,
        last_agent_used: 'regulation_agent',
      });
      const stored = await t.db.client.query(
        'SELECT routing_info, "references", metadata, user_id FROM messages WHERE id = $1',
        [message.id],
      );
      expect(stored.rows[0]).toEqual({
        routing_info: routingInfo,
        references,
        metadata: { tokens: 12 },
        user_id: ALICE,
      });
      const read = await t.http.get(messagesOf(conversation.id)).set(api.auth(ALICE));
      expect(read.body.messages[1]).toEqual(message);
    });

    it('appends an exchange in one transaction and moves message_count, updated_at and last_agent_used together', async () => {
      const conversation = await api.createConversation(ALICE);
      const response = await t.http
        .post(messagesOf(conversation.id))
        .set(api.auth(ALICE, 'agent'))
        .send({
          messages: [
            { role: 'user', content: 'q' },
            { role: 'assistant', content: 'a1', agent_used: 'regulation_agent' },
            { role: 'assistant', content: 'a2', agent_used: 'consultation_agent' },
            { role: 'assistant', content: 'a3' },
          ],
        });
      expect(response.status).toBe(201);
      expect(response.body.messages.map((m: { seq: number }) => m.seq)).toEqual([1, 2, 3, 4]);
      const { rows } = await t.db.client.query(
        'SELECT message_count, last_agent_used, updated_at FROM conversations WHERE id = $1',
        [conversation.id],
      );
      expect(rows[0]).toMatchObject({ message_count: 4, last_agent_used: 'consultation_agent' });
      expect(rows[0].updated_at.getTime()).toBeGreaterThan(Date.parse(conversation.updated_at));
    });

    it('stores nothing when the second message of an exchange is invalid', async () => {
      const conversation = await api.createConversation(ALICE);
      const response = await t.http
        .post(messagesOf(conversation.id))
        .set(api.auth(ALICE, 'agent'))
        .send({
          messages: [
            { role: 'user', content: 'fine' },
            { role: 'robot', content: 'bad' },
          ],
        });
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.message)).toContain('messages.1.role');
      expect(await storedMessages(t.db, conversation.id)).toEqual({ messageCount: 0, rows: 0 });
    });

    it('rolls the whole exchange back when the database refuses part of it', async () => {
      const conversation = await api.createConversation(ALICE);
      // A message already holding seq 2 makes the second insert of the exchange fail in the database.
      await t.db.client.query(
        `INSERT INTO messages (id, conversation_id, user_id, seq, role, content) VALUES ('msg_squatter', $1, $2, 2, 'user', 'x')`,
        [conversation.id, ALICE],
      );
      const response = await t.http
        .post(messagesOf(conversation.id))
        .set(api.auth(ALICE, 'agent'))
        .send({
          messages: [
            { role: 'user', content: 'one' },
            { role: 'assistant', content: 'two' },
          ],
        });
      expect(response.status).toBe(409);
      expect(JSON.stringify(response.body)).not.toMatch(/idx_|constraint|INSERT|messages/i);
      // Only the squatter remains: neither message of the exchange, and the counter untouched.
      expect(await storedMessages(t.db, conversation.id)).toEqual({ messageCount: 0, rows: 1 });
    });

    it('gives 100 parallel appends seq 1..100 with no gap and message_count 100', async () => {
      const conversation = await api.createConversation(ALICE);
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          t.http
            .post(messagesOf(conversation.id))
            .set(api.auth(ALICE))
            .send({ role: 'user', content: `parallel ${i}` }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(100).fill(201));
      const { rows } = await t.db.client.query(
        'SELECT seq FROM messages WHERE conversation_id = $1 ORDER BY seq',
        [conversation.id],
      );
      expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      const counter = await t.db.client.query(
        'SELECT message_count FROM conversations WHERE id = $1',
        [conversation.id],
      );
      expect(counter.rows[0].message_count).toBe(100);
    });

    it('lets an end user write user messages only: assistant and system need the agent scope', async () => {
      const conversation = await api.createConversation(ALICE);
      for (const role of ['assistant', 'system']) {
        const denied = await t.http
          .post(messagesOf(conversation.id))
          .set(api.auth(ALICE))
          .send({ role, content: 'x' });
        expect(denied.status).toBe(403);
        expect(denied.body.message).toContain('messages:write:assistant');
        const allowed = await t.http
          .post(messagesOf(conversation.id))
          .set(api.auth(ALICE, 'agent'))
          .send({ role, content: 'x' });
        expect(allowed.status).toBe(201);
      }
      const mixed = await t.http
        .post(messagesOf(conversation.id))
        .set(api.auth(ALICE))
        .send({
          messages: [
            { role: 'user', content: 'q' },
            { role: 'assistant', content: 'a' },
          ],
        });
      expect(mixed.status).toBe(403);
      const count = await t.db.client.query(
        'SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1',
        [conversation.id],
      );
      expect(count.rows[0].n).toBe(2);
    });

    it('refuses a body that mixes a single message and messages, an empty body, and 11 messages', async () => {
      const conversation = await api.createConversation(ALICE);
      const cases = [
        [{ role: 'user', content: 'x', messages: [{ role: 'user', content: 'y' }] }, 'messages'],
        [{}, 'role'],
        [{ messages: [] }, 'messages'],
        [
          { messages: Array.from({ length: 11 }, () => ({ role: 'user', content: 'x' })) },
          'messages',
        ],
      ] as const;
      for (const [body, field] of cases) {
        const response = await t.http
          .post(messagesOf(conversation.id))
          .set(api.auth(ALICE))
          .send(body);
        expect(response.status).toBe(400);
        expect(JSON.stringify(response.body.message)).toContain(field);
      }
      const ten = await t.http
        .post(messagesOf(conversation.id))
        .set(api.auth(ALICE))
        .send({ messages: Array.from({ length: 10 }, () => ({ role: 'user', content: 'x' })) });
      expect(ten.status).toBe(201);
    });
  });

  describe('GET /:id/messages', () => {
    let conversationId: string;

    beforeAll(async () => {
      conversationId = (await api.createConversation(ALICE)).id;
      for (let i = 0; i < 12; i += 4) {
        await api.append(ALICE, conversationId, {
          messages: Array.from({ length: 4 }, (_, j) => ({
            role: 'user',
            content: `m${i + j + 1}`,
          })),
        });
      }
    });

    it("pages oldest first with the contract's fields and the true total", async () => {
      const response = await t.http
        .get(`${messagesOf(conversationId)}?limit=5&page=2`)
        .set(api.auth(ALICE));
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual([
        'conversation_id',
        'has_next',
        'messages',
        'next_cursor',
        'page',
        'page_size',
        'total_count',
      ]);
      expect(response.body).toMatchObject({
        conversation_id: conversationId,
        total_count: 12,
        page: 2,
        page_size: 5,
        has_next: true,
      });
      expect(response.body.messages.map((m: { seq: number }) => m.seq)).toEqual([6, 7, 8, 9, 10]);
    });

    it('walks all pages by page number and by cursor, every message once, in order', async () => {
      const byPage: number[] = [];
      for (let page = 1; page <= 3; page += 1) {
        const response = await t.http
          .get(`${messagesOf(conversationId)}?limit=5&page=${page}`)
          .set(api.auth(ALICE));
        byPage.push(...response.body.messages.map((m: { seq: number }) => m.seq));
      }
      const byCursor: number[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${cursor}` : '';
        const response = await t.http
          .get(`${messagesOf(conversationId)}?limit=5${query}`)
          .set(api.auth(ALICE));
        byCursor.push(...response.body.messages.map((m: { seq: number }) => m.seq));
        cursor = response.body.next_cursor;
      } while (cursor);
      const all = Array.from({ length: 12 }, (_, i) => i + 1);
      expect(byPage).toEqual(all);
      expect(byCursor).toEqual(all);
    });

    it('neither repeats nor skips a message when appends happen between cursor reads', async () => {
      const conversation = await api.createConversation(ALICE);
      await api.append(ALICE, conversation.id, {
        messages: Array.from({ length: 6 }, (_, i) => ({ role: 'user', content: `x${i}` })),
      });
      const seen: number[] = [];
      const first = await t.http.get(`${messagesOf(conversation.id)}?limit=4`).set(api.auth(ALICE));
      seen.push(...first.body.messages.map((m: { seq: number }) => m.seq));
      await api.append(ALICE, conversation.id, {
        messages: [
          { role: 'user', content: 'late' },
          { role: 'user', content: 'later' },
        ],
      });
      const second = await t.http
        .get(`${messagesOf(conversation.id)}?limit=4&cursor=${first.body.next_cursor}`)
        .set(api.auth(ALICE));
      seen.push(...second.body.messages.map((m: { seq: number }) => m.seq));
      expect(second.body.has_next).toBe(false);
      // Past the end, a client polls with after_seq from the newest seq it holds.
      await api.append(ALICE, conversation.id, { messages: [{ role: 'user', content: 'newest' }] });
      const poll = await t.http
        .get(`${messagesOf(conversation.id)}?limit=4&after_seq=${seen.at(-1)}`)
        .set(api.auth(ALICE));
      seen.push(...poll.body.messages.map((m: { seq: number }) => m.seq));
      expect(seen).toEqual(Array.from({ length: 9 }, (_, i) => i + 1));
    });

    it('reads backwards with before_seq and forwards with after_seq', async () => {
      const before = await t.http
        .get(`${messagesOf(conversationId)}?limit=3&before_seq=10`)
        .set(api.auth(ALICE));
      expect(before.body.messages.map((m: { seq: number }) => m.seq)).toEqual([7, 8, 9]);
      expect(before.body.page).toBeNull();
      const older = await t.http
        .get(`${messagesOf(conversationId)}?limit=3&cursor=${before.body.next_cursor}`)
        .set(api.auth(ALICE));
      expect(older.body.messages.map((m: { seq: number }) => m.seq)).toEqual([4, 5, 6]);
      const after = await t.http
        .get(`${messagesOf(conversationId)}?limit=5&after_seq=9`)
        .set(api.auth(ALICE));
      expect(after.body.messages.map((m: { seq: number }) => m.seq)).toEqual([10, 11, 12]);
      expect(after.body).toMatchObject({ has_next: false, next_cursor: null });
    });

    it.each([
      ['limit=0'],
      ['limit=201'],
      ['before_seq=0'],
      ['after_seq=-1'],
      ['after_seq=2&before_seq=5'],
      ['page=2&cursor=abc'],
      ['offset=x'],
    ])('answers 400 for %s', async (query) => {
      const response = await t.http
        .get(`${messagesOf(conversationId)}?${query}`)
        .set(api.auth(ALICE));
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.message)).toContain(query.split(/[=&]/)[0]);
    });

    it('accepts limit 200', async () => {
      const response = await t.http
        .get(`${messagesOf(conversationId)}?limit=200`)
        .set(api.auth(ALICE));
      expect(response.status).toBe(200);
      expect(response.body.messages).toHaveLength(12);
    });
  });
});
