import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../src/common/free-port';

export { freePort };
import { SignJWT } from 'jose';
import { BENCH_SERVER } from './bench-database';

export const BENCH_JWT_SECRET = 'benchmark-secret-benchmark-secret-benchmark';
/** Requests a user may make in a minute: high enough that no benchmark run meets it. */
export const BENCH_RATE_LIMIT_PER_MINUTE = '100000000';
const ROOT = join(__dirname, '..', '..');

export interface BenchApp {
  url: string;
  pid: number;
  /** Milliseconds from spawn to the first 200 of /health/ready. */
  bootMs: number;
  /** Highest resident set size seen since boot (or since `resetPeak`), in bytes. */
  peakRss(): number;
  /** The resident set size now, in bytes. */
  rss(): number;
  resetPeak(): void;
  stop(): Promise<void>;
}

/**
 * The production build (dist/, `npm run build` first) in a process of its own, as deployed: one
 * process, Fastify, real PostgreSQL and (when given) Redis.
 */
export async function startBenchApp(
  database: string,
  env: Record<string, string> = {},
): Promise<BenchApp> {
  const port = await freePort();
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      ...benchPostgresEnv(database),
      AUTH_JWT_SECRET: BENCH_JWT_SECRET,
      RATE_LIMIT_PER_MINUTE: BENCH_RATE_LIMIT_PER_MINUTE,
      SHUTDOWN_DRAIN_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return superviseProcess(child, `http://127.0.0.1:${port}`, started);
}

/** The benchmark's PostgreSQL server and `database`, as the service (and the peer) read them. */
export function benchPostgresEnv(database: string): Record<string, string> {
  return {
    POSTGRES_HOST: BENCH_SERVER.host,
    POSTGRES_PORT: String(BENCH_SERVER.port),
    POSTGRES_USER: BENCH_SERVER.user,
    POSTGRES_PASSWORD: BENCH_SERVER.password,
    POSTGRES_DB: database,
  };
}

/**
 * A benchmarked server process once it answers 200 on `/health/ready`: its boot time, and its
 * resident set size sampled every 100 ms until it is stopped.
 */
export async function superviseProcess(
  child: ChildProcess,
  url: string,
  started: number,
): Promise<BenchApp> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the process exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const bootMs = performance.now() - started;
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, readRss(child.pid!));
  }, 100);
  return {
    url,
    pid: child.pid!,
    bootMs,
    peakRss: () => Math.max(peak, readRss(child.pid!)),
    rss: () => readRss(child.pid!),
    resetPeak: () => {
      peak = readRss(child.pid!);
    },
    async stop(): Promise<void> {
      clearInterval(sampler);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function readRss(pid: number): number {
  try {
    const status = require('node:fs').readFileSync(`/proc/${pid}/status`, 'utf8') as string;
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** A user's token, or with `conversations:act-as` or `stats:read` a service's, named by `subject`. */
export function benchToken(subject: number | string, scope?: string): Promise<string> {
  return new SignJWT(scope ? { scope } : {})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(subject))
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(BENCH_JWT_SECRET));
}
