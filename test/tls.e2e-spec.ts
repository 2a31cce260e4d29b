import { execFileSync } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { DataSource } from 'typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { startAppProcess } from './support/app-process';
import { PostgresCluster } from './support/postgres-cluster';
import { TestCertificateAuthority, type ServerCertificate } from './support/test-certificates';
import { startAppOn, type RunningApp } from './support/test-app';
import { TEST_JWT_SECRET } from './support/tokens';

/** What the app's own connection says about itself in pg_stat_ssl. */
async function connectionSsl(t: RunningApp): Promise<{ ssl: boolean; version: string | null }> {
  const dataSource = t.app.get<DataSource>(getDataSourceToken());
  const [row] = await dataSource.query(
    'SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
  );
  return row;
}

describe('TLS to PostgreSQL', () => {
  let cluster: PostgresCluster;
  let trusted: TestCertificateAuthority;
  let stranger: TestCertificateAuthority;
  let refused: { otherHost: ServerCertificate; otherCa: ServerCertificate };
  const sslFor = ({ cert, key }: ServerCertificate): string[] => [
    '-c ssl=on',
    `-c ssl_cert_file=${cert}`,
    `-c ssl_key_file=${key}`,
  ];

  beforeAll(async () => {
    cluster = await PostgresCluster.create();
    await cluster.createMigratedDatabase('conversations');
    const root = process.getuid?.() === 0;
    const owner = root
      ? {
          uid: Number(execFileSync('id', ['-u', 'postgres']).toString()),
          gid: Number(execFileSync('id', ['-g', 'postgres']).toString()),
        }
      : undefined;
    trusted = await TestCertificateAuthority.create('trusted', cluster.dataDir);
    stranger = await TestCertificateAuthority.create('stranger', cluster.dataDir);
    await chmod(cluster.dataDir, 0o755);
    await cluster.restart(
      sslFor(await trusted.issue('localhost', ['localhost', '127.0.0.1'], owner)),
    );
    refused = {
      otherHost: await trusted.issue('other-host', ['db.other.example'], owner),
      otherCa: await stranger.issue('stranger-localhost', ['localhost'], owner),
    };
  }, 60_000);

  afterAll(async () => {
    await cluster.destroy();
  });

  const env = (mode: string, ca?: string): Record<string, string> => ({
    POSTGRES_HOST: 'localhost',
    POSTGRES_PORT: String(cluster.port),
    POSTGRES_DB: 'conversations',
    POSTGRES_SSL_MODE: mode,
    ...(ca ? { POSTGRES_SSL_CA: ca } : {}),
  });

  it('verify-full connects when the certificate names the host and comes from POSTGRES_SSL_CA, and pg_stat_ssl shows it encrypted', async () => {
    const t = await startAppOn(env('verify-full', trusted.certPath));
    try {
      expect(await connectionSsl(t)).toMatchObject({
        ssl: true,
        version: expect.stringMatching(/^TLSv1\.[23]$/),
      });
      expect((await t.http.get('/health/ready')).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('require encrypts without checking the certificate', async () => {
    const t = await startAppOn(env('require'));
    try {
      expect((await connectionSsl(t)).ssl).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('disable stays in clear text (the control)', async () => {
    const t = await startAppOn(env('disable'));
    try {
      expect((await connectionSsl(t)).ssl).toBe(false);
    } finally {
      await t.close();
    }
  });

  async function bootFails(): Promise<string> {
    const app = await startAppProcess({
      ...env('verify-full', trusted.certPath),
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'error',
    });
    const started = Date.now();
    const code = await app.exited;
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    return app.output();
  }

  it('refuses at boot, with a clear message, a certificate for another host name', async () => {
    await cluster.restart(sslFor(refused.otherHost));
    const output = await bootFails();
    expect(output).toContain(
      "cannot use PostgreSQL: TLS refused: the server's certificate does not name POSTGRES_HOST",
    );
  }, 40_000);

  it('refuses at boot, with a clear message, a certificate from another CA', async () => {
    await cluster.restart(sslFor(refused.otherCa));
    const output = await bootFails();
    expect(output).toContain(
      "cannot use PostgreSQL: TLS refused: the server's certificate is not signed by the CA in POSTGRES_SSL_CA",
    );
  }, 40_000);
});
