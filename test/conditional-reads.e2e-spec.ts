import type TestAgent from 'supertest/lib/agent';
import { ApiClient } from './support/api-client';
import { TestRedisServer } from './support/redis-server';
import { TcpProxy } from './support/tcp-proxy';
import { startTestApp, type TestApp } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { testEnvironment } from './support/test-environment';

const ALICE = 2101;

/**
 * Two replicas on one database and one Redis; replica 1 reaches PostgreSQL through a proxy the
 * test can cut, to show which conditional reads are answered without it.
 */
describe('ETag and If-None-Match on the three reads', () => {
  let redis: TestRedisServer;
  let postgresProxy: TcpProxy;
  let db: TestDatabase;
  let one: TestApp;
  let two: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    const { postgres } = testEnvironment();
    redis = await TestRedisServer.start();
    postgresProxy = await TcpProxy.start({ host: postgres.host, port: postgres.port });
    db = await createTestDatabase();
    const shared = {
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
      REDIS_KEY_PREFIX: 'etag',
    };
    one = await startTestApp(
      { ...shared, POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: String(postgresProxy.port) },
      db,
    );
    two = await startTestApp(shared, db);
    api = await ApiClient.forUsers(two.http, [ALICE]);
  });

  afterAll(async () => {
    await one.close();
    await two.close();
    await postgresProxy.cut();
    await db.drop();
    await redis.kill();
  });

  const read = (replica: TestApp, path: string, tag?: string) => {
    const request = replica.http.get(path).set(api.auth(ALICE));
    return tag ? request.set('If-None-Match', tag) : request;
  };

  /** The tag of each read as replica `from` answers it now, checked 304 on both replicas. */
  async function tagsOf(paths: string[]): Promise<string[]> {
    const tags: string[] = [];
    for (const path of paths) {
      const fresh = await read(one, path);
      expect([path, fresh.status]).toEqual([path, 200]);
      const tag = String(fresh.headers.etag);
      expect(tag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      for (const replica of [one, two]) {
        const unchanged = await read(replica, path, tag);
        expect([path, unchanged.status, unchanged.text, unchanged.headers.etag]).toEqual([
          path,
          304,
          '',
          tag,
        ]);
        expect(unchanged.headers['x-cache']).toMatch(/^(HIT|MISS)$/);
      }
      tags.push(tag);
    }
    return tags;
  }

  it('answers 304 without a body to an unchanged read, from either replica, and 200 with a new tag after each kind of write', async () => {
    const conversation = await api.createConversation(ALICE, { initial_message: '조건부' });
    const paths = [
      '/api/v1/conversations',
      `/api/v1/conversations/${conversation.id}`,
      `/api/v1/conversations/${conversation.id}/messages`,
    ];
    const messages = paths[2];
    let tags = await tagsOf(paths);

    /** After a write through `replica`, the reads in `changed` answer 200 with another tag. */
    const expectNewTags = async (changed: string[]) => {
      const next = await tagsOf(paths);
      for (const [index, path] of paths.entries()) {
        if (changed.includes(path)) expect([path, next[index]]).not.toEqual([path, tags[index]]);
        else expect([path, next[index]]).toEqual([path, tags[index]]);
      }
      for (const [index, path] of paths.entries()) {
        if (!changed.includes(path)) continue;
        for (const replica of [one, two]) {
          const stale = await read(replica, path, tags[index]);
          expect([path, stale.status, stale.headers.etag]).toEqual([path, 200, next[index]]);
        }
      }
      tags = next;
    };

    const write = async (replica: TestAgent, send: (http: TestAgent) => Promise<any>) => {
      const response = await send(replica);
      expect(response.status).toBeLessThan(300);
      return response.body;
    };
    await write(two.http, (http) =>
      http.post(messages).set(api.auth(ALICE, 'agent')).send({ role: 'assistant', content: '답' }),
    );
    await expectNewTags(paths);

    await write(one.http, (http) =>
      http.patch(paths[1]).set(api.auth(ALICE)).send({ title: '새 이름' }),
    );
    // A page of messages holds no title.
    await expectNewTags(paths.slice(0, 2));

    const created = await write(two.http, (http) =>
      http.post(messages).set(api.auth(ALICE, 'agent')).send({
        role: 'assistant',
        status: 'streaming',
      }),
    );
    await expectNewTags(paths);
    const message = `${messages}/${created.messages[0].id}`;

    // A delta changes the reads holding the message; the list holds no message text.
    await write(one.http, (http) =>
      http.patch(message).set(api.auth(ALICE, 'agent')).send({ append: '스트림', offset: 0 }),
    );
    await expectNewTags(paths.slice(1));

    await write(two.http, (http) =>
      http.patch(message).set(api.auth(ALICE, 'agent')).send({ status: 'complete' }),
    );
    await expectNewTags(paths);

    await write(one.http, (http) => http.delete(paths[1]).set(api.auth(ALICE)));
    const list = await read(two, paths[0], tags[0]);
    expect(list.status).toBe(200);
    expect(list.headers.etag).not.toBe(tags[0]);
    for (const path of paths.slice(1)) expect((await read(two, path, tags[1])).status).toBe(404);
  });

  it('answers a cached read 304 without PostgreSQL', async () => {
    const conversation = await api.createConversation(ALICE, { initial_message: '캐시' });
    const paths = [
      '/api/v1/conversations',
      `/api/v1/conversations/${conversation.id}`,
      `/api/v1/conversations/${conversation.id}/messages`,
    ];
    const tags: string[] = [];
    for (const path of paths) {
      await read(one, path);
      const hit = await read(one, path);
      expect(hit.headers['x-cache']).toBe('HIT');
      tags.push(String(hit.headers.etag));
    }
    await postgresProxy.cut();
    try {
      for (const [index, path] of paths.entries()) {
        const unchanged = await read(one, path, tags[index]);
        expect([path, unchanged.status, unchanged.headers['x-cache']]).toEqual([path, 304, 'HIT']);
      }
      // The same read without the tag is the cached 200, with the same tag.
      const full = await read(one, paths[1]);
      expect([full.status, full.headers.etag]).toEqual([200, tags[1]]);
      expect(full.body.id).toBe(conversation.id);
    } finally {
      await postgresProxy.open();
    }
  });
});
