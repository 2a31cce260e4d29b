import { join } from 'node:path';
import { Client } from 'pg';
import { ApiClient } from './support/api-client';
import { PostgresCluster } from './support/postgres-cluster';
import { startAppOn, type RunningApp } from './support/test-app';

const USER = 1501;
const ROLES_SQL = join(__dirname, '..', 'deploy', 'sql', 'roles.sql');

describe('deploy/sql/roles.sql: the app runs as a role that can only read and write rows', () => {
  let cluster: PostgresCluster;
  let t: RunningApp;

  beforeAll(async () => {
    cluster = await PostgresCluster.create();
    await cluster.createDatabase('conversations');
    const roles = [
      '-v',
      'database=conversations',
      '-v',
      'owner_password=owner-secret',
      '-v',
      'app_password=app-secret',
      '-f',
      ROLES_SQL,
    ];
    await cluster.psql('postgres', roles);
    // Safe to run again.
    await cluster.psql('postgres', roles);
    // Migrations run as the owner role, which the seed's grants allow.
    await cluster.createMigratedDatabase('conversations', 'chatbot_user', true);
    t = await startAppOn({
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(cluster.port),
      POSTGRES_DB: 'conversations',
      POSTGRES_USER: 'chatbot_app',
      POSTGRES_PASSWORD: 'app-secret',
    });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await cluster.destroy();
  });

  it('serves create, append, read and search as the runtime role', async () => {
    const api = await ApiClient.forUsers(t.http, [USER]);
    const conversation = await api.createConversation(USER, {
      initial_message: '최소 권한으로 관세율 조회',
    });
    await api.append(USER, conversation.id, {
      role: 'assistant',
      content: '조회되었습니다',
      agent_used: 'regulation_agent',
    });
    const read = await t.http.get(`/api/v1/conversations/${conversation.id}`).set(api.auth(USER));
    expect(read.status).toBe(200);
    expect(read.body.message_count).toBe(2);
    const found = await t.http
      .post('/api/v1/conversations/search')
      .set(api.auth(USER))
      .send({ query: '관세율' });
    expect(found.status).toBe(200);
    expect(found.body.total_count).toBe(1);
    expect((await t.http.get('/health/database')).status).toBe(200);
  });

  it('cannot drop, alter or create tables through that role', async () => {
    const client = new Client({
      host: '127.0.0.1',
      port: cluster.port,
      user: 'chatbot_app',
      password: 'app-secret',
      database: 'conversations',
    });
    await client.connect();
    try {
      for (const statement of [
        'DROP TABLE messages',
        'ALTER TABLE messages ADD COLUMN x int',
        'CREATE TABLE intruder (id int)',
        'TRUNCATE messages',
      ]) {
        await expect(client.query(statement)).rejects.toMatchObject({ code: '42501' });
      }
    } finally {
      await client.end();
    }
  });

  it('leaves the schema owned by the owner role', async () => {
    const owners = await cluster.psql('conversations', [
      '-At',
      '-c',
      "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'",
    ]);
    expect(owners.trim()).toBe('chatbot_user');
  });
});
