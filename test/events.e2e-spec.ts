import { ApiClient } from './support/api-client';
import { EventStreamClient, type ReceivedEvent } from './support/event-stream-client';
import { metricValue } from './support/metrics';
import { redisCli, TestRedisServer } from './support/redis-server';
import { TcpProxy } from './support/tcp-proxy';
import { startTestApp, type TestApp } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';

const ALICE = 1901;
const BOB = 1902;

interface Replica {
  app: TestApp;
  url: string;
}

/** Two replicas of the app on one database and one Redis (of this test's own). */
async function startReplicas(
  db: TestDatabase,
  redisPorts: [number, number],
  prefix: string,
  env: Record<string, string> = {},
): Promise<[Replica, Replica]> {
  const replicas: Replica[] = [];
  for (const port of redisPorts) {
    const app = await startTestApp(
      { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(port), REDIS_KEY_PREFIX: prefix, ...env },
      db,
    );
    await app.app.listen(0, '127.0.0.1');
    replicas.push({ app, url: await app.app.getUrl() });
  }
  return replicas as [Replica, Replica];
}

const eventsPath = (conversationId: string): string =>
  `/api/v1/conversations/${conversationId}/events`;

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('event streams across two replicas', () => {
  let redis: TestRedisServer;
  let db: TestDatabase;
  let one: Replica;
  let two: Replica;
  let api: ApiClient;
  const streams: EventStreamClient[] = [];

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    db = await createTestDatabase();
    [one, two] = await startReplicas(db, [redis.port, redis.port], 'events');
    api = await ApiClient.forUsers(two.app.http, [ALICE, BOB]);
  });

  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
  });

  afterAll(async () => {
    await one.app.close();
    await two.app.close();
    await db.drop();
    await redis.kill();
  });

  async function open(
    replica: Replica,
    conversationId: string,
    headers: Record<string, string> = api.auth(ALICE),
    query = '',
  ): Promise<EventStreamClient> {
    const stream = await EventStreamClient.open(
      `${replica.url}${eventsPath(conversationId)}${query}`,
      headers,
    );
    streams.push(stream);
    return stream;
  }

  const http = (replica: Replica) => replica.app.http;

  it('delivers every event of writes through replica 2 to a stream on replica 1, in order, each within 1 s', async () => {
    const conversation = await api.createConversation(ALICE, { initial_message: '질문' });
    const stream = await open(one, conversation.id);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);

    const writes: Array<{ started: number; events: string[] }> = [];
    const write = async (events: string[], send: () => Promise<{ status: number; body: any }>) => {
      const started = performance.now();
      const response = await send();
      expect(response.status).toBeLessThan(300);
      writes.push({ started, events });
      return response.body;
    };
    const messages = `/api/v1/conversations/${conversation.id}/messages`;
    const created = await write(['message.created', 'conversation.updated'], () =>
      http(two).post(messages).set(api.auth(ALICE, 'agent')).send({
        role: 'assistant',
        status: 'streaming',
        agent_used: 'regulation_agent',
      }),
    );
    const messageId = created.messages[0].id;
    let offset = 0;
    for (const piece of ['관세율은 ', 'HS 코드로 ', '정해집니다']) {
      await write(['message.delta'], () =>
        http(two)
          .patch(`${messages}/${messageId}`)
          .set(api.auth(ALICE, 'agent'))
          .send({ append: piece, offset }),
      );
      offset += piece.length;
    }
    await write(['message.completed', 'conversation.updated'], () =>
      http(two).patch(`${messages}/${messageId}`).set(api.auth(ALICE, 'agent')).send({
        status: 'complete',
      }),
    );
    await write(['conversation.updated'], () =>
      http(two)
        .patch(`/api/v1/conversations/${conversation.id}`)
        .set(api.auth(ALICE))
        .send({ title: '새 제목' }),
    );
    await write(['conversation.deleted'], () =>
      http(two).delete(`/api/v1/conversations/${conversation.id}`).set(api.auth(ALICE)),
    );

    const expected = writes.flatMap((w) => w.events);
    const received = await stream.waitForEvents(expected.length);
    expect(received.map((event) => event.type)).toEqual(expected);
    // Each event within a second of the start of the write that caused it.
    let index = 0;
    for (const { started, events } of writes) {
      for (const _ of events) {
        expect(received[index].at - started).toBeLessThan(1_000);
        index += 1;
      }
    }
    const [createdEvent, , firstDelta, secondDelta, thirdDelta, completed, , renamed] = received;
    expect(JSON.parse(createdEvent.data)).toMatchObject({ id: messageId, status: 'streaming' });
    expect([firstDelta, secondDelta, thirdDelta].map((e) => JSON.parse(e.data))).toEqual([
      { id: messageId, seq: 2, offset: 0, text: '관세율은 ' },
      { id: messageId, seq: 2, offset: 5, text: 'HS 코드로 ' },
      { id: messageId, seq: 2, offset: 12, text: '정해집니다' },
    ]);
    expect(JSON.parse(completed.data)).toMatchObject({
      id: messageId,
      status: 'complete',
      content: '관세율은 HS 코드로 정해집니다',
    });
    expect(JSON.parse(renamed.data)).toMatchObject({ id: conversation.id, title: '새 제목' });
    // Ids increase, and the stream ends with the conversation.
    const ids = received.map((event) => event.id!);
    expect([...ids].sort(compareIds)).toEqual(ids);
    await stream.waitForEnd();
    expect(await metricValue(http(one), 'events_sent_total{type="message.delta"}')).toBe(3);
  });

  it('tells open streams of bulk changes: conversation.updated for archive, pin and tags, conversation.deleted for delete', async () => {
    const conversation = await api.createConversation(ALICE, { initial_message: '대량 작업' });
    const stream = await open(one, conversation.id);
    const bulk = (body: object) =>
      http(two)
        .post('/api/v1/conversations/bulk')
        .set(api.auth(ALICE))
        .send({ ids: [conversation.id], ...body })
        .expect(200);
    await bulk({ action: 'archive' });
    await bulk({ action: 'pin' });
    await bulk({ action: 'add_tags', tags: ['수입'] });
    await bulk({ action: 'delete' });

    const received = await stream.waitForEvents(4);
    expect(received.map((event) => event.type)).toEqual([
      'conversation.updated',
      'conversation.updated',
      'conversation.updated',
      'conversation.deleted',
    ]);
    expect(received.slice(0, 3).map((event) => JSON.parse(event.data))).toEqual([
      expect.objectContaining({ id: conversation.id, is_archived: true, is_pinned: false }),
      expect.objectContaining({ is_archived: true, is_pinned: true, tags: [] }),
      expect.objectContaining({ is_archived: true, is_pinned: true, tags: ['수입'] }),
    ]);
    expect(JSON.parse(received[3].data)).toEqual({ id: conversation.id });
  });

  it('resumes a reconnect with Last-Event-ID with exactly the missed events; an id too old gets reset', async () => {
    const conversation = await api.createConversation(ALICE, { initial_message: '질문' });
    const witness = await open(two, conversation.id);
    const rename = (title: string) =>
      http(two)
        .patch(`/api/v1/conversations/${conversation.id}`)
        .set(api.auth(ALICE))
        .send({ title });
    const first = await open(one, conversation.id);
    await rename('하나');
    await rename('둘');
    const seen = await first.waitForEvents(2);
    first.close();
    for (const title of ['셋', '넷', '다섯']) await rename(title);
    await witness.waitForEvents(5);
    const missed = witness.events.slice(2);

    const resumed = await open(one, conversation.id, {
      ...api.auth(ALICE),
      'Last-Event-ID': seen[1].id!,
    });
    const replayed = await resumed.waitForEvents(3);
    expect(replayed.map(({ id, type, data }) => ({ id, type, data }))).toEqual(
      missed.map(({ id, type, data }) => ({ id, type, data })),
    );
    await rename('여섯');
    const live = await resumed.waitForEvents(4);
    expect(JSON.parse(live[3].data).title).toBe('여섯');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(resumed.events).toHaveLength(4);

    for (const lastEventId of ['1-0', 'not-an-id']) {
      const stale = await open(one, conversation.id, {
        ...api.auth(ALICE),
        'Last-Event-ID': lastEventId,
      });
      await stale.waitForEnd();
      expect(stale.events.map(({ type, id }) => ({ type, id }))).toEqual([
        { type: 'reset', id: '' },
      ]);
    }
    // Retention dropped the events after the client's last one (trimmed here by hand).
    const key = `events:{u:${ALICE}}:events:${conversation.id}`;
    await redisCli(redis.port, ['XTRIM', key, 'MAXLEN', '1']);
    const trimmed = await open(one, conversation.id, {
      ...api.auth(ALICE),
      'Last-Event-ID': seen[1].id!,
    });
    await trimmed.waitForEnd();
    expect(trimmed.events.map((event) => event.type)).toEqual(['reset']);
  });

  it("answers 404 to another user's stream, and never delivers a conversation's events to anyone else", async () => {
    const alices = await api.createConversation(ALICE, { initial_message: '앨리스' });
    const bobs = await api.createConversation(BOB, { initial_message: '밥' });
    const intruder = await open(one, alices.id, api.auth(BOB));
    expect(intruder.status).toBe(404);
    expect(JSON.parse(await intruder.text())).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'conversation not found',
    });
    const bobsStream = await open(one, bobs.id, api.auth(BOB));
    const alicesStream = await open(one, alices.id);
    await http(two)
      .patch(`/api/v1/conversations/${alices.id}`)
      .set(api.auth(ALICE))
      .send({ title: '비밀' });
    await alicesStream.waitForEvents(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bobsStream.events).toEqual([]);
    const malformed = await open(one, 'conv_!!', api.auth(ALICE));
    expect(malformed.status).toBe(404);
  });

  it('opens a stream with a ticket once, for its conversation only, until it expires', async () => {
    const conversation = await api.createConversation(ALICE, { initial_message: '티켓' });
    const other = await api.createConversation(ALICE, { initial_message: '다른' });
    const issue = async (conversationId: string): Promise<string> => {
      const response = await http(two)
        .post(`${eventsPath(conversationId)}/ticket`)
        .set(api.auth(ALICE));
      expect(response.status).toBe(201);
      expect(response.body).toEqual({ ticket: expect.any(String), expires_in: 60 });
      return response.body.ticket;
    };
    const withTicket = (conversationId: string, ticket: string) =>
      open(one, conversationId, {}, `?ticket=${encodeURIComponent(ticket)}`);

    const ticket = await issue(conversation.id);
    const stream = await withTicket(conversation.id, ticket);
    expect(stream.status).toBe(200);
    await http(two)
      .patch(`/api/v1/conversations/${conversation.id}`)
      .set(api.auth(ALICE))
      .send({ title: '티켓으로' });
    expect((await stream.waitForType('conversation.updated')).data).toContain('티켓으로');

    expect((await withTicket(conversation.id, ticket)).status).toBe(401);
    // A browser resumes with a new ticket, in a new EventSource: the id in the query.
    const seen = stream.events.at(-1)!.id!;
    stream.close();
    await http(two)
      .patch(`/api/v1/conversations/${conversation.id}`)
      .set(api.auth(ALICE))
      .send({ title: '놓친 제목' });
    const resumed = await open(
      one,
      conversation.id,
      {},
      `?ticket=${await issue(conversation.id)}&last_event_id=${seen}`,
    );
    expect(resumed.status).toBe(200);
    expect(JSON.parse((await resumed.waitForEvents(1))[0].data).title).toBe('놓친 제목');
    expect((await withTicket(other.id, await issue(conversation.id))).status).toBe(401);
    expect((await withTicket(conversation.id, `${ALICE}.${'A'.repeat(32)}`)).status).toBe(401);
    expect((await withTicket(conversation.id, 'garbage')).status).toBe(401);
    const foreign = await http(two)
      .post(`${eventsPath(conversation.id)}/ticket`)
      .set(api.auth(BOB));
    expect(foreign.status).toBe(404);

    const expiring = await issue(conversation.id);
    const keys = (
      await redisCli(redis.port, ['--scan', '--pattern', `events:{u:${ALICE}}:ticket:*`])
    )
      .split('\n')
      .filter(Boolean);
    expect(keys).toHaveLength(1);
    const ttl = Number(await redisCli(redis.port, ['PTTL', keys[0]]));
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    // Its 60 s run out here at once.
    await redisCli(redis.port, ['PEXPIRE', keys[0], '1']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await withTicket(conversation.id, expiring)).status).toBe(401);
    // The key names a digest of the secret, never the secret itself.
    expect(keys[0]).not.toContain(expiring.split('.')[1]);
  });

  it('answers 429 beyond EVENTS_MAX_STREAMS_PER_USER open streams of a user on a replica', async () => {
    const conversation = await api.createConversation(BOB, { initial_message: '제한' });
    const opened = await Promise.all(
      Array.from({ length: 10 }, () => open(one, conversation.id, api.auth(BOB))),
    );
    expect(opened.map((stream) => stream.status)).toEqual(Array(10).fill(200));
    const refused = await open(one, conversation.id, api.auth(BOB));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(await metricValue(http(one), 'events_streams_open')).toBeGreaterThanOrEqual(10);
    // Another replica counts its own.
    expect((await open(two, conversation.id, api.auth(BOB))).status).toBe(200);
    opened[0].close();
    await until(async () => {
      const again = await open(one, conversation.id, api.auth(BOB));
      return again.status === 200 ? true : undefined;
    }, 5_000);
  });
});

describe('the event bus killed mid-stream, and back', () => {
  let redis: TestRedisServer;
  let db: TestDatabase;
  let one: Replica;
  let two: Replica;
  let api: ApiClient;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    db = await createTestDatabase();
    [one, two] = await startReplicas(db, [redis.port, redis.port], 'bus-down');
    api = await ApiClient.forUsers(one.app.http, [ALICE]);
  });

  afterAll(async () => {
    await one.app.close();
    await two.app.close();
    await db.drop();
    await redis.kill();
  });

  it('ends open streams with reset, answers new ones 503 while every other route answers, and serves streams again once Redis is back', async () => {
    const conversation = await api.createConversation(ALICE, { initial_message: '버스' });
    const messages = `/api/v1/conversations/${conversation.id}/messages`;
    const created = await api.append(ALICE, conversation.id, {
      role: 'assistant',
      status: 'streaming',
    });
    const messageId = created.messages[0].id;
    const url = (replica: Replica) => `${replica.url}${eventsPath(conversation.id)}`;
    const before = [
      await EventStreamClient.open(url(one), api.auth(ALICE)),
      await EventStreamClient.open(url(two), api.auth(ALICE)),
    ];
    await two.app.http
      .patch(`${messages}/${messageId}`)
      .set(api.auth(ALICE, 'agent'))
      .send({ append: '반', offset: 0 });
    for (const stream of before) await stream.waitForType('message.delta');
    const lastSeen = before[0].events.at(-1)!.id!;

    await redis.kill();
    for (const stream of before) {
      await stream.waitForEnd(5_000);
      expect(stream.events.at(-1)).toMatchObject({ type: 'reset', id: '' });
    }
    const refused = await EventStreamClient.open(url(one), api.auth(ALICE));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');

    const auth = api.auth(ALICE, 'agent');
    const answers = [
      await one.app.http.get(`/api/v1/conversations/${conversation.id}`).set(auth),
      await two.app.http.get(messages).set(auth),
      await one.app.http
        .patch(`${messages}/${messageId}`)
        .set(auth)
        .send({ append: '쯤', offset: 1 }),
      await two.app.http.post(messages).set(auth).send({ role: 'user', content: '계속' }),
      await one.app.http.get('/health/ready'),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 201, 200]);
    expect(answers[2].body.content).toBe('반쯤');
    expect(await metricValue(one.app.http, 'events_lost_total')).toBeGreaterThan(0);

    await redis.restart();
    // Once Redis answers, the replicas publish a reset marker for every conversation whose
    // events were lost meanwhile; a stream opened before that would be reset by it.
    await until(async () => {
      const { rows } = await db.client.query('SELECT count(*)::int AS n FROM event_losses');
      return rows[0].n === 0 ? true : undefined;
    }, 15_000);
    const back = await until(async () => {
      const stream = await EventStreamClient.open(url(one), api.auth(ALICE));
      if (stream.status === 200) return stream;
      stream.close();
      return undefined;
    }, 15_000);
    try {
      await two.app.http
        .patch(`${messages}/${messageId}`)
        .set(auth)
        .send({ append: '완료', offset: 2 });
      expect(JSON.parse((await back.waitForType('message.delta')).data)).toMatchObject({
        offset: 2,
        text: '완료',
      });
      // A resume from before the outage cannot know what it missed.
      const resumed = await EventStreamClient.open(url(two), {
        ...api.auth(ALICE),
        'Last-Event-ID': lastSeen,
      });
      await resumed.waitForEnd();
      expect(resumed.events.map((event) => event.type)).toEqual(['reset']);
    } finally {
      back.close();
    }
  }, 60_000);
});

describe("a write whose replica cannot reach the bus, while another's streams can", () => {
  let redis: TestRedisServer;
  let proxy: TcpProxy;
  let db: TestDatabase;
  let one: Replica;
  let two: Replica;
  let api: ApiClient;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: redis.port });
    db = await createTestDatabase();
    [one, two] = await startReplicas(db, [redis.port, proxy.port], 'bus-split');
    api = await ApiClient.forUsers(one.app.http, [ALICE]);
  });

  afterAll(async () => {
    await one.app.close();
    await two.app.close();
    await proxy.cut();
    await db.drop();
    await redis.kill();
  });

  it('ends the streams of that conversation on the other replica with reset, and a resume across it too', async () => {
    const conversation = await api.createConversation(ALICE, { initial_message: '분리' });
    const stream = await EventStreamClient.open(
      `${one.url}${eventsPath(conversation.id)}`,
      api.auth(ALICE),
    );
    try {
      await two.app.http
        .patch(`/api/v1/conversations/${conversation.id}`)
        .set(api.auth(ALICE))
        .send({ title: '전' });
      const before = await stream.waitForType('conversation.updated');

      await proxy.cut();
      const renamed = await two.app.http
        .patch(`/api/v1/conversations/${conversation.id}`)
        .set(api.auth(ALICE))
        .send({ title: '후' });
      expect(renamed.status).toBe(200);
      // Replica 1 reads the loss from PostgreSQL and publishes the reset marker.
      await stream.waitForEnd(5_000);
      expect(stream.events.map((event: ReceivedEvent) => event.type)).toEqual([
        'conversation.updated',
        'reset',
      ]);
      const resumed = await EventStreamClient.open(`${one.url}${eventsPath(conversation.id)}`, {
        ...api.auth(ALICE),
        'Last-Event-ID': before.id!,
      });
      await resumed.waitForEnd();
      expect(resumed.events.map((event) => event.type)).toEqual(['reset']);
      const { rows } = await db.client.query('SELECT count(*)::int AS n FROM event_losses');
      expect(rows[0].n).toBe(0);
    } finally {
      stream.close();
    }
  }, 30_000);
});

function compareIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(BigInt);
  const [bMs, bSeq] = b.split('-').map(BigInt);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1;
}
