import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { promisify } from 'node:util';
import { freePort } from './app-process';

const run = promisify(execFile);

export interface RedisServerOptions {
  /** Default: a free one. */
  port?: number;
  /** Settings after the defaults: cluster or replication, say. */
  args?: string[];
  /** A configuration file read first: a sentinel needs one it can rewrite. */
  configFile?: string;
}

/**
 * A redis-server owned by one test, on a free loopback port, that the test may kill and start
 * again on the same port. The shared Redis on 6379 is never touched.
 */
export class TestRedisServer {
  private process: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<TestRedisServer> {
    const server = new TestRedisServer(options.port ?? (await freePort()), options);
    await server.restart();
    return server;
  }

  get running(): boolean {
    return this.process !== null;
  }

  /** Starts it (again), with other settings when given (kept for later restarts). */
  async restart(args?: string[]): Promise<void> {
    if (args) this.options.args = args;
    const { configFile, args: settings = [] } = this.options;
    this.process = spawn(
      'redis-server',
      [
        ...(configFile ? [configFile] : []),
        ...['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        ...settings,
      ],
      {
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 5_000;
    while (!(await redisAnswers('127.0.0.1', this.port))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not start on ${this.port}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills it the hard way, as a crash or a lost node would. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = null;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/** Whether a Redis answers PING at this address within a second. */
export function redisAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (up: boolean): void => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** Runs redis-cli against a loopback port; resolves with what it printed. */
export async function redisCli(port: number, args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 30_000,
  });
  return stdout.trim();
}
