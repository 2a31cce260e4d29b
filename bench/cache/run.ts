import { benchToken, freePort, startBenchApp } from '../support/bench-app';
import { startBenchRedis } from '../support/bench-redis';
import { migratedDataSource, recreateDatabase } from '../support/bench-database';
import { percentile } from '../support/random';

const DATABASE = process.env.BENCH_CACHE_DB ?? 'chatbot_bench_cache';
const ROUNDS = 300;
const USER = 3;

/**
 * Single-request latency of the cached conversation read (50 messages): a hit, a miss (the read
 * right after a write), and every read while the app's Redis is dead, against a redis-server of
 * this benchmark's own (killed with SIGKILL). Sequential requests: latency, not throughput.
 */
async function main(): Promise<void> {
  await recreateDatabase(DATABASE);
  await (await migratedDataSource(DATABASE)).destroy();
  const redisPort = await freePort();
  let redis = startBenchRedis(redisPort);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const app = await startBenchApp(DATABASE, {
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(redisPort),
    REDIS_KEY_PREFIX: 'bench-cache',
  });
  try {
    const headers = {
      Authorization: `Bearer ${await benchToken(USER, 'messages:write:assistant')}`,
      'Content-Type': 'application/json',
    };
    const { id } = (await (
      await fetch(`${app.url}/api/v1/conversations`, { method: 'POST', headers, body: '{}' })
    ).json()) as { id: string };
    for (let i = 0; i < 5; i += 1) {
      const messages = Array.from({ length: 10 }, (_, j) => ({
        role: j % 2 ? 'assistant' : 'user',
        content: `관세율 문의 ${i * 10 + j} `.repeat(8),
      }));
      await fetch(`${app.url}/api/v1/conversations/${id}/messages`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ messages }),
      });
    }
    const read = `${app.url}/api/v1/conversations/${id}/messages?limit=50`;
    const timed = async (): Promise<{ ms: number; cache: string | null; status: number }> => {
      const started = performance.now();
      const response = await fetch(read, { headers });
      await response.arrayBuffer();
      return {
        ms: performance.now() - started,
        cache: response.headers.get('x-cache'),
        status: response.status,
      };
    };
    const write = async (round: number): Promise<number> => {
      const started = performance.now();
      const response = await fetch(`${app.url}/api/v1/conversations/${id}`, {
        method: 'PATCH',
        headers,
        body: JSON.stringify({ metadata: { round } }),
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`write answered ${response.status}`);
      return performance.now() - started;
    };
    const hits: number[] = [];
    const misses: number[] = [];
    const writes: number[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      writes.push(await write(i));
      const miss = await timed();
      const hit = await timed();
      if (miss.cache !== 'MISS' || hit.cache !== 'HIT')
        throw new Error(`unexpected ${miss.cache}/${hit.cache}`);
      misses.push(miss.ms);
      hits.push(hit.ms);
    }
    redis.kill('SIGKILL');
    await new Promise((resolve) => redis.once('exit', resolve));
    const down: number[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      const outcome = await timed();
      if (outcome.status !== 200) throw new Error(`status ${outcome.status} with Redis down`);
      down.push(outcome.ms);
    }
    // Each of these records its invalidation in PostgreSQL (the cache fence) before answering.
    const writesDown: number[] = [];
    for (let i = 0; i < ROUNDS; i += 1) writesDown.push(await write(ROUNDS + i));
    redis = startBenchRedis(redisPort);
    const row = (name: string, values: number[]): string =>
      `| ${name} | ${percentile(values, 50).toFixed(2)} | ${percentile(values, 95).toFixed(2)} | ${Math.max(...values).toFixed(2)} |`;
    console.log(
      `\nCache latency, ${new Date().toISOString()}: conversation of 50 messages, ${ROUNDS} sequential reads each\n`,
    );
    console.log('| read | p50 ms | p95 ms | max ms |\n|---|---|---|---|');
    console.log(row('hit (Redis)', hits));
    console.log(row('miss (PostgreSQL, then fill)', misses));
    console.log(row('Redis dead (PostgreSQL, breaker)', down));
    console.log('\n| write (PATCH) | p50 ms | p95 ms | max ms |\n|---|---|---|---|');
    console.log(row('Redis up (version replaced in Redis)', writes));
    console.log(row('Redis dead (invalidation recorded in PostgreSQL)', writesDown));
    console.log(
      `\nadded by a dead Redis: p50 ${(percentile(down, 50) - percentile(misses, 50)).toFixed(2)} ms, worst request ${(Math.max(...down) - percentile(misses, 50)).toFixed(2)} ms over a miss's p50`,
    );
  } finally {
    await app.stop();
    redis.kill('SIGKILL');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
