import { ApiClient } from './support/api-client';
import { storedMessages } from './support/stored';
import { startTestApp, type TestApp } from './support/test-app';

const ALICE = 401;
const BOB = 402;

describe('Idempotency-Key', () => {
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [ALICE, BOB]);
  });

  afterAll(async () => {
    await t.close();
  });

  const countMessages = async (conversationId: string): Promise<number> =>
    (await storedMessages(t.db, conversationId)).rows;

  it('replays the first answer of an append and writes nothing the second time', async () => {
    const conversation = await api.createConversation(ALICE);
    const send = () =>
      t.http
        .post(`/api/v1/conversations/${conversation.id}/messages`)
        .set(api.auth(ALICE))
        .set('Idempotency-Key', 'append-1')
        .send({ role: 'user', content: '한 번만 저장' });
    const first = await send();
    const retry = await send();
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(await countMessages(conversation.id)).toBe(1);
  });

  it('replays a create: one conversation for two identical requests, keys in any order', async () => {
    const key = 'create-1';
    const first = await t.http
      .post('/api/v1/conversations')
      .set(api.auth(ALICE))
      .set('Idempotency-Key', key)
      .send({ title: 't', metadata: { a: 1, b: 2 } });
    const retry = await t.http
      .post('/api/v1/conversations')
      .set(api.auth(ALICE))
      .set('Idempotency-Key', key)
      .send({ metadata: { b: 2, a: 1 }, title: 't' });
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(first.body.id);
    const { rows } = await t.db.client.query(
      `SELECT count(*)::int AS n FROM conversations WHERE user_id = $1 AND title = 't'`,
      [ALICE],
    );
    expect(rows[0].n).toBe(1);
  });

  it('answers 422 for the same key with a different body or path', async () => {
    const conversation = await api.createConversation(ALICE);
    const other = await api.createConversation(ALICE);
    const key = 'append-2';
    await t.http
      .post(`/api/v1/conversations/${conversation.id}/messages`)
      .set(api.auth(ALICE))
      .set('Idempotency-Key', key)
      .send({ role: 'user', content: 'a' });
    const otherBody = await t.http
      .post(`/api/v1/conversations/${conversation.id}/messages`)
      .set(api.auth(ALICE))
      .set('Idempotency-Key', key)
      .send({ role: 'user', content: 'b' });
    expect(otherBody.status).toBe(422);
    const otherPath = await t.http
      .post(`/api/v1/conversations/${other.id}/messages`)
      .set(api.auth(ALICE))
      .set('Idempotency-Key', key)
      .send({ role: 'user', content: 'a' });
    expect(otherPath.status).toBe(422);
    expect(await countMessages(conversation.id)).toBe(1);
    expect(await countMessages(other.id)).toBe(0);
  });

  it('answers 409 to a duplicate that arrives while the first is still running', async () => {
    const conversation = await api.createConversation(ALICE);
    // Hold the conversation's row lock so the first request waits inside its transaction.
    const blocker = t.db.client;
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE', [conversation.id]);
    const send = () =>
      t.http
        .post(`/api/v1/conversations/${conversation.id}/messages`)
        .set(api.auth(ALICE))
        .set('Idempotency-Key', 'in-flight')
        .send({ role: 'user', content: 'x' });
    const first = send().then((response) => response);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const duplicate = await send();
    await blocker.query('COMMIT');
    expect(duplicate.status).toBe(409);
    expect((await first).status).toBe(201);
    expect(await countMessages(conversation.id)).toBe(1);
  });

  it("scopes keys to the user: another user's identical key is a new request", async () => {
    const alices = await api.createConversation(ALICE);
    const bobs = await api.createConversation(BOB);
    const key = 'shared-key';
    const a = await t.http
      .post(`/api/v1/conversations/${alices.id}/messages`)
      .set(api.auth(ALICE))
      .set('Idempotency-Key', key)
      .send({ role: 'user', content: 'x' });
    const b = await t.http
      .post(`/api/v1/conversations/${bobs.id}/messages`)
      .set(api.auth(BOB))
      .set('Idempotency-Key', key)
      .send({ role: 'user', content: 'x' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(await countMessages(bobs.id)).toBe(1);
  });

  it('forgets keys after 24 hours', async () => {
    const conversation = await api.createConversation(ALICE);
    const send = () =>
      t.http
        .post(`/api/v1/conversations/${conversation.id}/messages`)
        .set(api.auth(ALICE))
        .set('Idempotency-Key', 'old-key')
        .send({ role: 'user', content: 'x' });
    await send();
    await t.db.client.query(
      `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old-key'`,
    );
    const later = await send();
    expect(later.status).toBe(201);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(await countMessages(conversation.id)).toBe(2);
  });

  it('refuses a key that is empty, too long or not visible ASCII', async () => {
    const conversation = await api.createConversation(ALICE);
    for (const key of ['', 'k'.repeat(256), 'with space', '키']) {
      const response = await t.http
        .post(`/api/v1/conversations/${conversation.id}/messages`)
        .set(api.auth(ALICE))
        .set('Idempotency-Key', encodeURI(key) === key ? key : Buffer.from(key).toString('latin1'))
        .send({ role: 'user', content: 'x' });
      expect([key, response.status]).toEqual([key, 400]);
      expect(response.body.message).toContain('Idempotency-Key');
    }
    const edge = await t.http
      .post(`/api/v1/conversations/${conversation.id}/messages`)
      .set(api.auth(ALICE))
      .set('Idempotency-Key', 'k'.repeat(255))
      .send({ role: 'user', content: 'x' });
    expect(edge.status).toBe(201);
  });
});
