import { ApiClient } from './support/api-client';
import { startTestApp, type TestApp } from './support/test-app';

const ALICE = 501;

/** A JSON object of exactly `bytes` bytes when serialized. */
function objectOfSize(bytes: number): Record<string, string> {
  const overhead = JSON.stringify({ k: '' }).length;
  return { k: 'x'.repeat(bytes - overhead) };
}

describe('limits of the contract, at the edge and one past it', () => {
  let t: TestApp;
  let api: ApiClient;
  let conversationId: string;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [ALICE]);
    conversationId = (await api.createConversation(ALICE)).id;
  });

  afterAll(async () => {
    await t.close();
  });

  const append = (body: object) =>
    t.http
      .post(`/api/v1/conversations/${conversationId}/messages`)
      .set(api.auth(ALICE, 'agent'))
      .send(body);

  it.each([
    ['content', (n: number) => ({ role: 'user', content: 'a'.repeat(n) }), 32_000],
    ['content', (n: number) => ({ role: 'user', content: '😀'.repeat(n / 2) }), 32_000],
    [
      'agent_used',
      (n: number) => ({ role: 'assistant', content: 'x', agent_used: 'a'.repeat(n) }),
      50,
    ],
    [
      'references',
      (n: number) => ({
        role: 'assistant',
        content: 'x',
        references: Array.from({ length: n }, () => ({ source: 's' })),
      }),
      50,
    ],
    [
      'routing_info',
      (n: number) => ({ role: 'assistant', content: 'x', routing_info: objectOfSize(n) }),
      16 * 1024,
    ],
    [
      'metadata',
      (n: number) => ({ role: 'user', content: 'x', metadata: objectOfSize(n) }),
      16 * 1024,
    ],
  ])(
    '%s: %s passes at its limit and fails one past it with 400 naming it',
    async (field, build, limit) => {
      const step = field === 'content' && JSON.stringify(build(2)).includes('😀') ? 2 : 1;
      expect((await append(build(limit))).status).toBe(201);
      const over = await append(build(limit + step));
      expect(over.status).toBe(400);
      expect(JSON.stringify(over.body.message)).toContain(field);
    },
  );

  it('counts content length as JavaScript does (UTF-16 code units)', async () => {
    // 16,001 emoji are 32,002 code units: over the limit although 16,001 characters to a person.
    const response = await append({ role: 'user', content: '😀'.repeat(16_001) });
    expect(response.status).toBe(400);
  });

  it('refuses empty content, NUL characters and unpaired surrogates with 400', async () => {
    for (const content of ['', 'a\u0000b', 'broken \ud800 pair']) {
      const response = await append({ role: 'user', content });
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.message)).toContain('content');
    }
    const nulInJson = await append({ role: 'user', content: 'x', metadata: { a: 'b\u0000' } });
    expect(nulInJson.status).toBe(400);
    expect(JSON.stringify(nulInJson.body.message)).toContain('metadata');
  });

  it('refuses routing_info that is not an object and references that are not objects', async () => {
    for (const body of [
      { role: 'assistant', content: 'x', routing_info: [1, 2] },
      { role: 'assistant', content: 'x', routing_info: 'text' },
      { role: 'assistant', content: 'x', references: [1] },
      { role: 'assistant', content: 'x', references: {} },
    ]) {
      const response = await append(body);
      expect(response.status).toBe(400);
    }
  });

  it('title: 200 characters pass, 201 fail; an empty title fails', async () => {
    const create = (title: string) =>
      t.http.post('/api/v1/conversations').set(api.auth(ALICE)).send({ title });
    expect((await create('t'.repeat(200))).status).toBe(201);
    for (const title of ['t'.repeat(201), '']) {
      const response = await create(title);
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.message)).toContain('title');
    }
  });

  it('answers 413 for a body over 1 MB, and stores nothing', async () => {
    const before = (await t.db.client.query('SELECT count(*)::int AS n FROM conversations')).rows[0]
      .n;
    const response = await t.http
      .post('/api/v1/conversations')
      .set(api.auth(ALICE))
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ title: 'x', metadata: { blob: 'x'.repeat(1024 * 1024) } }));
    expect(response.status).toBe(413);
    const after = (await t.db.client.query('SELECT count(*)::int AS n FROM conversations')).rows[0]
      .n;
    expect(after).toBe(before);
  });

  it('answers 400 for malformed JSON', async () => {
    const response = await t.http
      .post('/api/v1/conversations')
      .set(api.auth(ALICE))
      .set('Content-Type', 'application/json')
      .send('{"title": ');
    expect(response.status).toBe(400);
  });
});
