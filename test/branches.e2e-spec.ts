import { ApiClient } from './support/api-client';
import { startTestApp, type TestApp } from './support/test-app';

const ALICE = 401;
const BOB = 402;

type Message = Record<string, any>;

describe('branches: edits and regenerated answers (api-v1.1.md section 6)', () => {
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [ALICE, BOB]);
  });

  afterAll(async () => {
    await t.close();
  });

  const messagesOf = (id: string): string => `/api/v1/conversations/${id}/messages`;

  async function say(
    conversationId: string,
    content: string,
    fields: Record<string, unknown> = {},
  ): Promise<Message> {
    const role = content.startsWith('a') ? 'assistant' : 'user';
    return (await api.append(ALICE, conversationId, { role, content, ...fields })).messages[0];
  }

  async function page(conversationId: string, query = ''): Promise<Record<string, any>> {
    const response = await t.http
      .get(`${messagesOf(conversationId)}?limit=200${query}`)
      .set(api.auth(ALICE));
    expect(response.status).toBe(200);
    return response.body;
  }

  async function opened(conversationId: string): Promise<Record<string, any>> {
    const response = await t.http
      .get(`/api/v1/conversations/${conversationId}`)
      .set(api.auth(ALICE));
    expect(response.status).toBe(200);
    return response.body;
  }

  async function moveHead(conversationId: string, messageId: string): Promise<Record<string, any>> {
    const response = await t.http
      .put(`/api/v1/conversations/${conversationId}/head`)
      .set(api.auth(ALICE))
      .send({ message_id: messageId });
    expect(response.status).toBe(200);
    return response.body;
  }

  /** Each message as `content sibling_index+1/sibling_count`, the way a client draws it. */
  const drawn = (messages: Message[]): string[] =>
    messages.map((m) => `${m.content} ${m.sibling_index + 1}/${m.sibling_count}`);

  describe('a client that never sends parent_id', () => {
    it('sees one line: each message follows the previous, no siblings, the head the newest, total_count message_count', async () => {
      const conversation = await api.createConversation(ALICE, { initial_message: 'q1' });
      expect(conversation.messages[0]).toMatchObject({
        parent_id: null,
        sibling_count: 1,
        sibling_index: 0,
      });
      expect(conversation.head_message_id).toBe(conversation.messages[0].id);
      await say(conversation.id, 'a1');
      await api.append(ALICE, conversation.id, {
        messages: [
          { role: 'user', content: 'q2' },
          { role: 'assistant', content: 'a2' },
        ],
      });
      const read = await page(conversation.id);
      expect(read.total_count).toBe(4);
      expect(drawn(read.messages)).toEqual(['q1 1/1', 'a1 1/1', 'q2 1/1', 'a2 1/1']);
      expect(read.messages.map((m: Message) => m.parent_id)).toEqual([
        null,
        ...read.messages.slice(0, 3).map((m: Message) => m.id),
      ]);
      const body = await opened(conversation.id);
      expect(body).toMatchObject({ message_count: 4, head_message_id: read.messages[3].id });
      expect(body.recent_messages).toEqual(read.messages);
    });

    it('gives 30 parallel appends one line: each follows the one before it by seq', async () => {
      const conversation = await api.createConversation(ALICE);
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          t.http
            .post(messagesOf(conversation.id))
            .set(api.auth(ALICE))
            .send({ role: 'user', content: `p${i}` }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(30).fill(201));
      const { rows } = await t.db.client.query(
        `SELECT id, parent_id, seq, depth, on_active_branch FROM messages WHERE conversation_id = $1 ORDER BY seq`,
        [conversation.id],
      );
      expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(rows.map((row) => row.depth)).toEqual(rows.map((row) => row.seq));
      expect(rows.map((row) => row.parent_id)).toEqual([
        null,
        ...rows.slice(0, 29).map((row) => row.id),
      ]);
      expect(rows.every((row) => row.on_active_branch)).toBe(true);
      expect((await opened(conversation.id)).head_message_id).toBe(rows[29].id);
    });
  });

  describe('edit, then regenerate, then switch back', () => {
    let conversationId: string;
    const m: Record<string, Message> = {};

    beforeAll(async () => {
      const conversation = await api.createConversation(ALICE, { initial_message: 'q1' });
      conversationId = conversation.id;
      m.q1 = conversation.messages[0];
      m.a1 = await say(conversationId, 'a1');
      m.q2 = await say(conversationId, 'q2');
      m.a2 = await say(conversationId, 'a2');
    });

    it("an edit is a new user message under the edited one's parent: the head moves to it", async () => {
      m.q2edit = await say(conversationId, 'q2 edited', { parent_id: m.a1.id });
      expect(m.q2edit).toMatchObject({
        seq: 5,
        parent_id: m.a1.id,
        sibling_count: 2,
        sibling_index: 1,
      });
      const body = await opened(conversationId);
      expect(body).toMatchObject({ message_count: 5, head_message_id: m.q2edit.id });
      expect(drawn(body.recent_messages)).toEqual(['q1 1/1', 'a1 1/1', 'q2 edited 2/2']);
      expect((await page(conversationId)).total_count).toBe(3);
    });

    it('a regenerated answer is a new assistant message under the same question', async () => {
      m.a2edit = await say(conversationId, 'a2 first answer');
      expect(m.a2edit).toMatchObject({ seq: 6, parent_id: m.q2edit.id, sibling_count: 1 });
      m.a2regen = await say(conversationId, 'a2 regenerated', { parent_id: m.q2edit.id });
      expect(m.a2regen).toMatchObject({ seq: 7, sibling_count: 2, sibling_index: 1 });
      const read = await page(conversationId);
      expect(read.total_count).toBe(4);
      expect(drawn(read.messages)).toEqual([
        'q1 1/1',
        'a1 1/1',
        'q2 edited 2/2',
        'a2 regenerated 2/2',
      ]);
      expect((await opened(conversationId)).message_count).toBe(7);
    });

    it('switching back to the first question shows its branch down to its newest descendant', async () => {
      const body = await moveHead(conversationId, m.q2.id);
      expect(body).toMatchObject({ message_count: 7, head_message_id: m.a2.id });
      expect(drawn(body.recent_messages)).toEqual(['q1 1/1', 'a1 1/1', 'q2 1/2', 'a2 1/1']);
      const read = await page(conversationId);
      expect(read.messages).toEqual(body.recent_messages);
      expect(read.total_count).toBe(4);
      expect(await opened(conversationId)).toMatchObject({
        head_message_id: m.a2.id,
        recent_messages: body.recent_messages,
      });
    });

    it('switching to the edit goes down to its newest answer; to an older answer, to that one', async () => {
      const toEdit = await moveHead(conversationId, m.q2edit.id);
      expect(toEdit.head_message_id).toBe(m.a2regen.id);
      expect(drawn(toEdit.recent_messages)).toEqual([
        'q1 1/1',
        'a1 1/1',
        'q2 edited 2/2',
        'a2 regenerated 2/2',
      ]);
      const toFirstAnswer = await moveHead(conversationId, m.a2edit.id);
      expect(toFirstAnswer.head_message_id).toBe(m.a2edit.id);
      expect(drawn(toFirstAnswer.recent_messages)).toEqual([
        'q1 1/1',
        'a1 1/1',
        'q2 edited 2/2',
        'a2 first answer 1/2',
      ]);
      // Repeating it changes nothing.
      expect(await moveHead(conversationId, m.a2edit.id)).toEqual(toFirstAnswer);
    });

    it('an append without parent_id follows the head of the branch switched to', async () => {
      const next = await say(conversationId, 'q3');
      expect(next.parent_id).toBe(m.a2edit.id);
      expect(drawn((await page(conversationId)).messages)).toEqual([
        'q1 1/1',
        'a1 1/1',
        'q2 edited 2/2',
        'a2 first answer 1/2',
        'q3 1/1',
      ]);
      m.q3 = next;
    });

    it('branch=all lists every message in seq order, total_count message_count', async () => {
      const all = await page(conversationId, '&branch=all');
      expect(all.total_count).toBe(8);
      expect(all.messages.map((message: Message) => message.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(drawn(all.messages)).toEqual([
        'q1 1/1',
        'a1 1/1',
        'q2 1/2',
        'a2 1/1',
        'q2 edited 2/2',
        'a2 first answer 1/2',
        'a2 regenerated 2/2',
        'q3 1/1',
      ]);
    });

    it('parent_id null is a new first message: an edit of the first question', async () => {
      const root = await say(conversationId, 'q1 edited', { parent_id: null });
      expect(root).toMatchObject({ parent_id: null, sibling_count: 2, sibling_index: 1 });
      const read = await page(conversationId);
      expect(drawn(read.messages)).toEqual(['q1 edited 2/2']);
      expect(read.total_count).toBe(1);
      const back = await moveHead(conversationId, m.q1.id);
      expect(back.head_message_id).toBe(m.q3.id);
      expect(back.recent_messages).toHaveLength(5);
      expect(back.recent_messages[0]).toMatchObject({ sibling_count: 2, sibling_index: 0 });
    });

    it('stats count every message of every branch, like message_count', async () => {
      const stats = await t.http
        .get(`/api/v1/conversations/${conversationId}/stats`)
        .set(api.auth(ALICE));
      expect(stats.body).toMatchObject({
        total_messages: 9,
        by_role: { user: 5, assistant: 4, system: 0 },
      });
    });

    it('JSON export holds every message with parent_id; Markdown the active branch', async () => {
      const json = await t.http
        .get(`/api/v1/conversations/${conversationId}/export?format=json`)
        .set(api.auth(ALICE));
      const document = JSON.parse(json.text);
      expect(document.conversation.head_message_id).toBe(m.q3.id);
      expect(document.messages).toHaveLength(9);
      const parents = new Map(
        document.messages.map((message: Message) => [message.content, message.parent_id]),
      );
      expect(parents.get('q2 edited')).toBe(m.a1.id);
      expect(parents.get('a2 regenerated')).toBe(m.q2edit.id);
      expect(parents.get('q1 edited')).toBeNull();
      const markdown = await t.http
        .get(`/api/v1/conversations/${conversationId}/export?format=markdown`)
        .set(api.auth(ALICE));
      const headings = [...markdown.text.matchAll(/^## (\d+)\. /gm)].map((match) =>
        Number(match[1]),
      );
      expect(headings).toEqual([1, 2, 5, 6, 8]);
      expect(markdown.text).not.toContain('a2 regenerated');
    });

    it('search covers every branch, the ones not shown included', async () => {
      const search = await t.http
        .post('/api/v1/conversations/search')
        .set(api.auth(ALICE))
        .send({ query: 'regenerated', conversation_id: conversationId });
      expect(search.status).toBe(200);
      expect(search.body.messages.map((hit: Message) => hit.id)).toEqual([m.a2regen.id]);
    });
  });

  describe('paging the active branch with other branches interleaved in seq', () => {
    let conversationId: string;
    let branch: string[];

    beforeAll(async () => {
      // a1 a2 ... a12 on the active branch at odd seqs; at each even seq a sibling b_i of a_i
      // (with a child of its own from the third on), each left behind by switching back to a_i.
      conversationId = (await api.createConversation(ALICE)).id;
      branch = [];
      let previous: string | null = null;
      for (let i = 1; i <= 12; i += 1) {
        const a = await say(conversationId, `u a${i}`);
        branch.push(a.id);
        await say(conversationId, `u b${i}`, { parent_id: previous });
        if (i >= 3) await say(conversationId, `u b${i} child`);
        await moveHead(conversationId, a.id);
        previous = a.id;
      }
    });

    const contentsOf = (messages: Message[]): string[] => messages.map((m) => m.content);
    const expected = Array.from({ length: 12 }, (_, i) => `u a${i + 1}`);

    it('by page and by offset: each message of the branch once, in order, with the true total', async () => {
      const byPage: string[] = [];
      const byOffset: string[] = [];
      for (let number = 1; number <= 3; number += 1) {
        const read = await t.http
          .get(`${messagesOf(conversationId)}?limit=5&page=${number}`)
          .set(api.auth(ALICE));
        expect(read.body).toMatchObject({ total_count: 12, page: number, has_next: number < 3 });
        byPage.push(...contentsOf(read.body.messages));
        const shifted = await t.http
          .get(`${messagesOf(conversationId)}?limit=5&offset=${(number - 1) * 5}`)
          .set(api.auth(ALICE));
        byOffset.push(...contentsOf(shifted.body.messages));
      }
      expect(byPage).toEqual(expected);
      expect(byOffset).toEqual(expected);
    });

    it('by cursor forwards, by before_seq and its cursor backwards, and by after_seq', async () => {
      const forwards: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${cursor}` : '';
        const read = await t.http
          .get(`${messagesOf(conversationId)}?limit=5${query}`)
          .set(api.auth(ALICE));
        forwards.push(...contentsOf(read.body.messages));
        cursor = read.body.next_cursor;
      } while (cursor);
      expect(forwards).toEqual(expected);

      const backwards: string[][] = [];
      let before = await t.http
        .get(`${messagesOf(conversationId)}?limit=5&before_seq=100000`)
        .set(api.auth(ALICE));
      backwards.push(contentsOf(before.body.messages));
      while (before.body.next_cursor) {
        before = await t.http
          .get(`${messagesOf(conversationId)}?limit=5&cursor=${before.body.next_cursor}`)
          .set(api.auth(ALICE));
        backwards.push(contentsOf(before.body.messages));
      }
      expect(backwards.reverse().flat()).toEqual(expected);

      const polled: string[] = [];
      let afterSeq = 0;
      for (;;) {
        const read = await t.http
          .get(`${messagesOf(conversationId)}?limit=4&after_seq=${afterSeq}`)
          .set(api.auth(ALICE));
        if (read.body.messages.length === 0) break;
        polled.push(...contentsOf(read.body.messages));
        afterSeq = read.body.messages.at(-1).seq;
      }
      expect(polled).toEqual(expected);
    });

    it('each message of the branch knows its versions', async () => {
      const read = await page(conversationId);
      expect(read.messages.map((message: Message) => message.id)).toEqual(branch);
      expect(drawn(read.messages).slice(0, 3)).toEqual(['u a1 1/2', 'u a2 1/2', 'u a3 1/2']);
      const all = await page(conversationId, '&branch=all');
      expect(all.total_count).toBe(12 * 2 + 10);
      expect(all.messages).toHaveLength(34);
    });
  });

  describe('parent_id and message_id that are not messages of the conversation', () => {
    it("answer 400 naming the field, the same for an unknown id, another conversation's and another user's, and store nothing", async () => {
      const conversation = await api.createConversation(ALICE, { initial_message: 'mine' });
      const other = await api.createConversation(ALICE, { initial_message: 'my other' });
      const bobs = await api.createConversation(BOB, { initial_message: 'bob' });
      const answers = [];
      for (const parentId of [
        'msg_0000000000000000000000000000dead',
        other.messages[0].id,
        bobs.messages[0].id,
      ]) {
        const response = await t.http
          .post(messagesOf(conversation.id))
          .set(api.auth(ALICE))
          .send({ role: 'user', content: 'x', parent_id: parentId });
        answers.push({ status: response.status, body: response.body });
        const moved = await t.http
          .put(`/api/v1/conversations/${conversation.id}/head`)
          .set(api.auth(ALICE))
          .send({ message_id: parentId });
        answers.push({ status: moved.status, body: moved.body });
      }
      expect(answers[0]).toEqual({
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: 'parent_id is not a message of this conversation',
        },
      });
      expect(answers[1].body.message).toBe('message_id is not a message of this conversation');
      expect(answers.filter((_, i) => i % 2 === 0)).toEqual(Array(3).fill(answers[0]));
      expect(answers.filter((_, i) => i % 2 === 1)).toEqual(Array(3).fill(answers[1]));
      const body = await opened(conversation.id);
      expect(body).toMatchObject({
        message_count: 1,
        head_message_id: conversation.messages[0].id,
      });
    });

    it("answers 404 for PUT head on another user's conversation, as for an unknown one", async () => {
      const bobs = await api.createConversation(BOB, { initial_message: 'bob' });
      const foreign = await t.http
        .put(`/api/v1/conversations/${bobs.id}/head`)
        .set(api.auth(ALICE))
        .send({ message_id: bobs.messages[0].id });
      expect(foreign.status).toBe(404);
      expect(
        (await t.http.get(`/api/v1/conversations/${bobs.id}`).set(api.auth(BOB))).body,
      ).toMatchObject({ head_message_id: bobs.messages[0].id });
    });

    it('refuses parent_id past the first message of an exchange, beside messages, and malformed', async () => {
      const conversation = await api.createConversation(ALICE, { initial_message: 'q' });
      const cases: Array<[Record<string, unknown>, string]> = [
        [
          {
            messages: [
              { role: 'user', content: 'x' },
              { role: 'user', content: 'y', parent_id: conversation.messages[0].id },
            ],
          },
          'messages.1.parent_id',
        ],
        [
          { parent_id: conversation.messages[0].id, messages: [{ role: 'user', content: 'x' }] },
          'messages',
        ],
        [{ role: 'user', content: 'x', parent_id: 'x'.repeat(51) }, 'parent_id'],
        [{ role: 'user', content: 'x', parent_id: 7 }, 'parent_id'],
      ];
      for (const [body, field] of cases) {
        const response = await t.http
          .post(messagesOf(conversation.id))
          .set(api.auth(ALICE))
          .send(body);
        expect([field, response.status]).toEqual([field, 400]);
        expect(JSON.stringify(response.body.message)).toContain(field);
      }
      const head = await t.http
        .put(`/api/v1/conversations/${conversation.id}/head`)
        .set(api.auth(ALICE))
        .send({});
      expect(head.status).toBe(400);
      expect(JSON.stringify(head.body.message)).toContain('message_id');
      const branch = await t.http
        .get(`${messagesOf(conversation.id)}?branch=some`)
        .set(api.auth(ALICE));
      expect(branch.status).toBe(400);
      expect(JSON.stringify(branch.body.message)).toContain('branch');
    });

    it('takes parent_id on the first message of an exchange: each next one follows the previous', async () => {
      const conversation = await api.createConversation(ALICE, { initial_message: 'q' });
      const a = await say(conversation.id, 'a');
      const exchange = await api.append(ALICE, conversation.id, {
        messages: [
          { role: 'user', content: 'q edited', parent_id: null },
          { role: 'assistant', content: 'a edited' },
        ],
      });
      expect(exchange.messages.map((message: Message) => message.parent_id)).toEqual([
        null,
        exchange.messages[0].id,
      ]);
      expect(exchange.conversation.head_message_id).toBe(exchange.messages[1].id);
      expect(drawn((await page(conversation.id)).messages)).toEqual([
        'q edited 2/2',
        'a edited 1/1',
      ]);
      expect((await moveHead(conversation.id, conversation.messages[0].id)).head_message_id).toBe(
        a.id,
      );
    });
  });

  describe('concurrency', () => {
    it('lands 20 regenerations under the same parent at once, with distinct seqs, and keeps one of them on the branch', async () => {
      const conversation = await api.createConversation(ALICE, { initial_message: 'q' });
      const question = conversation.messages[0].id;
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t.http
            .post(messagesOf(conversation.id))
            .set(api.auth(ALICE, 'agent'))
            .send({ role: 'assistant', content: `answer ${i}`, parent_id: question }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
      const seqs = responses.map((r) => r.body.messages[0].seq).sort((x, y) => x - y);
      expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
      const all = await page(conversation.id, '&branch=all');
      const answers = all.messages.slice(1);
      expect(answers.map((m: Message) => m.parent_id)).toEqual(Array(20).fill(question));
      expect(answers.map((m: Message) => [m.sibling_index, m.sibling_count])).toEqual(
        Array.from({ length: 20 }, (_, i) => [i, 20]),
      );
      // Appends are serialised on the conversation's row: the last to commit holds the last seq.
      const body = await opened(conversation.id);
      expect(body).toMatchObject({ message_count: 21, head_message_id: answers[19].id });
      expect(body.recent_messages.map((m: Message) => m.id)).toEqual([question, answers[19].id]);
      const { rows } = await t.db.client.query(
        `SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1 AND on_active_branch`,
        [conversation.id],
      );
      expect(rows[0].n).toBe(2);
    });
  });

  describe('cache and idempotency', () => {
    it('a head switch is visible to the next cached read', async () => {
      const conversation = await api.createConversation(ALICE, { initial_message: 'q' });
      const first = await say(conversation.id, 'a one');
      await say(conversation.id, 'a two', { parent_id: conversation.messages[0].id });
      await opened(conversation.id);
      const cached = await t.http
        .get(`/api/v1/conversations/${conversation.id}`)
        .set(api.auth(ALICE));
      expect(cached.headers['x-cache']).toBe('HIT');
      await t.http.get(messagesOf(conversation.id)).set(api.auth(ALICE));
      await moveHead(conversation.id, first.id);
      const after = await t.http
        .get(`/api/v1/conversations/${conversation.id}`)
        .set(api.auth(ALICE));
      expect(after.headers['x-cache']).toBe('MISS');
      expect(after.body.head_message_id).toBe(first.id);
      const messages = await t.http.get(messagesOf(conversation.id)).set(api.auth(ALICE));
      expect(messages.headers['x-cache']).toBe('MISS');
      expect(drawn(messages.body.messages)).toEqual(['q 1/1', 'a one 1/2']);
    });

    it('a retried regeneration with its Idempotency-Key replays the first answer and stores no second sibling', async () => {
      const conversation = await api.createConversation(ALICE, { initial_message: 'q' });
      await say(conversation.id, 'a one');
      const send = (): Promise<{ status: number; body: any; headers: any }> =>
        t.http
          .post(messagesOf(conversation.id))
          .set({ ...api.auth(ALICE, 'agent'), 'Idempotency-Key': `regen-${conversation.id}` })
          .send({ role: 'assistant', content: 'a two', parent_id: conversation.messages[0].id });
      const first = await send();
      const retry = await send();
      expect(first.status).toBe(201);
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toEqual(first.body);
      expect(first.body.messages[0]).toMatchObject({ sibling_count: 2, sibling_index: 1 });
      expect((await page(conversation.id, '&branch=all')).total_count).toBe(3);
    });
  });

  describe('rows written without the tree (an older version, an import)', () => {
    it('read as one line, and the next append links them after the head and follows them', async () => {
      const conversation = await api.createConversation(ALICE, { initial_message: 'q1' });
      await t.db.client.query(`UPDATE conversations SET message_count = 3 WHERE id = $1;`, [
        conversation.id,
      ]);
      await t.db.client.query(
        `INSERT INTO messages (id, conversation_id, user_id, seq, role, content) VALUES
         ('legacy_a1', $1, $2, 2, 'assistant', 'a1'), ('legacy_q2', $1, $2, 3, 'user', 'q2')`,
        [conversation.id, ALICE],
      );
      const before = await page(conversation.id);
      expect(drawn(before.messages)).toEqual(['q1 1/1', 'a1 1/1', 'q2 1/1']);
      const appended = await say(conversation.id, 'a2');
      expect(appended).toMatchObject({ seq: 4, parent_id: 'legacy_q2' });
      const { rows } = await t.db.client.query(
        `SELECT id, parent_id, depth FROM messages WHERE conversation_id = $1 ORDER BY seq`,
        [conversation.id],
      );
      expect(rows).toEqual([
        { id: conversation.messages[0].id, parent_id: null, depth: 1 },
        { id: 'legacy_a1', parent_id: conversation.messages[0].id, depth: 2 },
        { id: 'legacy_q2', parent_id: 'legacy_a1', depth: 3 },
        { id: appended.id, parent_id: 'legacy_q2', depth: 4 },
      ]);
      const after = await page(conversation.id);
      expect(after.total_count).toBe(4);
      expect((await opened(conversation.id)).head_message_id).toBe(appended.id);
    });
  });
});
