import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

const ROOT = join(__dirname, '..', '..');

/** Starts one of the project's commands (src/cli/*.ts) as an operator would, with only `env` set. */
export function startCli(
  script: string,
  args: string[],
  env: Record<string, string>,
): ChildProcessWithoutNullStreams {
  return spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join('src', 'cli', script), ...args],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    },
  );
}

/** Runs a command to its end, with what it printed. */
export function runCli(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = startCli(script, args, env);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ code, stdout, stderr, elapsedMs: Date.now() - started }),
    );
  });
}
