import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { searchTerms } from '../src/conversations/messages/search-terms';
import { buildConfig } from '../src/config/load-config';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { MIGRATIONS } from '../src/database/migrations';
import { testEnvironment } from './support/test-environment';
import { createTestDatabase, type TestDatabase } from './support/test-database';

/** The app's own data source on a test database, migrations not run at initialisation. */
async function connectTo(db: TestDatabase): Promise<DataSource> {
  const { postgres } = testEnvironment();
  const config = buildConfig({
    POSTGRES_HOST: postgres.host,
    POSTGRES_PORT: String(postgres.port),
    POSTGRES_USER: postgres.user,
    POSTGRES_PASSWORD: postgres.password,
    POSTGRES_DB: db.name,
    DB_MIGRATIONS_RUN: 'false',
  });
  const dataSource = new DataSource(buildDataSourceOptions(config.postgres));
  await dataSource.initialize();
  return dataSource;
}

const TABLES = [
  'agent_daily_conversations',
  'agent_daily_stats',
  'conversations',
  'idempotency_keys',
  'message_feedback',
  'messages',
];

describe('migrations', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await connectTo(db);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  async function tables(): Promise<string[]> {
    const rows: Array<{ name: string }> = await dataSource.query(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY 1`,
    );
    return rows.map((row) => row.name);
  }

  it('run down to nothing and up again cleanly', async () => {
    expect(await tables()).toEqual(TABLES);
    for (let i = 0; i < MIGRATIONS.length; i += 1) await dataSource.undoLastMigration();
    expect(await tables()).toEqual([]);
    const applied = await dataSource.runMigrations();
    expect(applied.map((migration) => migration.name)).toEqual(
      MIGRATIONS.map((migration) => migration.name),
    );
    expect(await tables()).toEqual(TABLES);
  });

  it('leave nothing for a new migration to generate (entities and migrations cannot drift)', async () => {
    const sqlInMemory = await dataSource.driver.createSchemaBuilder().log();
    expect(sqlInMemory.upQueries.map((query) => query.query)).toEqual([]);
  });
});

describe('the SearchTerms migration (frozen SQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await connectTo(db);
    for (let i = 0; i < MIGRATIONS.length; i += 1) await dataSource.undoLastMigration();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  it("backfills rows written before it with exactly the application's search terms", async () => {
    const [initialSchema] = MIGRATIONS;
    const onlyInitial = new DataSource({ ...dataSource.options, migrations: [initialSchema] });
    await onlyInitial.initialize();
    await onlyInitial.runMigrations();
    await onlyInitial.destroy();
    // Korean runs, English words, digits, and the characters whose Unicode lower case or NFC form
    // could differ between JavaScript and PostgreSQL.
    const pieces = [
      '관세율',
      '수입신고서를',
      '가',
      'FTA협정',
      'Customs',
      'HS',
      '8471',
      ' ',
      '\n',
      '.',
      '😀',
      'İ',
      'I\u0307',
      '\u212a',
      'e\u0301',
      '\u1100\u1161',
      'ㄱ',
      'ß',
      'Σ',
      'Ａ',
      '１',
      '_',
      'x'.repeat(64),
      'y'.repeat(65),
      '\u00a0',
    ];
    const contents = fc.sample(
      fc
        .array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 12 })
        .map((parts) => parts.join('')),
      { numRuns: 2000, seed: 20261201 },
    );
    await dataSource.query(
      `INSERT INTO conversations (id, user_id, title) VALUES ('conv_terms', 1, 't')`,
    );
    await dataSource.query(
      `INSERT INTO messages (id, conversation_id, user_id, seq, role, content)
       SELECT 'msg_' || lpad(i::text, 6, '0'), 'conv_terms', 1, i, 'user', content
       FROM unnest($1::text[]) WITH ORDINALITY AS u(content, i)`,
      [contents],
    );
    await dataSource.runMigrations();
    const rows: Array<{ content: string; search_terms: string[] }> = await dataSource.query(
      `SELECT content, search_terms FROM messages ORDER BY id`,
    );
    expect(rows).toHaveLength(contents.length);
    const differing = rows.filter(
      (row) => JSON.stringify(row.search_terms) !== JSON.stringify(searchTerms(row.content)),
    );
    expect(differing).toEqual([]);
  });
});

describe('the FeedbackUsageAgentStats migration (frozen SQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await connectTo(db);
    await dataSource.undoLastMigration();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  it("counts the assistant messages written before it into the agents' rollup", async () => {
    expect(MIGRATIONS.at(-1)?.name).toBe('FeedbackUsageAgentStats1796120777314');
    await dataSource.query(
      `INSERT INTO conversations (id, user_id, title) VALUES ('conv_a', 1, 'a'), ('conv_b', 2, 'b')`,
    );
    await dataSource.query(
      `INSERT INTO messages (id, conversation_id, user_id, seq, role, content, agent_used, timestamp) VALUES
       ('m1', 'conv_a', 1, 1, 'user', 'q', 'regulation_agent', '2026-11-30T10:00:00Z'),
       ('m2', 'conv_a', 1, 2, 'assistant', 'a', 'regulation_agent', '2026-11-30T23:59:59Z'),
       ('m3', 'conv_a', 1, 3, 'assistant', 'a', 'regulation_agent', '2026-12-01T00:00:00+09:00'),
       ('m4', 'conv_b', 2, 1, 'assistant', 'a', 'regulation_agent', '2026-12-01T00:00:01Z'),
       ('m5', 'conv_b', 2, 2, 'assistant', 'a', 'consultation_agent', '2026-12-01T05:00:00Z'),
       ('m6', 'conv_b', 2, 3, 'assistant', 'a', NULL, '2026-12-01T06:00:00Z'),
       ('m7', 'conv_b', 2, 4, 'assistant', 'a', 'consultation_agent', NULL)`,
    );
    await dataSource.runMigrations();
    const stats = await dataSource.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, agent, shard, messages, latency
       FROM agent_daily_stats ORDER BY day, agent`,
    );
    expect(stats).toEqual([
      { day: '2026-11-30', agent: 'regulation_agent', shard: 0, messages: 2, latency: {} },
      { day: '2026-12-01', agent: 'consultation_agent', shard: 0, messages: 1, latency: {} },
      { day: '2026-12-01', agent: 'regulation_agent', shard: 0, messages: 1, latency: {} },
    ]);
    const conversations = await dataSource.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, agent, conversation_id
       FROM agent_daily_conversations ORDER BY day, agent, conversation_id`,
    );
    expect(conversations).toEqual([
      { day: '2026-11-30', agent: 'regulation_agent', conversation_id: 'conv_a' },
      { day: '2026-12-01', agent: 'consultation_agent', conversation_id: 'conv_b' },
      { day: '2026-12-01', agent: 'regulation_agent', conversation_id: 'conv_b' },
    ]);
    const [{ usage }] = await dataSource.query(`SELECT usage FROM messages WHERE id = 'm2'`);
    expect(usage).toBeNull();
  });
});
