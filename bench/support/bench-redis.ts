import { spawn, type ChildProcess } from 'node:child_process';

/** A redis-server of the benchmark's own on a loopback port, without persistence. */
export function startBenchRedis(port: number): ChildProcess {
  return spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
}
