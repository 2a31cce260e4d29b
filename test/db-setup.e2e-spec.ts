import { createServer, type Server } from 'node:net';
import { Client } from 'pg';
import { runCli } from './support/run-cli';
import { testEnvironment } from './support/test-environment';

describe('npm run db:setup', () => {
  const { postgres, runId } = testEnvironment();
  const database = `chatbot_test_${runId}_setup`;
  const env = {
    POSTGRES_HOST: postgres.host,
    POSTGRES_PORT: String(postgres.port),
    POSTGRES_USER: postgres.user,
    POSTGRES_PASSWORD: postgres.password,
    POSTGRES_DB: database,
  };

  afterAll(async () => {
    const admin = new Client({ ...postgres, database: 'postgres' });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  });

  it('creates and migrates a fresh database, and a second run changes nothing and exits 0', async () => {
    const first = await runCli('db-setup.ts', [], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`created database ${database}`);
    expect(first.stdout).toContain('applied InitialSchema');

    const second = await runCli('db-setup.ts', [], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('schema already up to date');
    expect(second.stdout).toContain(`database ${database} is ready`);
  });

  it('--test against a closed port exits non-zero quickly with a message a person understands', async () => {
    const closedPort = await reserveClosedPort();
    const result = await runCli('db-setup.ts', ['--test'], {
      ...env,
      POSTGRES_PORT: String(closedPort),
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`PostgreSQL: FAILED at ${postgres.host}:${closedPort}`);
    expect(result.stderr).toContain('connection refused: is PostgreSQL running');
    expect(result.elapsedMs).toBeLessThan(10_000);
  });

  it('--test against a server that accepts and never answers gives up within the connection timeout', async () => {
    const silent = await silentServer();
    try {
      const port = (silent.address() as { port: number }).port;
      const result = await runCli('db-setup.ts', ['--test'], {
        ...env,
        POSTGRES_PORT: String(port),
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('PostgreSQL: FAILED');
      expect(result.elapsedMs).toBeLessThan(10_000);
    } finally {
      silent.close();
    }
  });

  it('--test against the running server exits 0', async () => {
    const result = await runCli('db-setup.ts', ['--test'], { ...env, POSTGRES_DB: 'postgres' });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/PostgreSQL: ok \(\d+/);
  });

  it('--info never prints a password', async () => {
    const password = 'pa55-word-that-must-not-leak';
    const result = await runCli('db-setup.ts', ['--info'], {
      ...env,
      POSTGRES_PASSWORD: password,
      REDIS_HOST: '127.0.0.1',
      REDIS_PASSWORD: password,
      AUTH_JWT_SECRET: password,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `postgres: ${postgres.user}@${postgres.host}:${postgres.port}/${database} (password set`,
    );
    expect(result.stdout + result.stderr).not.toContain(password);
  });

  it('refuses an unknown option with its usage and exit code 2', async () => {
    const result = await runCli('db-setup.ts', ['--frobnicate'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: npm run db:setup');
  });
});

/** A port nothing listens on: bound, then closed, so a connection is refused. */
function reserveClosedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Accepts connections and never says a word, like a hung server. */
function silentServer(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer(() => undefined);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
