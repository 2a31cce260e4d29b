import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchToken, startBenchApp } from '../support/bench-app';
import { runLoad, type LoadOptions } from '../support/load';
import { startBenchPeer } from './peer/start-peer';

const DATABASE = process.env.BENCH_HTTP_DB ?? 'chatbot_bench_http';
const USER = 7;
const LIST_USER = 8;

/**
 * A CPU profile of one `bench/http` scenario: the production build (or, with `--server peer`,
 * the hand-written peer) under `node --cpu-prof`, the scenario's load for `--seconds`, then a
 * clean stop, which writes the `.cpuprofile` (open it in
 * Chrome DevTools or speedscope). Reads the data set `npm run bench` loaded; profiles go to
 * `--out`, outside the repository.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'cached' },
      server: { type: 'string', default: 'service' },
      seconds: { type: 'string', default: '10' },
      out: { type: 'string', default: '/tmp/chatbot-profiles' },
    },
  });
  const out = join(values.out!, `${values.server}-${values.scenario}`);
  mkdirSync(out, { recursive: true });
  const redis = {
    REDIS_HOST: process.env.BENCH_REDIS_HOST ?? '127.0.0.1',
    REDIS_PORT: process.env.BENCH_REDIS_PORT ?? '6379',
  };
  const profiling = { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${out}` };
  const app =
    values.server === 'peer'
      ? await startBenchPeer(DATABASE, redis, profiling)
      : await startBenchApp(DATABASE, { ...redis, ...profiling });
  try {
    const load = await scenario(values.scenario!, app.url);
    await runLoad({ ...load, seconds: 2 });
    const result = await runLoad({ ...load, seconds: Number(values.seconds) });
    console.log(
      `${values.scenario}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50} / p99 ${result.p99} ms, ${result.errors + result.non2xx} errors, peak RSS ${(app.peakRss() / 2 ** 20).toFixed(0)} MiB`,
    );
  } finally {
    await app.stop();
  }
  console.log(`profile: ${join(out, readdirSync(out).sort().at(-1)!)}`);
}

async function scenario(name: string, url: string): Promise<LoadOptions> {
  const auth = { Authorization: `Bearer ${await benchToken(USER, 'messages:write:assistant')}` };
  const page = `${url}/api/v1/conversations/conv_page50/messages?limit=50`;
  switch (name) {
    case 'cached':
      return { url: page, headers: auth };
    case 'uncached':
      return { url: `${page}&after_seq=0`, headers: auth };
    case 'list':
      return {
        url: `${url}/api/v1/conversations?limit=20&offset=0&archived=false`,
        headers: { Authorization: `Bearer ${await benchToken(LIST_USER)}` },
      };
    case 'append': {
      let next = 0;
      return {
        url,
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        path: () => `/api/v1/conversations/conv_append_${(next += 1) % 200}/messages`,
        body: '{"role":"user","content":"관세율 조회 방법을 알려주세요"}',
      };
    }
    default:
      throw new Error(`unknown scenario ${name}: cached, uncached, list or append`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
