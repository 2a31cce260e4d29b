import { ApiClient } from './support/api-client';
import { signToken } from './support/tokens';
import { startTestApp, type TestApp } from './support/test-app';

const ALICE = 301;
const BOB = 302;

type Call = {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: (id: string) => string;
  body?: object;
  /** Aimed at the owner's conversation in the trash (the one route that finds it there). */
  trashed?: boolean;
};

// Every route that takes a conversation id.
const ROUTES: Record<string, Call> = {
  'GET /:id': { method: 'get', path: (id) => `/api/v1/conversations/${id}` },
  'PATCH /:id': {
    method: 'patch',
    path: (id) => `/api/v1/conversations/${id}`,
    body: { title: 'stolen' },
  },
  'PUT /:id': {
    method: 'put',
    path: (id) => `/api/v1/conversations/${id}`,
    body: { title: 'stolen' },
  },
  'DELETE /:id': { method: 'delete', path: (id) => `/api/v1/conversations/${id}` },
  'GET /:id/messages': { method: 'get', path: (id) => `/api/v1/conversations/${id}/messages` },
  'POST /:id/messages': {
    method: 'post',
    path: (id) => `/api/v1/conversations/${id}/messages`,
    body: { role: 'user', content: 'x' },
  },
  'PUT /:id/head': {
    method: 'put',
    path: (id) => `/api/v1/conversations/${id}/head`,
    body: { message_id: 'msg_0000000000000000000000000000beef' },
  },
  'GET /:id/stats': { method: 'get', path: (id) => `/api/v1/conversations/${id}/stats` },
  'GET /:id/export': { method: 'get', path: (id) => `/api/v1/conversations/${id}/export` },
  'PATCH /:id (archive, pin, tags)': {
    method: 'patch',
    path: (id) => `/api/v1/conversations/${id}`,
    body: { is_archived: true, is_pinned: true, tags: ['stolen'] },
  },
  'DELETE /:id?permanent=true': {
    method: 'delete',
    path: (id) => `/api/v1/conversations/${id}?permanent=true`,
  },
  'DELETE /:id?permanent=true (in the trash)': {
    method: 'delete',
    path: (id) => `/api/v1/conversations/${id}?permanent=true`,
    trashed: true,
  },
  'POST /:id/restore': {
    method: 'post',
    path: (id) => `/api/v1/conversations/${id}/restore`,
    trashed: true,
  },
};

const BULK_ACTIONS = [
  { action: 'archive' },
  { action: 'unarchive' },
  { action: 'pin' },
  { action: 'unpin' },
  { action: 'add_tags', tags: ['stolen'] },
  { action: 'remove_tags', tags: ['mine'] },
  { action: 'delete' },
  { action: 'restore' },
  { action: 'purge' },
];

describe('object-level authorization', () => {
  let t: TestApp;
  let api: ApiClient;
  let alicesId: string;
  let alicesTrashedId: string;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [ALICE, BOB]);
    alicesId = (
      await api.createConversation(ALICE, { title: 'private', initial_message: '내 수입 내역' })
    ).id;
    await t.http
      .patch(`/api/v1/conversations/${alicesId}`)
      .set(api.auth(ALICE))
      .send({ tags: ['mine'] })
      .expect(200);
    alicesTrashedId = (await api.createConversation(ALICE, { title: 'trashed' })).id;
    await t.http
      .delete(`/api/v1/conversations/${alicesTrashedId}`)
      .set(api.auth(ALICE))
      .expect(204);
    // Cached or not: the owner's reads are in the cache before anyone else tries.
    for (const path of [
      `/api/v1/conversations/${alicesId}`,
      `/api/v1/conversations/${alicesId}/messages`,
    ]) {
      await t.http.get(path).set(api.auth(ALICE)).expect(200);
      expect((await t.http.get(path).set(api.auth(ALICE))).headers['x-cache']).toBe('HIT');
    }
  });

  afterAll(async () => {
    await t.close();
  });

  async function call(
    route: Call,
    id: string,
    userId: number,
  ): Promise<{ status: number; body: unknown }> {
    const request = t.http[route.method](route.path(id)).set(api.auth(userId, 'agent'));
    const response = await (route.body ? request.send(route.body) : request);
    return { status: response.status, body: response.body };
  }

  it.each(Object.keys(ROUTES))(
    "%s with another user's id answers exactly as an unknown id: 404, same body",
    async (name) => {
      const route = ROUTES[name];
      const unknown = await call(route, 'conv_0000000000000000000000000000dead', BOB);
      const foreign = await call(route, route.trashed ? alicesTrashedId : alicesId, BOB);
      expect(unknown.status).toBe(404);
      expect(foreign).toEqual(unknown);
    },
  );

  it.each(BULK_ACTIONS)(
    "bulk $action with another user's ids answers 404 for each, like unknown ids",
    async (body) => {
      const response = await t.http
        .post('/api/v1/conversations/bulk')
        .set(api.auth(BOB))
        .send({
          ...body,
          ids: [alicesId, alicesTrashedId, 'conv_0000000000000000000000000000dead'],
        });
      expect(response.status).toBe(200);
      expect(response.body.results.map((result: { status: number }) => result.status)).toEqual([
        404, 404, 404,
      ]);
      expect(response.body).toMatchObject({ succeeded: 0, failed: 3 });
    },
  );

  it("leaves the owner's conversation untouched after all those attempts", async () => {
    const response = await t.http.get(`/api/v1/conversations/${alicesId}`).set(api.auth(ALICE));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ title: 'private', message_count: 1, is_active: true });
    expect(response.body).toMatchObject({ is_archived: false, is_pinned: false, tags: ['mine'] });
    const trash = await t.http.get('/api/v1/conversations?trashed=true').set(api.auth(ALICE));
    expect(trash.body.conversations.map((c: { id: string }) => c.id)).toEqual([alicesTrashedId]);
  });

  it("never lists another user's trash or tags, nor exports their data", async () => {
    const trash = await t.http.get('/api/v1/conversations?trashed=true').set(api.auth(BOB));
    expect(trash.body).toMatchObject({ conversations: [], total_count: 0 });
    expect((await t.http.get('/api/v1/tags').set(api.auth(BOB))).body).toEqual({ tags: [] });
    const exported = await t.http.get('/api/v1/me/export').set(api.auth(BOB));
    expect(exported.status).toBe(200);
    expect(exported.text).not.toContain(alicesId);
    expect(exported.text.trim().split('\n')).toHaveLength(1);
  });

  it('answers a malformed id like an unknown one', async () => {
    for (const id of ['abc', 'conv_', 'conv_%00', `conv_${'a'.repeat(60)}`]) {
      const response = await t.http
        .get(`/api/v1/conversations/${encodeURIComponent(id)}`)
        .set(api.auth(ALICE));
      expect(response.status).toBe(404);
      expect(response.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'conversation not found',
      });
    }
  });

  it("never lists another user's conversations", async () => {
    const response = await t.http.get('/api/v1/conversations').set(api.auth(BOB));
    expect(response.body.conversations.map((c: { id: string }) => c.id)).not.toContain(alicesId);
  });

  it("answers 403 for a user_id query parameter naming another user, and accepts the caller's own", async () => {
    const foreign = await t.http.get(`/api/v1/conversations?user_id=${ALICE}`).set(api.auth(BOB));
    expect(foreign.status).toBe(403);
    const own = await t.http
      .get(`/api/v1/conversations/${alicesId}?user_id=${ALICE}`)
      .set(api.auth(ALICE));
    expect(own.status).toBe(200);
    const malformed = await t.http.get('/api/v1/conversations?user_id=abc').set(api.auth(ALICE));
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toContain('user_id');
  });

  it.each([
    ['no header', undefined],
    ['a non-bearer scheme', 'Basic YWxpY2U6cGFzcw=='],
    ['garbage', 'Bearer not.a.token'],
  ])('answers 401 for %s', async (_name, header) => {
    const request = t.http.get('/api/v1/conversations');
    const response = await (header ? request.set('Authorization', header) : request);
    expect(response.status).toBe(401);
  });

  it('answers 401 for an expired token and one signed with another key', async () => {
    const expired = await signToken(ALICE, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const forged = await signToken(ALICE, {
      secret: 'another-secret-of-the-same-length-as-the-real-one',
    });
    for (const token of [expired, forged]) {
      const response = await t.http
        .get('/api/v1/conversations')
        .set('Authorization', `Bearer ${token}`);
      expect(response.status).toBe(401);
    }
  });
});
