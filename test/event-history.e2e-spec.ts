import type { BusEvent } from '../src/events/conversation-event';
import { EVENT_RETENTION, type EventRetention } from '../src/events/event-retention';
import { RedisEventBus } from '../src/events/redis-event-bus';
import type { RedisConfig } from '../src/config/app-config';
import { createRedisClient, type RedisConnection } from '../src/redis/redis-client';
import { redisCli, TestRedisServer } from './support/redis-server';

const target = { userId: 7, conversationId: 'conv_history' };
const KEY = `history:{u:7}:events:conv_history`;

/** The Redis bus's publish script and resume, against a Redis of this test's own. */
describe('the Redis event history', () => {
  let redis: TestRedisServer;
  const clients: RedisConnection[] = [];
  const buses: RedisEventBus[] = [];

  beforeAll(async () => {
    redis = await TestRedisServer.start();
  });

  afterAll(async () => {
    for (const bus of buses) await bus.close();
    for (const client of clients) client.destroy();
    await redis.kill();
  });

  async function busWith(retention: EventRetention): Promise<RedisEventBus> {
    const config: RedisConfig = {
      mode: 'standalone',
      nodes: [{ host: '127.0.0.1', port: redis.port }],
      db: 0,
      password: '',
      tls: false,
    };
    const commands = createRedisClient(config, { reconnect: true });
    await commands.connect();
    clients.push(commands);
    const bus = new RedisEventBus(
      commands,
      createRedisClient(config, { reconnect: true }),
      'history',
      retention,
    );
    await bus.start();
    buses.push(bus);
    await redisCli(redis.port, ['DEL', KEY]);
    return bus;
  }

  async function publishAll(bus: RedisEventBus, count: number): Promise<BusEvent[]> {
    const published: BusEvent[] = [];
    const leave = await bus.subscribe(target, (event) => published.push(event));
    for (let index = 0; index < count; index += 1) {
      expect(
        await bus.publish(target, [{ type: 'conversation.updated', data: `{"n":${index}}` }]),
      ).toBe(true);
    }
    const deadline = Date.now() + 5_000;
    while (published.length < count && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    leave();
    return published;
  }

  it('holds every event younger than 5 minutes beyond the newest 1,000, in order, each naming its predecessor', async () => {
    const bus = await busWith(EVENT_RETENTION);
    const published = await publishAll(bus, 1_100);
    expect(Number(await redisCli(redis.port, ['XLEN', KEY]))).toBe(1_100);
    expect(published.map((event) => event.previous)).toEqual([
      '0-0',
      ...published.slice(0, -1).map((event) => event.id),
    ]);
    const resumed = await bus.eventsAfter(target, published[0].id);
    expect(resumed.gap).toBe(false);
    expect(resumed.events.map((event) => event.data)).toEqual(
      published.slice(1).map((event) => event.data),
    );
    const ttl = Number(await redisCli(redis.port, ['PTTL', KEY]));
    expect(ttl).toBeGreaterThan(EVENT_RETENTION.idleMs - 60_000);
  });

  it('drops events past the age beyond the newest `keep`, and any beyond the cap; a resume across them is a gap', async () => {
    const bus = await busWith({ keep: 3, ageMs: 300, cap: 5, idleMs: 2_000 });
    const first = await publishAll(bus, 7);
    // Young, but beyond the cap: the two oldest went. From the second, nothing after it did.
    expect(Number(await redisCli(redis.port, ['XLEN', KEY]))).toBe(5);
    expect((await bus.eventsAfter(target, first[0].id)).gap).toBe(true);
    expect((await bus.eventsAfter(target, first[1].id)).events).toHaveLength(5);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const [last] = await publishAll(bus, 1);
    // Old now: all but the newest 3 went.
    expect(Number(await redisCli(redis.port, ['XLEN', KEY]))).toBe(3);
    expect((await bus.eventsAfter(target, first[4].id)).events.map((e) => e.id)).toEqual([
      first[5].id,
      first[6].id,
      last.id,
    ]);
    expect((await bus.eventsAfter(target, first[3].id)).gap).toBe(true);
    expect(Number(await redisCli(redis.port, ['PTTL', KEY]))).toBeLessThanOrEqual(2_000);
  });
});
