import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { createApp } from '../../src/app.factory';
import type { CacheStore } from '../../src/cache/cache-store';
import { CACHE_STORE } from '../../src/cache/session-cache.service';
import { buildConfig } from '../../src/config/load-config';
import { endpointOf } from '../../src/database/data-source-options';
import { ReadReplicas } from '../../src/read-routing/read-replicas';
import { ReadRouter } from '../../src/read-routing/read-router';
import { TestRedisServer } from '../../test/support/redis-server';
import { ReplicatedPostgres } from '../../test/support/replicated-postgres';
import { BENCH_JWT_SECRET, benchToken, startBenchApp, type BenchApp } from '../support/bench-app';
import { runLoad, type LoadResult } from '../support/load';
import { percentile } from '../support/random';

const DATABASE = 'chatbot';
const USER = 11;
const CONVERSATIONS = 20;
const MESSAGES = 100;
const CONNECTIONS = 50;
const CHECKS = 20_000;
const SEQUENTIAL = 500;
const CONTENT =
  '관세율 조회 방법을 알려주세요. The customs tariff for HS 8471.30 is 0% under the FTA.';
// A page that is never cached (not the first one): every request reads PostgreSQL.
const PAGE = '?limit=50&offset=50';

/**
 * Read throughput of the production build on a test-owned primary alone, and with a streaming
 * replica of it (POSTGRES_READ_HOSTS), in alternating rounds of the same run; then the cost of the
 * read-your-writes check per read (ReadRouter.routeRead: the position in Redis, the replicas'
 * positions in memory) against a bare Redis GET on the same connection, and of recording a
 * write's position (one query on the primary, one script in Redis).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const pair = await ReplicatedPostgres.create();
  const redis = await TestRedisServer.start();
  const apps: BenchApp[] = [];
  try {
    await pair.primary.createMigratedDatabase(DATABASE);
    const env = {
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(pair.primary.port),
      POSTGRES_USER: 'postgres',
      POSTGRES_PASSWORD: '',
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
      REDIS_KEY_PREFIX: 'bench-replicas',
    };
    const replica = `127.0.0.1:${pair.replica.port}`;
    const primaryOnly = await startBenchApp(DATABASE, env);
    apps.push(primaryOnly);
    const withReplica = await startBenchApp(DATABASE, { ...env, POSTGRES_READ_HOSTS: replica });
    apps.push(withReplica);

    const headers = {
      Authorization: `Bearer ${await benchToken(USER, 'messages:write:assistant')}`,
      'Content-Type': 'application/json',
    };
    const ids = await load(primaryOnly.url, headers);
    await pair.waitForReplay(await pair.primaryLsn());
    await new Promise((resolve) => setTimeout(resolve, 1000));
    let next = 0;
    const path = (): string => `/api/v1/conversations/${ids[next++ % ids.length]}/messages${PAGE}`;
    const measure = (app: BenchApp): Promise<LoadResult> =>
      runLoad({ url: app.url, connections: CONNECTIONS, seconds, headers, path });

    await measure(primaryOnly);
    await measure(withReplica);
    const results = { primary: [] as LoadResult[], replica: [] as LoadResult[] };
    for (let round = 0; round < rounds; round += 1) {
      results.primary.push(await measure(primaryOnly));
      results.replica.push(await measure(withReplica));
    }
    const sequential = {
      primary: await oneByOne(primaryOnly.url, headers, path),
      replica: await oneByOne(withReplica.url, headers, path),
    };
    const routed = await routesOf(withReplica.url);

    const check = await checkCost({ ...env, POSTGRES_DB: DATABASE, POSTGRES_READ_HOSTS: replica });

    console.log(
      `\nRead replicas benchmark, ${new Date().toISOString()}: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, a primary and a streaming replica (test-owned, same machine), ${CONVERSATIONS} conversations of ${MESSAGES} messages, page 2 of 50 (uncached), ${CONNECTIONS} connections, ${rounds} rounds of ${seconds} s each\n`,
    );
    console.log(
      `| reads go to | req/s (mean of rounds) | rounds req/s | p50 / p99 ms | errors + non-2xx | one at a time: p50 / p99 ms (${SEQUENTIAL} requests) |`,
    );
    console.log('|---|---|---|---|---|---|');
    for (const [name, runs, alone] of [
      ['the primary alone', results.primary, sequential.primary],
      ['the replica (read-your-writes check on)', results.replica, sequential.replica],
    ] as const) {
      const mean = runs.reduce((sum, run) => sum + run.requestsPerSecond, 0) / runs.length;
      const p50 = percentile(
        runs.map((run) => run.p50),
        50,
      );
      const p99 = percentile(
        runs.map((run) => run.p99),
        50,
      );
      const failed = runs.reduce((sum, run) => sum + run.errors + run.non2xx, 0);
      const perRound = runs.map((run) => run.requestsPerSecond.toFixed(0)).join(', ');
      console.log(
        `| ${name} | ${mean.toFixed(0)} | ${perRound} | ${p50} / ${p99} | ${failed} | ${percentile(alone, 50).toFixed(2)} / ${percentile(alone, 99).toFixed(2)} |`,
      );
    }
    const ratio =
      results.replica.reduce((sum, run) => sum + run.requestsPerSecond, 0) /
      results.primary.reduce((sum, run) => sum + run.requestsPerSecond, 0);
    console.log(`\nwith the replica / primary alone: ${(ratio * 100).toFixed(0)}%`);
    console.log(`reads of the replica app by route: ${routed}`);
    console.log(`\n| per request | p50 us | p99 us | mean us |\n|---|---|---|---|`);
    for (const [name, samples] of Object.entries(check)) {
      console.log(
        `| ${name} | ${percentile(samples, 50).toFixed(0)} | ${percentile(samples, 99).toFixed(0)} | ${(samples.reduce((sum, value) => sum + value, 0) / samples.length).toFixed(0)} |`,
      );
    }
    const ratioOfCheck =
      percentile(check['read-your-writes check (routeRead)'], 50) /
      percentile(check['baseline: one Redis GET, same connection'], 50);
    console.log(`\ncheck / bare GET at p50: ${(ratioOfCheck * 100).toFixed(0)}%`);
  } finally {
    for (const app of apps) await app.stop();
    await redis.kill();
    await pair.destroy();
  }
}

/** The user's conversations, each with its messages, written through the API; their ids. */
async function load(url: string, headers: Record<string, string>): Promise<string[]> {
  const ids: string[] = [];
  for (let c = 0; c < CONVERSATIONS; c += 1) {
    const created = await fetch(`${url}/api/v1/conversations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ title: `conversation ${c}` }),
    });
    const { id } = (await created.json()) as { id: string };
    for (let m = 0; m < MESSAGES; m += 10) {
      const messages = Array.from({ length: 10 }, (_, j) => ({
        role: j % 2 ? 'assistant' : 'user',
        content: `${CONTENT} ${m + j}`,
      }));
      const appended = await fetch(`${url}/api/v1/conversations/${id}/messages`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ messages }),
      });
      if (appended.status !== 201) throw new Error(`append answered ${appended.status}`);
    }
    ids.push(id);
  }
  return ids;
}

/** Latencies of requests sent one after another, in milliseconds. */
async function oneByOne(
  url: string,
  headers: Record<string, string>,
  path: () => string,
): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i += 1) {
    const started = performance.now();
    const response = await fetch(`${url}${path()}`, { headers });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`a read answered ${response.status}`);
    latencies.push(performance.now() - started);
  }
  return latencies;
}

async function routesOf(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('db_read_routes_total{'))
    .map((line) => line.replace('db_read_routes_total', ''))
    .join(', ');
}

/**
 * The read-your-writes check in this process, on the same wiring as the app (createApp), timed
 * call by call: the routing of a read (the reader's position asked of Redis, compared with the
 * replicas' in memory), and the recording of a write's position.
 */
async function checkCost(env: Record<string, string>): Promise<Record<string, number[]>> {
  const config = buildConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    AUTH_JWT_SECRET: BENCH_JWT_SECRET,
    ...env,
  });
  const context = await createApp(config, endpointOf(config.postgres));
  await context.init();
  try {
    const router = context.get(ReadRouter);
    const replicas = context.get(ReadReplicas);
    const redis = context.get<CacheStore>(CACHE_STORE).redis!;
    while (replicas.usable().length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    const timed = async (work: () => Promise<unknown>): Promise<number[]> => {
      for (let i = 0; i < 1000; i += 1) await work();
      const samples: number[] = [];
      for (let i = 0; i < CHECKS; i += 1) {
        const started = performance.now();
        await work();
        samples.push((performance.now() - started) * 1000);
      }
      return samples;
    };
    const reader = 1_000_001;
    const writer = 1_000_002;
    const routeOf = async (userId: number): Promise<string> =>
      (await router.routeRead(userId)).target;
    if ((await routeOf(reader)) === 'primary')
      throw new Error('the reader was not routed to the replica');
    return {
      'baseline: one Redis GET, same connection': await timed(() =>
        redis.commands.get(`bench-replicas:{u:${reader}}:wal`),
      ),
      'read-your-writes check (routeRead)': await timed(() => router.routeRead(reader)),
      'record a write (query on the primary + Redis script)': await timed(() =>
        router.recordWrite(writer),
      ),
    };
  } finally {
    await context.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
