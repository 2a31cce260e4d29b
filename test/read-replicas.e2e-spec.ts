import { Client } from 'pg';
import type { Type } from '@nestjs/common';
import { GUARDS_METADATA, INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { JwtAuthGuard } from '../src/auth/jwt-auth.guard';
import { UserCacheInterceptor } from '../src/cache/user-cache.interceptor';
import { POLL_EVERY_MS } from '../src/read-routing/read-replicas';
import { ReadRoutingInterceptor } from '../src/read-routing/read-routing.interceptor';
import { ApiClient } from './support/api-client';
import { startAppProcess, waitForStatus } from './support/app-process';
import { TestRedisServer } from './support/redis-server';
import { ReplicatedPostgres } from './support/replicated-postgres';
import { startAppOn, startTestApp, type RunningApp, type TestApp } from './support/test-app';
import { TEST_JWT_SECRET } from './support/tokens';

/** The replica applies each commit this long after it: a write is surely not there yet. */
const APPLY_DELAY_MS = 2000;
const WRITER = 2001;
const READER = 2002;

type Http = RunningApp['http'];

/** The value of a series of /metrics whose labels include these (any order); 0 when absent. */
async function metric(
  http: Http,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  return valueIn((await http.get('/metrics')).text, name, labels);
}

function valueIn(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  return text
    .split('\n')
    .filter((line: string) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line: string) => wanted.every((label) => line.includes(label)))
    .reduce((sum: number, line: string) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

async function until(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('reads on a streaming replica that applies commits 2 s late, two app replicas sharing Redis', () => {
  let pair: ReplicatedPostgres;
  let redis: TestRedisServer;
  let a: RunningApp;
  let b: RunningApp;
  let api: ApiClient;
  let replica: string;
  let primarySql: Client;

  const routes = (app: RunningApp, target: string, reason: string): Promise<number> =>
    metric(app.http, 'db_read_routes_total', { target, reason });

  const startApp = (env: Record<string, string> = {}): Promise<RunningApp> =>
    startAppOn({
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(pair.primary.port),
      POSTGRES_DB: 'chatbot',
      POSTGRES_USER: 'postgres',
      POSTGRES_READ_HOSTS: replica,
      POSTGRES_READ_MAX_LAG_MS: '10000',
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
      REDIS_KEY_PREFIX: 'replicas',
      ...env,
    });

  /**
   * Until the replica has replayed everything the primary has now, the apps have polled it since,
   * and find it usable.
   */
  async function replayed(): Promise<void> {
    await pair.waitForReplay(await pair.primaryLsn());
    await new Promise((resolve) => setTimeout(resolve, 3 * POLL_EVERY_MS));
    await until(
      async () => (await metric(a.http, 'db_replica_available', { replica })) === 1,
      'the replica is usable again',
    );
  }

  beforeAll(async () => {
    pair = await ReplicatedPostgres.create({ applyDelayMs: APPLY_DELAY_MS });
    await pair.primary.createMigratedDatabase('chatbot');
    replica = `127.0.0.1:${pair.replica.port}`;
    redis = await TestRedisServer.start();
    primarySql = new Client({ ...pair.primary.endpoint, database: 'chatbot' });
    await primarySql.connect();
    a = await startApp();
    b = await startApp();
    api = await ApiClient.forUsers(a.http, [WRITER, READER]);
    await replayed();
  }, 120_000);

  afterAll(async () => {
    await primarySql?.end();
    await a?.close();
    await b?.close();
    await redis?.kill();
    await pair?.destroy();
  });

  it("shows a user's write to that user's next read at once, through either app, while the replica lags", async () => {
    const conversation = await api.createConversation(WRITER, { title: 'first title' });
    await replayed();
    const path = `/api/v1/conversations/${conversation.id}`;
    const before = await routes(b, 'primary', 'own_write');

    const renamed = await a.http.patch(path).set(api.auth(WRITER)).send({ title: 'renamed' });
    expect(renamed.status).toBe(200);
    expect(await pair.hasReplayed(await pair.primaryLsn())).toBe(false);
    for (const app of [b, a]) {
      const read = await app.http.get(path).set(api.auth(WRITER));
      expect([read.status, read.body.title]).toEqual([200, 'renamed']);
      const exported = await app.http.get(`${path}/export`).set(api.auth(WRITER));
      expect([exported.status, JSON.parse(exported.text).conversation.title]).toEqual([
        200,
        'renamed',
      ]);
    }
    expect(await routes(b, 'primary', 'own_write')).toBeGreaterThan(before);

    // Once the replica has the write, the writer's reads go back to it.
    await replayed();
    const onReplica = await routes(b, replica, 'caught_up');
    const stats = await b.http.get(`${path}/stats`).set(api.auth(WRITER));
    expect(stats.status).toBe(200);
    expect(await routes(b, replica, 'caught_up')).toBe(onReplica + 1);
  }, 60_000);

  it("serves another user's read from the replica, stale until it replays and never an error", async () => {
    const conversation = await api.createConversation(READER, { title: 'as the reader left it' });
    await replayed();
    // A change the reader did not make through the service (another system, a job): nothing
    // records it for the reader, whose reads keep going to the replica.
    await primarySql.query(`UPDATE conversations SET title = 'changed elsewhere' WHERE id = $1`, [
      conversation.id,
    ]);
    const exportPath = `/api/v1/conversations/${conversation.id}/export`;
    const onReplica = await routes(b, replica, 'caught_up');
    const stale = await b.http.get(exportPath).set(api.auth(READER));
    expect([stale.status, JSON.parse(stale.text).conversation.title]).toEqual([
      200,
      'as the reader left it',
    ]);
    expect(await routes(b, replica, 'caught_up')).toBe(onReplica + 1);

    await replayed();
    const fresh = await b.http.get(exportPath).set(api.auth(READER));
    expect([fresh.status, JSON.parse(fresh.text).conversation.title]).toEqual([
      200,
      'changed elsewhere',
    ]);
  }, 60_000);

  it('searches on the replica: a route marked as only reading, in its own read transaction', async () => {
    await api.createConversation(READER, { initial_message: 'tariff classification of kimchi' });
    await replayed();
    const onReplica = await routes(a, replica, 'caught_up');
    const search = await a.http
      .post('/api/v1/conversations/search')
      .set(api.auth(READER))
      .send({ query: 'kimchi' });
    expect(search.status).toBe(200);
    expect(search.body.total_count).toBe(1);
    expect(await routes(a, replica, 'caught_up')).toBe(onReplica + 1);
  }, 60_000);

  it('moves reads to the primary with no failed request when the replica stops, and back to it once it returns', async () => {
    const conversation = await api.createConversation(READER, { title: 'read under load' });
    await replayed();
    const path = `/api/v1/conversations/${conversation.id}/stats`;
    const statuses: number[] = [];
    let running = true;
    const load = Promise.all(
      [a, b, a, b].map(async (app) => {
        while (running) statuses.push((await app.http.get(path).set(api.auth(READER))).status);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const servedBefore = statuses.length;
    await pair.stopReplica();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    running = false;
    await load;

    expect(statuses.length).toBeGreaterThan(servedBefore + 20);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    // The apps of this process share their metrics: these count both.
    expect(await metric(a.http, 'db_replica_available', { replica })).toBe(0);
    // Requests caught on the replica as it went ran again on the primary; later ones went there.
    expect(await routes(a, 'primary', 'replica_failed')).toBeGreaterThan(0);
    expect(await routes(a, 'primary', 'no_replica')).toBeGreaterThan(0);
    const stillServed = await b.http.get(path).set(api.auth(READER));
    expect(stillServed.status).toBe(200);

    await pair.startReplica();
    await replayed();
    const onReplica = await routes(b, replica, 'caught_up');
    expect((await b.http.get(path).set(api.auth(READER))).status).toBe(200);
    expect(await routes(b, replica, 'caught_up')).toBe(onReplica + 1);
  }, 90_000);

  it("keeps a user's reads on the primary while Redis cannot say where their last write is", async () => {
    const conversation = await api.createConversation(READER, { title: 'before Redis goes' });
    await replayed();
    const path = `/api/v1/conversations/${conversation.id}/stats`;
    await redis.kill();
    try {
      const before = await routes(b, 'primary', 'position_unknown');
      const read = await b.http.get(path).set(api.auth(READER));
      expect(read.status).toBe(200);
      expect(await routes(b, 'primary', 'position_unknown')).toBe(before + 1);
    } finally {
      await redis.restart();
    }
    await until(async () => {
      const onReplica = await routes(b, replica, 'caught_up');
      await b.http.get(path).set(api.auth(READER));
      return (await routes(b, replica, 'caught_up')) > onReplica;
    }, 'reads reach the replica again once Redis is back');
  }, 60_000);

  it('skips a replica further behind than POSTGRES_READ_MAX_LAG_MS, with a metric, until it catches up', async () => {
    // Every app renews its cache lease in PostgreSQL each second: with commits applied 2 s late,
    // the replica's data is always more than a second old, past this app's 300 ms. (An app of its
    // own process: the apps of this one share their metrics.)
    const strict = await startAppProcess({
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      DB_MIGRATIONS_RUN: 'false',
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(pair.primary.port),
      POSTGRES_DB: 'chatbot',
      POSTGRES_READ_HOSTS: replica,
      POSTGRES_READ_MAX_LAG_MS: '300',
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
      REDIS_KEY_PREFIX: 'replicas',
      SHUTDOWN_DRAIN_MS: '0',
    });
    const base = `http://127.0.0.1:${strict.port}`;
    const scrape = async (): Promise<string> => (await fetch(`${base}/metrics`)).text();
    const stats = async (path: string): Promise<number> =>
      (await fetch(`${base}${path}`, { headers: api.auth(READER) })).status;
    try {
      await waitForStatus(strict, '/health/ready', 200, 30_000);
      const conversation = await api.createConversation(READER, { title: 'strict' });
      const path = `/api/v1/conversations/${conversation.id}/stats`;
      await pair.waitForReplay(await pair.primaryLsn());
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const lagging = await scrape();
      expect(valueIn(lagging, 'db_replica_available', { replica })).toBe(0);
      expect(valueIn(lagging, 'db_replica_lag_seconds', { replica })).toBeGreaterThan(0.3);
      const before = valueIn(lagging, 'db_read_routes_total', {
        target: 'primary',
        reason: 'no_replica',
      });
      expect(await stats(path)).toBe(200);
      expect(
        valueIn(await scrape(), 'db_read_routes_total', {
          target: 'primary',
          reason: 'no_replica',
        }),
      ).toBe(before + 1);

      // Applying commits at once, it catches up and is read from again.
      await pair.replica.restart(['-c recovery_min_apply_delay=0']);
      await until(
        async () => valueIn(await scrape(), 'db_replica_available', { replica }) === 1,
        'the replica is usable once it applies commits at once',
      );
      expect(valueIn(await scrape(), 'db_replica_lag_seconds', { replica })).toBeLessThan(0.3);
      const onReplica = valueIn(await scrape(), 'db_read_routes_total', { target: replica });
      expect(await stats(path)).toBe(200);
      expect(valueIn(await scrape(), 'db_read_routes_total', { target: replica })).toBe(
        onReplica + 1,
      );
    } finally {
      strict.child.kill('SIGKILL');
      await strict.exited;
      await pair.replica.restart([`-c recovery_min_apply_delay=${APPLY_DELAY_MS}ms`]);
    }
  }, 90_000);
});

describe('the controllers behind JwtAuthGuard', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('each apply read routing, inside the cache interceptor where there is one', () => {
    const controllers = [...t.app.get(ModulesContainer).values()].flatMap((module) =>
      [...module.controllers.values()].map((wrapper) => wrapper.metatype as Type),
    );
    const guarded = controllers.filter((controller) =>
      (Reflect.getMetadata(GUARDS_METADATA, controller) ?? []).includes(JwtAuthGuard),
    );
    expect(guarded.length).toBeGreaterThanOrEqual(4);
    for (const controller of guarded) {
      const interceptors: unknown[] = Reflect.getMetadata(INTERCEPTORS_METADATA, controller) ?? [];
      const routing = interceptors.indexOf(ReadRoutingInterceptor);
      const cache = interceptors.indexOf(UserCacheInterceptor);
      expect([controller.name, routing >= 0, routing > cache]).toEqual([
        controller.name,
        true,
        true,
      ]);
    }
  });
});
