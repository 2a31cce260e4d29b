import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  BENCH_JWT_SECRET,
  BENCH_RATE_LIMIT_PER_MINUTE,
  benchPostgresEnv,
  freePort,
  superviseProcess,
  type BenchApp,
} from '../../support/bench-app';

const ROOT = join(__dirname, '..', '..', '..');
/** Where the peer is compiled to: under the repository, so that its imports find node_modules. */
const OUT_DIR = join(ROOT, 'dist', 'bench-peer');
/** The service's pool: POSTGRES_POOL_SIZE + POSTGRES_MAX_OVERFLOW, defaults 10 + 20 (src/config/environment.ts). */
const SERVICE_POOL_MAX = 10 + 20;
/** The service's default CACHE_TTL_SECONDS. */
const SERVICE_CACHE_TTL_SECONDS = 3600;

let compiled: Promise<unknown> | undefined;

/**
 * The peer (server.ts) in a process of its own, compiled to JavaScript first as the service is:
 * run through ts-node, the process would also hold the TypeScript compiler, and its resident
 * set size would not compare with the service's. `--noCheck`: tsc -p tsconfig.json checks it.
 */
export async function startBenchPeer(
  database: string,
  redis: { REDIS_HOST: string; REDIS_PORT: string },
  env: Record<string, string> = {},
): Promise<BenchApp> {
  compiled ??= promisify(execFile)(process.execPath, [
    join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
    '--ignoreConfig',
    '--noCheck',
    '--module',
    'node20',
    '--moduleResolution',
    'node16',
    '--target',
    'ES2023',
    '--esModuleInterop',
    '--skipLibCheck',
    '--rootDir',
    ROOT,
    '--outDir',
    OUT_DIR,
    join(__dirname, 'server.ts'),
  ]);
  await compiled;
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [join(OUT_DIR, 'bench', 'http', 'peer', 'server.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: String(port),
      ...benchPostgresEnv(database),
      POSTGRES_POOL_MAX: String(SERVICE_POOL_MAX),
      REDIS_URL: `redis://${redis.REDIS_HOST}:${redis.REDIS_PORT}`,
      // A prefix of this run: no entry cached by an earlier run (other data) is ever read.
      PEER_KEY_PREFIX: `bench-peer-${randomBytes(4).toString('hex')}`,
      AUTH_JWT_SECRET: BENCH_JWT_SECRET,
      RATE_LIMIT_PER_MINUTE: BENCH_RATE_LIMIT_PER_MINUTE,
      CACHE_TTL_SECONDS: String(SERVICE_CACHE_TTL_SECONDS),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return superviseProcess(child, `http://127.0.0.1:${port}`, started);
}
