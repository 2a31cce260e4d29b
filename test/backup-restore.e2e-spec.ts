import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ApiClient } from './support/api-client';
import { runCli } from './support/run-cli';
import { startTestApp, type TestApp } from './support/test-app';
import { testEnvironment } from './support/test-environment';

const USER = 1401;

describe('npm run db:backup and db:restore', () => {
  const { postgres, runId } = testEnvironment();
  const restored = `chatbot_test_${runId}_restored`;
  let t: TestApp;
  let dir: string;
  const env = (database: string): Record<string, string> => ({
    POSTGRES_HOST: postgres.host,
    POSTGRES_PORT: String(postgres.port),
    POSTGRES_USER: postgres.user,
    POSTGRES_PASSWORD: postgres.password,
    POSTGRES_DB: database,
  });

  beforeAll(async () => {
    t = await startTestApp();
    dir = await mkdtemp(join(tmpdir(), 'chatbot-backups-'));
    const api = await ApiClient.forUsers(t.http, [USER]);
    for (let i = 0; i < 3; i += 1) {
      const conversation = await api.createConversation(USER, {
        title: `백업 ${i}`,
        initial_message: `질문 ${i}`,
        metadata: { tags: ['a', i], nested: { deep: true } },
      });
      await api.append(USER, conversation.id, {
        role: 'assistant',
        content: `답변 ${i} 😀`,
        agent_used: 'regulation_agent',
        routing_info: { selected_agent: 'regulation_agent', complexity: 0.5 + i },
        references: [
          { source: `law/${i}`, title: '관세법', similarity: 0.9, metadata: { page: i } },
        ],
      });
    }
  });

  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function rows(database: string, table: string): Promise<unknown[]> {
    const client = new Client({ ...postgres, database });
    await client.connect();
    try {
      return (await client.query(`SELECT * FROM ${table} ORDER BY 1`)).rows;
    } finally {
      await client.end();
    }
  }

  it('backs up to a timestamped archive and restores every row of both tables, equal to the letter', async () => {
    const backup = await runCli('db-backup.ts', ['--dir', dir], env(t.db.name));
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const names = await readdir(dir);
    const archive = names.find((name) => name.endsWith('.dump'))!;
    expect(archive).toMatch(new RegExp(`^${t.db.name}-\\d{8}T\\d{6}Z\\.dump$`));
    expect(names.sort()).toEqual([archive, `${archive}.manifest.json`, `${archive}.sha256`]);

    const restore = await runCli('db-restore.ts', [join(dir, archive)], env(restored));
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    for (const table of ['conversations', 'messages', 'idempotency_keys']) {
      const original = await rows(t.db.name, table);
      expect(original.length).toBeGreaterThan(table === 'idempotency_keys' ? -1 : 2);
      expect([table, await rows(restored, table)]).toEqual([table, original]);
    }
  });

  it('refuses to restore into a database that holds tables, unless told to replace them', async () => {
    const archive = (await readdir(dir)).find((name) => name.endsWith('.dump'))!;
    const refused = await runCli('db-restore.ts', [join(dir, archive)], env(restored));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`database ${restored} is not empty`);
    const replaced = await runCli('db-restore.ts', [join(dir, archive), '--clean'], env(restored));
    expect(replaced.code).toBe(0);
    expect(await rows(restored, 'messages')).toEqual(await rows(t.db.name, 'messages'));
  });

  it('exits non-zero with a message for a missing file, a non-archive and an unreachable server', async () => {
    const missing = await runCli('db-restore.ts', [join(dir, 'nope.dump')], env(restored));
    expect([missing.code, missing.stderr.trim()]).toEqual([
      1,
      `no such file: ${join(dir, 'nope.dump')}`,
    ]);
    const notArchive = await runCli(
      'db-restore.ts',
      [join(__dirname, '..', 'package.json')],
      env(restored),
    );
    expect(notArchive.code).toBe(1);
    expect(notArchive.stderr).toContain('is not a pg_dump custom-format archive');
    const unreachable = await runCli('db-backup.ts', ['--dir', dir], {
      ...env(t.db.name),
      POSTGRES_PORT: '1',
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(
      `backup failed: cannot reach ${postgres.host}:1/${t.db.name}: connection refused`,
    );
    expect(await readdir(dir)).toHaveLength(3);
  });
});
