import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from '../src/config/load-config';
import { startAppProcess, waitForStatus } from './support/app-process';

const NOBODY = { uid: 65534, gid: 65534 };
const runningAsRoot = process.getuid?.() === 0;

describe('with POSTGRES_HOST unset', () => {
  it('starts an embedded PostgreSQL, migrates it, serves /health/ready 200, and stops it on SIGTERM', async () => {
    await bootsOnEmbeddedPostgres();
  }, 90_000);

  // As root the server runs as the `postgres` OS user; as anyone else, as that user.
  (runningAsRoot ? it : it.skip)(
    'does the same as an ordinary user (nobody)',
    async () => {
      await bootsOnEmbeddedPostgres(NOBODY);
    },
    90_000,
  );

  it('is refused in production', () => {
    expect(() => buildConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32) })).toThrow(
      /POSTGRES_HOST: required in production/,
    );
  });
});

async function bootsOnEmbeddedPostgres(user?: { uid: number; gid: number }): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'chatbot-embedded-'));
  if (user) await chown(dataDir, user.uid, user.gid);
  const app = await startAppProcess(
    { DATA_DIR: dataDir, LOG_LEVEL: 'info', SHUTDOWN_DRAIN_MS: '200' },
    user,
  );
  try {
    await waitForStatus(app, '/health/ready', 200, 60_000);
    const line = app
      .output()
      .split('\n')
      .find((text) => text.includes('serving on port'));
    expect(line).toContain('database: embedded PostgreSQL');
    expect(line).toContain('cache: in-process memory');
    const embeddedPort = Number(/127\.0\.0\.1:(\d+)\//.exec(line ?? '')?.[1]);
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    await expect(connectTo(embeddedPort)).rejects.toThrow(/ECONNREFUSED/);
  } finally {
    app.child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
}

function connectTo(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}
