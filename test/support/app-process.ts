import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../src/common/free-port';

export { freePort };

export interface AppProcess {
  child: ChildProcess;
  port: number;
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

const ROOT = join(__dirname, '..', '..');

/** Starts `src/main.ts` in a process of its own, as `npm start` would, with only `env` set. */
export async function startAppProcess(
  env: Record<string, string>,
  user?: { uid: number; gid: number },
): Promise<AppProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join('src', 'main.ts')],
    {
      cwd: ROOT,
      ...user,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        PORT: String(port),
        ...env,
      },
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, port, output: () => output, exited };
}

/** Polls a URL until it answers `status`; fails after `timeoutMs` or when the process exits. */
export async function waitForStatus(
  app: AppProcess,
  path: string,
  status: number,
  timeoutMs: number,
): Promise<number> {
  const url = `http://127.0.0.1:${app.port}${path}`;
  const started = Date.now();
  let exitCode: number | null | undefined;
  void app.exited.then((code) => (exitCode = code));
  while (Date.now() - started < timeoutMs) {
    if (exitCode !== undefined)
      throw new Error(`the app exited (${exitCode}) before ${url} answered:\n${app.output()}`);
    try {
      const response = await fetch(url);
      if (response.status === status) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms`);
}
