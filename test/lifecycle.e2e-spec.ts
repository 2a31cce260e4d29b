import { ApiClient } from './support/api-client';
import { startTestApp, type TestApp } from './support/test-app';
import { testEnvironment } from './support/test-environment';

const ALICE = 1601;
const BOB = 1602;
const CAROL = 1603;
const DAN = 1604;
const UNKNOWN = 'conv_0000000000000000000000000000dead';

type Summary = { id: string; title: string; tags: string[]; deleted_at?: string };

describe('conversation lifecycle: archive, pin, tags, trash', () => {
  let t: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestApp();
    api = await ApiClient.forUsers(t.http, [ALICE, BOB, CAROL, DAN]);
  });

  afterAll(async () => {
    await t.close();
  });

  const patch = (userId: number, id: string, body: object) =>
    t.http.patch(`/api/v1/conversations/${id}`).set(api.auth(userId)).send(body);
  const list = (userId: number, query = '') =>
    t.http.get(`/api/v1/conversations${query ? `?${query}` : ''}`).set(api.auth(userId));
  const ids = (response: { body: { conversations: Summary[] } }): string[] =>
    response.body.conversations.map((c) => c.id);
  const search = (userId: number, query: string) =>
    t.http.post('/api/v1/conversations/search').set(api.auth(userId)).send({ query });

  describe('PATCH with is_archived, is_pinned and tags', () => {
    it('answers the full conversation with the new fields, trimmed and deduplicated tags in order', async () => {
      const conversation = await api.createConversation(ALICE, { title: 'organise me' });
      expect(conversation).toMatchObject({ is_archived: false, is_pinned: false, tags: [] });
      const response = await patch(ALICE, conversation.id, {
        is_archived: true,
        is_pinned: true,
        tags: ['  FTA ', '관세', 'fta', 'Import'],
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        id: conversation.id,
        title: 'organise me',
        is_archived: true,
        is_pinned: true,
        tags: ['FTA', '관세', 'Import'],
        metadata: {},
      });
      expect(response.body).not.toHaveProperty('deleted_at');
      const stored = await t.db.client.query(
        'SELECT tags, tag_keys, is_archived, is_pinned FROM conversations WHERE id = $1',
        [conversation.id],
      );
      expect(stored.rows[0]).toEqual({
        tags: ['FTA', '관세', 'Import'],
        tag_keys: ['fta', '관세', 'import'],
        is_archived: true,
        is_pinned: true,
      });
    });

    it('does not move updated_at for archive, pin and tags, and does for a new title', async () => {
      const conversation = await api.createConversation(ALICE, { title: 'order' });
      const organised = await patch(ALICE, conversation.id, { is_pinned: true, tags: ['x'] });
      expect(organised.body.updated_at).toBe(conversation.updated_at);
      const renamed = await patch(ALICE, conversation.id, { title: 'order 2' });
      expect(Date.parse(renamed.body.updated_at)).toBeGreaterThan(
        Date.parse(conversation.updated_at),
      );
      expect(renamed.body).toMatchObject({ is_pinned: true, tags: ['x'] });
    });

    it('replaces the tags with an empty list, and accepts 20 tags of 50 characters', async () => {
      const conversation = await api.createConversation(ALICE);
      const twenty = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(50, 't'));
      expect((await patch(ALICE, conversation.id, { tags: twenty })).body.tags).toEqual(twenty);
      expect((await patch(ALICE, conversation.id, { tags: [] })).body.tags).toEqual([]);
    });

    it.each([
      ['21 tags', { tags: Array(21).fill('a') }, 'tags'],
      ['a tag of 51 characters', { tags: ['x'.repeat(51)] }, 'tags.0'],
      ['a blank tag', { tags: ['ok', '   '] }, 'tags.1'],
      ['a control character', { tags: ['a\nb'] }, 'tags.0'],
      ['tags not an array', { tags: 'FTA' }, 'tags'],
      ['a tag not a string', { tags: [7] }, 'tags.0'],
      ['is_archived not a boolean', { is_archived: 'yes' }, 'is_archived'],
      ['is_pinned not a boolean', { is_pinned: 1 }, 'is_pinned'],
      ['deleted_at (not writable)', { deleted_at: null }, 'deleted_at'],
      ['tag_keys (not writable)', { tag_keys: ['a'] }, 'tag_keys'],
    ])('answers 400 naming the field for %s', async (_label, body, field) => {
      const conversation = await api.createConversation(ALICE);
      const response = await patch(ALICE, conversation.id, body);
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.message)).toContain(field);
    });

    it('answers 400 for a body with no known field, naming them', async () => {
      const conversation = await api.createConversation(ALICE);
      const response = await patch(ALICE, conversation.id, {});
      expect(response.status).toBe(400);
      expect(response.body.message).toBe(
        'send at least one of title, metadata, is_archived, is_pinned and tags',
      );
    });

    it('keeps an archived conversation readable, writable and searchable; appending does not unarchive', async () => {
      const conversation = await api.createConversation(BOB, { title: 'archived but alive' });
      await patch(BOB, conversation.id, { is_archived: true }).expect(200);
      await api.append(BOB, conversation.id, { role: 'user', content: '보관된 대화 원산지' });
      const read = await t.http.get(`/api/v1/conversations/${conversation.id}`).set(api.auth(BOB));
      expect(read.body).toMatchObject({ is_archived: true, message_count: 1 });
      const found = await search(BOB, '원산지');
      expect(
        found.body.messages.map((m: { conversation_id: string }) => m.conversation_id),
      ).toContain(conversation.id);
    });
  });

  describe('GET / filters', () => {
    // Carol: six conversations, created oldest first.
    const made: Record<string, string> = {};

    beforeAll(async () => {
      for (const name of ['plain1', 'archived1', 'pinned1', 'tagged1', 'both1', 'trashed1']) {
        made[name] = (await api.createConversation(CAROL, { title: name })).id;
      }
      await patch(CAROL, made.archived1, { is_archived: true }).expect(200);
      await patch(CAROL, made.pinned1, { is_pinned: true }).expect(200);
      await patch(CAROL, made.tagged1, { tags: ['Customs', '관세'] }).expect(200);
      await patch(CAROL, made.both1, {
        is_archived: true,
        is_pinned: true,
        tags: ['CUSTOMS'],
      }).expect(200);
      await patch(CAROL, made.trashed1, { tags: ['customs'], is_archived: true }).expect(200);
      await t.http
        .delete(`/api/v1/conversations/${made.trashed1}`)
        .set(api.auth(CAROL))
        .expect(204);
    });

    it('leaves archived and trashed conversations out of the default list, newest updated first', async () => {
      const response = await list(CAROL);
      expect(ids(response)).toEqual([made.tagged1, made.pinned1, made.plain1]);
      expect(response.body.total_count).toBe(3);
      const explicit = await list(CAROL, 'archived=false');
      expect(ids(explicit)).toEqual(ids(response));
      expect(explicit.body.total_count).toBe(3);
    });

    it('lists only archived ones with archived=true, and only pinned ones with pinned=true', async () => {
      const archived = await list(CAROL, 'archived=true');
      expect(ids(archived)).toEqual([made.both1, made.archived1]);
      expect(archived.body.total_count).toBe(2);
      const pinned = await list(CAROL, 'pinned=true');
      expect(ids(pinned)).toEqual([made.pinned1]);
      const pinnedArchived = await list(CAROL, 'pinned=true&archived=true');
      expect(ids(pinnedArchived)).toEqual([made.both1]);
      const unpinned = await list(CAROL, 'pinned=false');
      expect(ids(unpinned)).toEqual([made.tagged1, made.plain1]);
    });

    it('filters by tag case-insensitively, combined with the other filters', async () => {
      const tagged = await list(CAROL, `tag=${encodeURIComponent('  cUsToMs ')}`);
      expect(ids(tagged)).toEqual([made.tagged1]);
      const archivedTagged = await list(CAROL, 'tag=customs&archived=true');
      expect(ids(archivedTagged)).toEqual([made.both1]);
      expect(ids(await list(CAROL, `tag=${encodeURIComponent('관세')}`))).toEqual([made.tagged1]);
      const none = await list(CAROL, 'tag=absent');
      expect(none.body).toMatchObject({ conversations: [], total_count: 0, has_next: false });
    });

    it('lists the whole trash with trashed=true, archived or not, with deleted_at', async () => {
      const trash = await list(CAROL, 'trashed=true');
      expect(trash.status).toBe(200);
      expect(ids(trash)).toEqual([made.trashed1]);
      expect(trash.body.total_count).toBe(1);
      expect(trash.body.conversations[0]).toMatchObject({
        is_active: false,
        is_archived: true,
        tags: ['customs'],
      });
      expect(Date.parse(trash.body.conversations[0].deleted_at)).not.toBeNaN();
      expect(ids(await list(CAROL, 'trashed=true&archived=false'))).toEqual([]);
      expect(ids(await list(CAROL, 'trashed=true&tag=CUSTOMS'))).toEqual([made.trashed1]);
    });

    it('pages the filtered lists: total_count, has_next and cursors follow the filter', async () => {
      const first = await list(CAROL, 'archived=true&limit=1');
      expect(first.body).toMatchObject({ total_count: 2, has_next: true, page: 1 });
      const second = await list(CAROL, `archived=true&limit=1&cursor=${first.body.next_cursor}`);
      expect(ids(second)).toEqual([made.archived1]);
      expect(second.body).toMatchObject({ has_next: false, next_cursor: null, page: null });
      const byPage = await list(CAROL, 'archived=true&limit=1&page=2');
      expect(ids(byPage)).toEqual([made.archived1]);
    });

    it('walks the trash by cursor in deleted_at order, newest first', async () => {
      const dan: string[] = [];
      for (let i = 0; i < 5; i += 1)
        dan.push((await api.createConversation(DAN, { title: `d${i}` })).id);
      // Deleted in another order than created: the trash follows deleted_at.
      for (const id of [dan[2], dan[0], dan[4], dan[1], dan[3]]) {
        await t.http.delete(`/api/v1/conversations/${id}`).set(api.auth(DAN)).expect(204);
      }
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const response = await list(
          DAN,
          `trashed=true&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(response.body.total_count).toBe(5);
        walked.push(...ids(response));
        cursor = response.body.next_cursor;
      } while (cursor);
      expect(walked).toEqual([dan[3], dan[1], dan[4], dan[0], dan[2]]);
    });

    it.each([
      ['archived=yes', 'archived'],
      ['archived=1', 'archived'],
      ['pinned=TRUE', 'pinned'],
      ['trashed=', 'trashed'],
      [`tag=${'x'.repeat(51)}`, 'tag'],
      ['tag=%20%20', 'tag'],
      ['tag=a&tag=b', 'tag'],
      ['tag=a%09b', 'tag'],
    ])('answers 400 for %s, naming the field', async (query, field) => {
      const response = await list(CAROL, query);
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.message)).toContain(field);
    });

    it("refuses a live list's cursor in the trash and a trash cursor in the live list", async () => {
      const live = await list(CAROL, 'limit=1');
      const trash = await list(DAN, 'trashed=true&limit=1');
      const crossed = [
        await list(CAROL, `trashed=true&cursor=${live.body.next_cursor}`),
        await list(DAN, `cursor=${trash.body.next_cursor}`),
      ];
      for (const response of crossed) {
        expect(response.status).toBe(400);
        expect(response.body.message).toContain('cursor');
      }
    });

    it('answers GET /api/v1/tags: tags of conversations not in the trash, most used first, then by name', async () => {
      const response = await t.http.get('/api/v1/tags').set(api.auth(CAROL));
      expect(response.status).toBe(200);
      // customs: tagged1 (Customs) and both1 (CUSTOMS, archived); the trashed one does not count.
      expect(response.body).toEqual({
        tags: [
          { tag: 'CUSTOMS', count: 2 },
          { tag: '관세', count: 1 },
        ],
      });
      expect((await t.http.get('/api/v1/tags').set(api.auth(BOB))).body).toEqual({ tags: [] });
    });

    it('shows a tag change on the next GET /api/v1/tags (cached per user, invalidated by writes)', async () => {
      const before = await t.http.get('/api/v1/tags').set(api.auth(CAROL));
      expect(before.headers['x-cache']).toBeDefined();
      await patch(CAROL, made.plain1, { tags: ['zeta', 'Customs'] }).expect(200);
      const after = await t.http.get('/api/v1/tags').set(api.auth(CAROL));
      expect(after.headers['x-cache']).toBe('MISS');
      expect(after.body.tags).toEqual([
        { tag: 'Customs', count: 3 },
        { tag: 'zeta', count: 1 },
        { tag: '관세', count: 1 },
      ]);
      const again = await t.http.get('/api/v1/tags').set(api.auth(CAROL));
      expect(again.headers['x-cache']).toBe('HIT');
      expect(again.body).toEqual(after.body);
    });
  });

  describe('the trash', () => {
    it('round trip: delete, gone everywhere, in the trash, restored as it was, searchable again', async () => {
      const conversation = await api.createConversation(ALICE, {
        title: 'round trip',
        initial_message: '휴지통 왕복 검증 문장',
      });
      const id = conversation.id;
      await patch(ALICE, id, { is_archived: true, is_pinned: true, tags: ['Keep', '관세'] }).expect(
        200,
      );
      expect((await search(ALICE, '왕복')).body.total_count).toBe(1);

      await t.http.delete(`/api/v1/conversations/${id}`).set(api.auth(ALICE)).expect(204);
      const base = `/api/v1/conversations/${id}`;
      expect((await t.http.get(base).set(api.auth(ALICE))).status).toBe(404);
      expect((await t.http.get(`${base}/messages`).set(api.auth(ALICE))).status).toBe(404);
      const append = await t.http
        .post(`${base}/messages`)
        .set(api.auth(ALICE))
        .send({ role: 'user', content: 'x' });
      expect(append.status).toBe(404);
      expect((await patch(ALICE, id, { title: 'x' })).status).toBe(404);
      expect((await search(ALICE, '왕복')).body.total_count).toBe(0);
      for (const query of ['', 'archived=true', 'pinned=true', 'tag=keep']) {
        expect([query, ids(await list(ALICE, query))]).toEqual([
          query,
          expect.not.arrayContaining([id]),
        ]);
      }
      const tags = await t.http.get('/api/v1/tags').set(api.auth(ALICE));
      expect(tags.body.tags.map((tag: { tag: string }) => tag.tag)).not.toContain('Keep');
      const trash = await list(ALICE, 'trashed=true');
      expect(ids(trash)).toContain(id);

      const restored = await t.http.post(`${base}/restore`).set(api.auth(ALICE));
      expect(restored.status).toBe(200);
      expect(restored.body).toMatchObject({
        id,
        title: 'round trip',
        is_active: true,
        is_archived: true,
        is_pinned: true,
        tags: ['Keep', '관세'],
        message_count: 1,
      });
      expect(restored.body).not.toHaveProperty('deleted_at');
      const stored = await t.db.client.query('SELECT deleted_at FROM conversations WHERE id = $1', [
        id,
      ]);
      expect(stored.rows).toEqual([{ deleted_at: null }]);
      expect(ids(await list(ALICE, 'archived=true&pinned=true&tag=KEEP'))).toEqual([id]);
      expect(ids(await list(ALICE, 'trashed=true'))).not.toContain(id);
      expect((await search(ALICE, '왕복')).body.total_count).toBe(1);
      expect((await t.http.get(`${base}/messages`).set(api.auth(ALICE))).body.total_count).toBe(1);
    });

    it('keeps deleted_at when a trashed conversation is deleted again (204)', async () => {
      const { id } = await api.createConversation(ALICE);
      await t.http.delete(`/api/v1/conversations/${id}`).set(api.auth(ALICE)).expect(204);
      const first = await t.db.client.query('SELECT deleted_at FROM conversations WHERE id = $1', [
        id,
      ]);
      await t.http.delete(`/api/v1/conversations/${id}`).set(api.auth(ALICE)).expect(204);
      const second = await t.db.client.query('SELECT deleted_at FROM conversations WHERE id = $1', [
        id,
      ]);
      expect(second.rows[0].deleted_at).toEqual(first.rows[0].deleted_at);
    });

    it('answers 404 to a restore of a live, unknown, foreign, or no-longer-restorable conversation', async () => {
      const live = await api.createConversation(ALICE);
      const foreign = await api.createConversation(BOB);
      await t.http.delete(`/api/v1/conversations/${foreign.id}`).set(api.auth(BOB)).expect(204);
      const expired = await api.createConversation(ALICE);
      await t.http.delete(`/api/v1/conversations/${expired.id}`).set(api.auth(ALICE)).expect(204);
      await t.db.client.query(
        `UPDATE conversations SET deleted_at = now() - interval '31 days' WHERE id = $1`,
        [expired.id],
      );
      const answers = [];
      for (const id of [live.id, UNKNOWN, foreign.id, expired.id, 'not a storable id']) {
        const response = await t.http
          .post(`/api/v1/conversations/${encodeURIComponent(id)}/restore`)
          .set(api.auth(ALICE));
        answers.push([response.status, response.body]);
      }
      const notFound = [
        404,
        { statusCode: 404, error: 'Not Found', message: 'conversation not found' },
      ];
      expect(answers).toEqual([notFound, notFound, notFound, notFound, notFound]);
      // Past the window it is gone even before the purge: not listed in the trash either.
      expect(ids(await list(ALICE, 'trashed=true'))).not.toContain(expired.id);
      // Bob's stays in Bob's trash.
      expect(ids(await list(BOB, 'trashed=true'))).toContain(foreign.id);
    });

    it('replays a restore sent again with the same Idempotency-Key', async () => {
      const { id } = await api.createConversation(ALICE, { title: 'retry restore' });
      await t.http.delete(`/api/v1/conversations/${id}`).set(api.auth(ALICE)).expect(204);
      const send = () =>
        t.http
          .post(`/api/v1/conversations/${id}/restore`)
          .set(api.auth(ALICE))
          .set('Idempotency-Key', `restore-${id}`);
      const first = await send();
      const retry = await send();
      expect([first.status, retry.status]).toEqual([200, 200]);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toEqual(first.body);
    });

    it('deletes for good with permanent=true, from the trash or not, with every row of it', async () => {
      const live = await api.createConversation(ALICE, { initial_message: '영구 삭제 1' });
      const trashed = await api.createConversation(ALICE, { initial_message: '영구 삭제 2' });
      await api.append(ALICE, trashed.id, { role: 'assistant', content: '답변' });
      const keyed = await t.http
        .post(`/api/v1/conversations/${live.id}/messages`)
        .set(api.auth(ALICE))
        .set('Idempotency-Key', `permanent-${live.id}`)
        .send({ role: 'user', content: '키로 보낸 메시지' });
      expect(keyed.status).toBe(201);
      await t.http.delete(`/api/v1/conversations/${trashed.id}`).set(api.auth(ALICE)).expect(204);
      for (const { id } of [live, trashed]) {
        const response = await t.http
          .delete(`/api/v1/conversations/${id}?permanent=true`)
          .set(api.auth(ALICE));
        expect(response.status).toBe(204);
      }
      const rows = await t.db.client.query(
        `SELECT (SELECT count(*)::int FROM conversations WHERE id = ANY($1)) AS conversations,
                (SELECT count(*)::int FROM messages WHERE conversation_id = ANY($1)) AS messages,
                (SELECT count(*)::int FROM idempotency_keys WHERE user_id = $2 AND key = $3) AS keys`,
        [[live.id, trashed.id], ALICE, `permanent-${live.id}`],
      );
      expect(rows.rows[0]).toEqual({ conversations: 0, messages: 0, keys: 0 });
      const again = await t.http
        .delete(`/api/v1/conversations/${live.id}?permanent=true`)
        .set(api.auth(ALICE));
      expect(again.status).toBe(404);
      expect(ids(await list(ALICE, 'trashed=true'))).not.toContain(trashed.id);
    });

    it('answers 400 for permanent other than true or false', async () => {
      const { id } = await api.createConversation(ALICE);
      const response = await t.http
        .delete(`/api/v1/conversations/${id}?permanent=yes`)
        .set(api.auth(ALICE));
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.message)).toContain('permanent');
      expect((await t.http.get(`/api/v1/conversations/${id}`).set(api.auth(ALICE))).status).toBe(
        200,
      );
    });
  });

  describe('POST /api/v1/conversations/bulk', () => {
    const bulk = (userId: number, body: object, key?: string) => {
      const request = t.http.post('/api/v1/conversations/bulk').set(api.auth(userId));
      return (key ? request.set('Idempotency-Key', key) : request).send(body);
    };

    it('answers a status per id in the order sent, and applies the rest: own, unknown, foreign, trashed', async () => {
      const mine = (await api.createConversation(ALICE, { title: 'bulk mine' })).id;
      const mine2 = (await api.createConversation(ALICE, { title: 'bulk mine 2' })).id;
      const trashed = (await api.createConversation(ALICE)).id;
      await t.http.delete(`/api/v1/conversations/${trashed}`).set(api.auth(ALICE)).expect(204);
      const bobs = (await api.createConversation(BOB, { title: 'bob bulk' })).id;
      const response = await bulk(ALICE, {
        action: 'archive',
        ids: [mine, UNKNOWN, bobs, 'bad id!', trashed, mine2],
      });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        action: 'archive',
        results: [
          { id: mine, status: 200 },
          { id: UNKNOWN, status: 404 },
          { id: bobs, status: 404 },
          { id: 'bad id!', status: 404 },
          { id: trashed, status: 404 },
          { id: mine2, status: 200 },
        ],
        succeeded: 2,
        failed: 4,
      });
      expect(ids(await list(ALICE, 'archived=true'))).toEqual(
        expect.arrayContaining([mine, mine2]),
      );
      const stored = await t.db.client.query(
        'SELECT id, is_archived FROM conversations WHERE id = ANY($1) ORDER BY id',
        [[bobs, trashed]],
      );
      expect(stored.rows.every((row) => row.is_archived === false)).toBe(true);
    });

    it('runs every action with the status its single route answers', async () => {
      const a = (await api.createConversation(ALICE, { title: 'every action' })).id;
      const expectOne = async (body: object, status: number): Promise<void> => {
        const response = await bulk(ALICE, { ...body, ids: [a, UNKNOWN] });
        expect([body, response.status, response.body.results]).toEqual([
          body,
          200,
          [
            { id: a, status },
            { id: UNKNOWN, status: 404 },
          ],
        ]);
      };
      await expectOne({ action: 'pin' }, 200);
      await expectOne({ action: 'archive' }, 200);
      await expectOne({ action: 'add_tags', tags: ['One', 'two'] }, 200);
      await expectOne({ action: 'add_tags', tags: ['ONE', 'three'] }, 200);
      let read = await t.http.get(`/api/v1/conversations/${a}`).set(api.auth(ALICE));
      expect(read.body).toMatchObject({
        is_pinned: true,
        is_archived: true,
        tags: ['One', 'two', 'three'],
      });
      await expectOne({ action: 'remove_tags', tags: ['TWO'] }, 200);
      await expectOne({ action: 'unpin' }, 200);
      await expectOne({ action: 'unarchive' }, 200);
      read = await t.http.get(`/api/v1/conversations/${a}`).set(api.auth(ALICE));
      expect(read.body).toMatchObject({
        is_pinned: false,
        is_archived: false,
        tags: ['One', 'three'],
      });
      await expectOne({ action: 'delete' }, 204);
      await expectOne({ action: 'delete' }, 204);
      await expectOne({ action: 'restore' }, 200);
      await expectOne({ action: 'restore' }, 404);
      await expectOne({ action: 'purge' }, 204);
      await expectOne({ action: 'purge' }, 404);
      const gone = await t.db.client.query(
        'SELECT count(*)::int AS n FROM conversations WHERE id = $1',
        [a],
      );
      expect(gone.rows[0].n).toBe(0);
    });

    it('answers 400 for one item that add_tags would take past 20 tags, applying the others', async () => {
      const full = (await api.createConversation(ALICE)).id;
      const roomy = (await api.createConversation(ALICE)).id;
      await patch(ALICE, full, { tags: Array.from({ length: 20 }, (_, i) => `t${i}`) }).expect(200);
      const response = await bulk(ALICE, { action: 'add_tags', ids: [full, roomy], tags: ['new'] });
      expect(response.body).toMatchObject({
        results: [
          { id: full, status: 400 },
          { id: roomy, status: 200 },
        ],
        succeeded: 1,
        failed: 1,
      });
      const read = await t.http.get(`/api/v1/conversations/${roomy}`).set(api.auth(ALICE));
      expect(read.body.tags).toEqual(['new']);
    });

    it.each([
      ['duplicate ids', { action: 'archive', ids: ['conv_a', 'conv_a'] }, 'ids'],
      ['no ids', { action: 'archive', ids: [] }, 'ids'],
      [
        '101 ids',
        { action: 'archive', ids: Array.from({ length: 101 }, (_, i) => `conv_${i}`) },
        'ids',
      ],
      ['an id that is not a string', { action: 'archive', ids: [7] }, 'ids'],
      ['an id of 201 characters', { action: 'archive', ids: ['x'.repeat(201)] }, 'ids'],
      ['ids missing', { action: 'archive' }, 'ids'],
      ['an unknown action', { action: 'explode', ids: ['conv_a'] }, 'action'],
      ['action missing', { ids: ['conv_a'] }, 'action'],
      ['add_tags without tags', { action: 'add_tags', ids: ['conv_a'] }, 'tags'],
      ['tags with archive', { action: 'archive', ids: ['conv_a'], tags: ['x'] }, 'tags'],
      ['a tag too long', { action: 'add_tags', ids: ['conv_a'], tags: ['x'.repeat(51)] }, 'tags.0'],
      ['an unknown field', { action: 'archive', ids: ['conv_a'], extra: 1 }, 'extra'],
    ])('answers 400 naming the field for %s', async (_label, body, field) => {
      const response = await bulk(ALICE, body);
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.message)).toContain(field);
    });

    it('accepts 100 distinct ids', async () => {
      const many = Array.from({ length: 100 }, (_, i) => `conv_${String(i).padStart(32, '0')}`);
      const response = await bulk(ALICE, { action: 'pin', ids: many });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ succeeded: 0, failed: 100 });
    });

    it('replays with the same Idempotency-Key (200, nothing written again), 422 with another body', async () => {
      const a = (await api.createConversation(ALICE)).id;
      const first = await bulk(ALICE, { action: 'delete', ids: [a] }, `bulk-${a}`);
      // Restored in between: a replay must not trash it again.
      await t.http.post(`/api/v1/conversations/${a}/restore`).set(api.auth(ALICE)).expect(200);
      const retry = await bulk(ALICE, { action: 'delete', ids: [a] }, `bulk-${a}`);
      expect([first.status, retry.status]).toEqual([200, 200]);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toEqual(first.body);
      expect((await t.http.get(`/api/v1/conversations/${a}`).set(api.auth(ALICE))).status).toBe(
        200,
      );
      const other = await bulk(ALICE, { action: 'pin', ids: [a] }, `bulk-${a}`);
      expect(other.status).toBe(422);
    });
  });
});

const environment = testEnvironment();
const describeWithRedis = environment.redis ? describe : describe.skip;
if (!environment.redis)
  console.log(`lifecycle cache tests skipped: ${environment.redisMissingReason}`);

describeWithRedis('lifecycle writes and the cache on two replicas', () => {
  const redisEnv = {
    REDIS_HOST: environment.redis?.host ?? '',
    REDIS_PORT: String(environment.redis?.port ?? ''),
    REDIS_KEY_PREFIX: `chatbot-test-${environment.runId}-lifecycle`,
  };
  let one: TestApp;
  let two: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    one = await startTestApp(redisEnv);
    two = await startTestApp(redisEnv, one.db);
    api = await ApiClient.forUsers(one.http, [ALICE]);
  });

  afterAll(async () => {
    await two.close();
    await one.close();
  });

  it('shows each write through one replica on the next read through the other', async () => {
    const { id } = await api.createConversation(ALICE, { title: 'replicated' });
    const path = `/api/v1/conversations/${id}`;
    const warm = async (): Promise<void> => {
      for (const read of [path, '/api/v1/conversations', '/api/v1/tags']) {
        await one.http.get(read).set(api.auth(ALICE));
        const cached = await one.http.get(read).set(api.auth(ALICE));
        expect([read, cached.headers['x-cache']]).toEqual([read, 'HIT']);
      }
    };
    const listed = async (): Promise<string[]> =>
      (await one.http.get('/api/v1/conversations').set(api.auth(ALICE))).body.conversations.map(
        (c: { id: string }) => c.id,
      );

    await warm();
    await two.http
      .patch(path)
      .set(api.auth(ALICE))
      .send({ tags: ['Seen'], is_pinned: true })
      .expect(200);
    expect((await one.http.get(path).set(api.auth(ALICE))).body).toMatchObject({
      tags: ['Seen'],
      is_pinned: true,
    });
    expect((await one.http.get('/api/v1/tags').set(api.auth(ALICE))).body.tags).toEqual([
      { tag: 'Seen', count: 1 },
    ]);

    await warm();
    await two.http
      .post('/api/v1/conversations/bulk')
      .set(api.auth(ALICE))
      .send({ action: 'archive', ids: [id] })
      .expect(200);
    expect(await listed()).not.toContain(id);
    expect((await one.http.get(path).set(api.auth(ALICE))).body.is_archived).toBe(true);

    await warm();
    await two.http.delete(path).set(api.auth(ALICE)).expect(204);
    expect((await one.http.get(path).set(api.auth(ALICE))).status).toBe(404);
    expect((await one.http.get('/api/v1/tags').set(api.auth(ALICE))).body.tags).toEqual([]);

    await two.http.post(`${path}/restore`).set(api.auth(ALICE)).expect(200);
    const restored = await one.http.get(path).set(api.auth(ALICE));
    expect(restored.status).toBe(200);
    expect(restored.headers['x-cache']).toBe('MISS');

    await warm();
    await two.http.delete(`${path}?permanent=true`).set(api.auth(ALICE)).expect(204);
    expect((await one.http.get(path).set(api.auth(ALICE))).status).toBe(404);
  });
});
