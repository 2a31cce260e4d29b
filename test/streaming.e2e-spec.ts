import { ApiClient } from './support/api-client';
import { metricValue } from './support/metrics';
import { startTestApp, type TestApp } from './support/test-app';

const ALICE = 1801;
const BOB = 1802;

/** 400 pieces of 10 JavaScript characters: Korean, Latin, and an emoji (a surrogate pair) in each. */
function answerPieces(): string[] {
  return Array.from({ length: 400 }, (_, index) =>
    `관세${String(index).padStart(3, '0')}ab😀 `.slice(0, 10),
  );
}

describe('assistant replies that stream', () => {
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [ALICE, BOB]);
  });

  afterAll(async () => {
    await t.close();
  });

  const messagesOf = (conversationId: string): string =>
    `/api/v1/conversations/${conversationId}/messages`;
  const messageOf = (conversationId: string, messageId: string): string =>
    `${messagesOf(conversationId)}/${messageId}`;

  async function startStream(
    userId: number,
    fields: Record<string, unknown> = {},
  ): Promise<{ conversationId: string; messageId: string; created: Record<string, any> }> {
    const conversation = await api.createConversation(userId, { initial_message: '관세율 질문' });
    const created = await api.append(userId, conversation.id, {
      role: 'assistant',
      status: 'streaming',
      agent_used: 'regulation_agent',
      ...fields,
    });
    return { conversationId: conversation.id, messageId: created.messages[0].id, created };
  }

  const patch = (userId: number, conversationId: string, messageId: string) =>
    t.http.patch(messageOf(conversationId, messageId)).set(api.auth(userId, 'agent'));

  it('streams a 4,000-character answer in 400 deltas: readers see it grow while streaming, the end is exact, search finds it once finished', async () => {
    const { conversationId, messageId, created } = await startStream(ALICE);
    expect(created.messages[0]).toMatchObject({ seq: 2, status: 'streaming', content: '' });
    expect(created.conversation).toMatchObject({ message_count: 2 });

    const pieces = answerPieces();
    let expected = '';
    for (const [index, piece] of pieces.entries()) {
      const delta = await patch(ALICE, conversationId, messageId).send({
        append: piece,
        offset: expected.length,
      });
      expect([index, delta.status]).toEqual([index, 200]);
      expected += piece;
      expect(delta.body).toMatchObject({ id: messageId, status: 'streaming', content: expected });
      if (index % 100 === 99) {
        const page = await t.http.get(messagesOf(conversationId)).set(api.auth(ALICE));
        expect(page.body.messages[1]).toMatchObject({ status: 'streaming', content: expected });
        const conversation = await t.http
          .get(`/api/v1/conversations/${conversationId}`)
          .set(api.auth(ALICE));
        expect(conversation.body.recent_messages.at(-1)).toMatchObject({
          status: 'streaming',
          content: expected,
        });
        // Never stored: the next delta changes it without invalidating anything.
        expect([page.headers['x-cache'], conversation.headers['x-cache']]).toEqual([
          'MISS',
          'MISS',
        ]);
      }
    }
    expect(expected).toHaveLength(4000);

    const search = () =>
      t.http.post('/api/v1/conversations/search').set(api.auth(ALICE)).send({ query: '관세399ab' });
    expect((await search()).body.total_count).toBe(0);

    const finished = await patch(ALICE, conversationId, messageId).send({ status: 'complete' });
    expect(finished.status).toBe(200);
    expect(finished.body).toMatchObject({ status: 'complete', content: expected });
    const page = await t.http.get(messagesOf(conversationId)).set(api.auth(ALICE));
    expect(page.body.messages[1]).toMatchObject({ status: 'complete', content: expected });
    expect(page.body.messages[0].status).toBe('complete');

    const found = await search();
    expect(found.body.total_count).toBe(1);
    expect(found.body.messages[0].id).toBe(messageId);
    const { rows } = await t.db.client.query(
      `SELECT (SELECT count(*)::int FROM message_deltas WHERE message_id = $1) AS deltas,
              (SELECT count(*)::int FROM message_streams WHERE message_id = $1) AS streams,
              (SELECT content FROM messages WHERE id = $1) AS content`,
      [messageId],
    );
    expect(rows[0]).toEqual({ deltas: 0, streams: 0, content: expected });
  }, 120_000);

  it('refuses a repeated delta with a stale offset with 409 and the content length, storing nothing twice', async () => {
    const { conversationId, messageId } = await startStream(ALICE, { content: '첫 ' });
    const first = await patch(ALICE, conversationId, messageId).send({ append: '조각', offset: 2 });
    expect(first.body.content).toBe('첫 조각');
    const retried = await patch(ALICE, conversationId, messageId).send({
      append: '조각',
      offset: 2,
    });
    expect(retried.status).toBe(409);
    expect(retried.body).toMatchObject({ statusCode: 409, content_length: 4 });
    expect(retried.body.message).toMatch(/offset 2 is not the content length 4/);
    const read = await t.http.get(messagesOf(conversationId)).set(api.auth(ALICE));
    expect(read.body.messages[1].content).toBe('첫 조각');
    const { rows } = await t.db.client.query(
      'SELECT start_offset, text FROM message_deltas WHERE message_id = $1 ORDER BY start_offset',
      [messageId],
    );
    expect(rows).toEqual([
      { start_offset: 0, text: '첫 ' },
      { start_offset: 2, text: '조각' },
    ]);
    // Without an offset a delta is appended wherever the text ends.
    const unchecked = await patch(ALICE, conversationId, messageId).send({ append: '!' });
    expect(unchecked.body.content).toBe('첫 조각!');
  });

  it('lets exactly one of two deltas racing with the same offset in (the stream row is locked)', async () => {
    const { conversationId, messageId } = await startStream(ALICE);
    for (let round = 0; round < 10; round += 1) {
      const answers = await Promise.all(
        ['a', 'b'].map((text) =>
          patch(ALICE, conversationId, messageId).send({ append: text, offset: round }),
        ),
      );
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    }
    const read = await t.http.get(messagesOf(conversationId)).set(api.auth(ALICE));
    expect(read.body.messages[1].content).toHaveLength(10);
  });

  it('replays a delta sent again with the same Idempotency-Key, storing it once', async () => {
    const { conversationId, messageId } = await startStream(ALICE);
    const send = () =>
      patch(ALICE, conversationId, messageId)
        .set('Idempotency-Key', `delta-${messageId}`)
        .send({ append: '한 번', offset: 0 });
    const first = await send();
    const again = await send();
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const read = await t.http.get(messagesOf(conversationId)).set(api.auth(ALICE));
    expect(read.body.messages[1].content).toBe('한 번');
  });

  it('finishes with the fields sent: content replaces the text, failed is kept, last_agent_used moves', async () => {
    const { conversationId, messageId } = await startStream(ALICE);
    await patch(ALICE, conversationId, messageId).send({ append: '초안', offset: 0 });
    const references = [{ source: 'law', title: '관세법', similarity: 0.9, metadata: {} }];
    const finished = await patch(ALICE, conversationId, messageId).send({
      status: 'failed',
      content: '답변 생성 실패',
      agent_used: 'consultation_agent',
      references,
      routing_info: { selected_agent: 'consultation_agent' },
      metadata: { reason: 'timeout' },
    });
    expect(finished.status).toBe(200);
    expect(finished.body).toMatchObject({
      status: 'failed',
      content: '답변 생성 실패',
      agent_used: 'consultation_agent',
      references,
      routing_info: { selected_agent: 'consultation_agent' },
      metadata: { reason: 'timeout' },
    });
    const conversation = await t.http
      .get(`/api/v1/conversations/${conversationId}`)
      .set(api.auth(ALICE));
    expect(conversation.body.last_agent_used).toBe('consultation_agent');
    expect(conversation.body.recent_messages.at(-1).status).toBe('failed');
  });

  it('answers 409 to both kinds of write on a message that is not streaming', async () => {
    const conversation = await api.createConversation(ALICE, { initial_message: '완료된 질문' });
    const messageId = conversation.messages[0].id;
    for (const body of [{ append: 'x', offset: 0 }, { status: 'complete' }]) {
      const response = await patch(ALICE, conversation.id, messageId).send(body);
      expect(response.status).toBe(409);
      expect(response.body.message).toMatch(/the message is complete, not streaming/);
    }
    const { conversationId, messageId: streamed } = await startStream(ALICE);
    await patch(ALICE, conversationId, streamed).send({ status: 'complete' });
    const late = await patch(ALICE, conversationId, streamed).send({ append: 'x' });
    expect(late.status).toBe(409);
  });

  it("answers 404 alike for a malformed, unknown or another user's message, and for a deleted conversation", async () => {
    const { conversationId, messageId } = await startStream(ALICE);
    const bobs = await api.createConversation(BOB);
    const answers = await Promise.all([
      patch(ALICE, conversationId, 'msg_!!').send({ append: 'x' }),
      patch(ALICE, conversationId, 'msg_0000000000000000000000000000dead').send({ append: 'x' }),
      patch(BOB, conversationId, messageId).send({ append: 'x' }),
      patch(BOB, bobs.id, messageId).send({ append: 'x' }),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'message not found',
      });
    }
    await t.http.delete(`/api/v1/conversations/${conversationId}`).set(api.auth(ALICE));
    const gone = await patch(ALICE, conversationId, messageId).send({ append: 'x' });
    expect(gone.status).toBe(404);
  });

  it('needs the agent scope, and says which field is wrong', async () => {
    const { conversationId, messageId } = await startStream(ALICE);
    const asUser = await t.http
      .patch(messageOf(conversationId, messageId))
      .set(api.auth(ALICE))
      .send({ append: 'x' });
    expect(asUser.status).toBe(403);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ append: 'x', status: 'complete' }, /append cannot be combined with status/],
      [{}, /send append \(a delta of a streaming message\) or status/],
      [{ offset: 0, status: 'complete' }, /offset goes with append/],
      [{ append: '' }, /append must be 1 to 32000 characters long/],
      [{ append: 'x', offset: -1 }, /offset must not be less than 0/],
      [{ status: 'streaming' }, /status must be one of the following values: complete, failed/],
      [{ append: '\ud83d' }, /append must not contain NUL characters or unpaired surrogates/],
    ];
    for (const [body, message] of cases) {
      const response = await patch(ALICE, conversationId, messageId).send(body);
      expect([body, response.status]).toEqual([body, 400]);
      expect([body, JSON.stringify(response.body.message)]).toEqual([
        body,
        expect.stringMatching(message),
      ]);
    }
    const userStream = await t.http
      .post(messagesOf(conversationId))
      .set(api.auth(ALICE, 'agent'))
      .send({ role: 'user', status: 'streaming' });
    expect(userStream.status).toBe(400);
    expect(JSON.stringify(userStream.body.message)).toMatch(
      /status streaming is for assistant messages only/,
    );
  });

  it('keeps the whole content within the content limit', async () => {
    const { conversationId, messageId } = await startStream(ALICE, { content: 'x'.repeat(31_990) });
    const over = await patch(ALICE, conversationId, messageId).send({ append: 'y'.repeat(11) });
    expect(over.status).toBe(400);
    expect(over.body.message).toMatch(/longer than 32000 characters/);
    const fits = await patch(ALICE, conversationId, messageId).send({ append: 'y'.repeat(10) });
    expect(fits.status).toBe(200);
    expect(fits.body.content).toHaveLength(32_000);
  });

  it("appends deltas without invalidating the user's other cached reads; finishing does", async () => {
    const { conversationId, messageId } = await startStream(ALICE);
    const other = await api.createConversation(ALICE, { initial_message: '다른 대화' });
    const reads = ['/api/v1/conversations', `/api/v1/conversations/${other.id}`];
    const cacheOf = async (): Promise<string[]> => {
      const answers = await Promise.all(reads.map((path) => t.http.get(path).set(api.auth(ALICE))));
      return answers.map((answer) => String(answer.headers['x-cache']));
    };
    await cacheOf();
    expect(await cacheOf()).toEqual(['HIT', 'HIT']);
    for (let offset = 0; offset < 5; offset += 1) {
      await patch(ALICE, conversationId, messageId).send({ append: 'z', offset });
    }
    expect(await cacheOf()).toEqual(['HIT', 'HIT']);
    await patch(ALICE, conversationId, messageId).send({ status: 'complete' });
    expect(await cacheOf()).toEqual(['MISS', 'MISS']);
  });
});

describe('a stream left alone', () => {
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestApp({ STREAM_STALE_SECONDS: '1' });
    api = await ApiClient.forUsers(t.http, [ALICE]);
  });

  afterAll(async () => {
    await t.close();
  });

  it('reads incomplete once the window has passed, text kept, takes no more writes, and is finalised by the sweep: searchable, counted', async () => {
    const before = await metricValue(t.http, 'chat_message_streams_incomplete_total');
    const conversation = await api.createConversation(ALICE, { initial_message: '질문' });
    const created = await api.append(ALICE, conversation.id, {
      role: 'assistant',
      status: 'streaming',
      content: '중단된 ',
    });
    const messageId = created.messages[0].id;
    const path = `/api/v1/conversations/${conversation.id}/messages`;
    const delta = await t.http
      .patch(`${path}/${messageId}`)
      .set(api.auth(ALICE, 'agent'))
      .send({ append: '답변입니다', offset: 4 });
    expect(delta.body.status).toBe('streaming');
    const lastWrite = Date.now();

    let read = await t.http.get(path).set(api.auth(ALICE));
    while (read.body.messages[1].status === 'streaming') {
      await new Promise((resolve) => setTimeout(resolve, 50));
      read = await t.http.get(path).set(api.auth(ALICE));
    }
    // The window is 1 s from the last write: a read shows it at once, sweep or not.
    expect(Date.now() - lastWrite).toBeLessThan(1_500);
    expect(read.body.messages[1]).toMatchObject({
      status: 'incomplete',
      content: '중단된 답변입니다',
    });
    for (const body of [{ append: '늦은' }, { status: 'complete' }]) {
      const late = await t.http
        .patch(`${path}/${messageId}`)
        .set(api.auth(ALICE, 'agent'))
        .send(body);
      expect(late.status).toBe(409);
      expect(late.body.message).toMatch(/the message is incomplete, not streaming/);
    }

    const deadline = Date.now() + 10_000;
    let stored: Record<string, unknown> = {};
    while (Date.now() < deadline) {
      const { rows } = await t.db.client.query(
        `SELECT m.status, m.content, cardinality(m.search_terms) > 0 AS indexed,
                (SELECT count(*)::int FROM message_deltas d WHERE d.message_id = m.id) AS deltas,
                (SELECT count(*)::int FROM message_streams s WHERE s.message_id = m.id) AS streams
         FROM messages m WHERE m.id = $1`,
        [messageId],
      );
      stored = rows[0];
      if (stored.status === 'incomplete') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stored).toEqual({
      status: 'incomplete',
      content: '중단된 답변입니다',
      indexed: true,
      deltas: 0,
      streams: 0,
    });
    expect(await metricValue(t.http, 'chat_message_streams_incomplete_total')).toBe(before + 1);
    const again = await t.http.get(path).set(api.auth(ALICE));
    expect(again.body.messages[1]).toEqual(read.body.messages[1]);
    const found = await t.http
      .post('/api/v1/conversations/search')
      .set(api.auth(ALICE))
      .send({ query: '중단된' });
    expect(found.body.messages.map((hit: { id: string }) => hit.id)).toEqual([messageId]);
  }, 30_000);
});
