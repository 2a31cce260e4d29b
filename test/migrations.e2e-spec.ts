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

const TREE_INDEX = MIGRATIONS.findIndex(({ name }) => name === 'MessageTree1796120293735');
const FROM_TREE = MIGRATIONS.slice(TREE_INDEX).map(({ name }) => name);

const TABLES = [
  'agent_daily_conversations',
  'agent_daily_stats',
  'cache_invalidations',
  'cache_replicas',
  'conversations',
  'event_losses',
  'idempotency_keys',
  'message_deltas',
  'message_feedback',
  'message_streams',
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

describe('the MessageTree migration (batched, resumable backfill)', () => {
  // 450 conversations (more than two batches of the migration), 0 to 8 messages each, one with a
  // gap in its seq numbers.
  async function fillLinear(dataSource: DataSource): Promise<void> {
    await dataSource.query(
      `INSERT INTO conversations (id, user_id, title, created_at, updated_at)
       SELECT 'conv_' || lpad(c::text, 4, '0'), 1 + c % 7, 't', '2026-12-01Z', '2026-12-01Z'
       FROM generate_series(1, 450) c`,
    );
    await dataSource.query(
      `INSERT INTO messages (id, conversation_id, user_id, seq, role, content, timestamp)
       SELECT 'msg_' || lpad(c::text, 4, '0') || '_' || s, 'conv_' || lpad(c::text, 4, '0'), 1 + c % 7,
              CASE WHEN c = 7 AND s > 2 THEN s + 2 ELSE s END,
              CASE WHEN s % 2 = 1 THEN 'user' ELSE 'assistant' END, 'm' || s, '2026-12-01Z'
       FROM generate_series(1, 450) c, generate_series(1, c % 9) s`,
    );
  }

  /** Every row of both tables, all columns, as text. */
  async function contents(dataSource: DataSource): Promise<string[]> {
    const rows: Array<{ row: string }> = await dataSource.query(
      `SELECT to_jsonb(t)::text AS row FROM conversations t
       UNION ALL SELECT (to_jsonb(t) - 'search_terms')::text FROM messages t ORDER BY 1`,
    );
    return rows.map((row) => row.row);
  }

  async function treeIsComplete(dataSource: DataSource): Promise<void> {
    const [state] = await dataSource.query(
      `SELECT (SELECT bool_and(indisvalid) FROM pg_index
               WHERE indexrelid IN (to_regclass('idx_messages_active_branch'), to_regclass('idx_messages_siblings'))
              ) AS indexes_valid,
              (SELECT count(*) FROM pg_index
               WHERE indexrelid IN (to_regclass('idx_messages_active_branch'), to_regclass('idx_messages_siblings'))
              )::int AS indexes,
              (SELECT convalidated FROM pg_constraint WHERE conname = 'chk_messages_depth') AS checked`,
    );
    expect(state).toEqual({ indexes_valid: true, indexes: 2, checked: true });
    const lines: Array<Record<string, unknown>> = await dataSource.query(
      `SELECT m.conversation_id, m.seq, m.parent_id, m.depth, m.on_active_branch,
              lag(m.id) OVER w AS previous, row_number() OVER w AS position,
              c.head_message_id,
              last_value(m.id) OVER (PARTITION BY m.conversation_id ORDER BY m.seq
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last
       FROM messages m JOIN conversations c ON c.id = m.conversation_id
       WINDOW w AS (PARTITION BY m.conversation_id ORDER BY m.seq)`,
    );
    expect(lines).toHaveLength(1800);
    const wrong = lines.filter(
      (row) =>
        row.parent_id !== row.previous ||
        row.depth !== Number(row.position) ||
        row.on_active_branch !== true ||
        row.head_message_id !== row.last,
    );
    expect(wrong).toEqual([]);
    const [{ empty }] = await dataSource.query(
      `SELECT count(*)::int AS empty FROM conversations c
       WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)
         AND c.head_message_id IS NULL`,
    );
    expect(empty).toBe(50);
  }

  let clean: { db: TestDatabase; dataSource: DataSource };
  let interrupted: { db: TestDatabase; dataSource: DataSource };

  beforeAll(async () => {
    const before = async (): Promise<{ db: TestDatabase; dataSource: DataSource }> => {
      const db = await createTestDatabase();
      const dataSource = await connectTo(db);
      // Back to the state before MessageTree, whatever came after it.
      for (let i = TREE_INDEX; i < MIGRATIONS.length; i += 1) await dataSource.undoLastMigration();
      await fillLinear(dataSource);
      return { db, dataSource };
    };
    clean = await before();
    interrupted = await before();
  });

  afterAll(async () => {
    for (const { db, dataSource } of [clean, interrupted]) {
      await dataSource.destroy();
      await db.drop();
    }
  });

  it('links rows written before it into one branch per conversation: parent the previous by seq, head the last', async () => {
    const applied = await clean.dataSource.runMigrations();
    expect(applied.map((migration) => migration.name)).toEqual(FROM_TREE);
    await treeIsComplete(clean.dataSource);
  });

  it('run again over its own result, changes nothing (a crash before it was recorded)', async () => {
    const before = await contents(clean.dataSource);
    const tree = MIGRATIONS[TREE_INDEX];
    const runner = clean.dataSource.createQueryRunner();
    try {
      await new tree().up(runner);
    } finally {
      await runner.release();
    }
    expect(await contents(clean.dataSource)).toEqual(before);
  });

  it('resumes an interrupted run: columns there, some batches linked, a row appended after them, an index left invalid', async () => {
    const { dataSource } = interrupted;
    // What a run killed after its first batches leaves behind, plus an older version's append.
    await dataSource.query(
      `ALTER TABLE messages ADD COLUMN parent_id varchar(50), ADD COLUMN depth integer,
         ADD COLUMN on_active_branch boolean NOT NULL DEFAULT true`,
    );
    await dataSource.query(`ALTER TABLE conversations ADD COLUMN head_message_id varchar(50)`);
    await dataSource.query(
      `ALTER TABLE messages ADD CONSTRAINT chk_messages_depth
         CHECK (depth >= 1 AND (parent_id IS NULL) = (depth = 1)) NOT VALID`,
    );
    await dataSource.query(
      `UPDATE messages m SET parent_id = l.previous, depth = l.position
       FROM (SELECT id, lag(id) OVER w AS previous, row_number() OVER w AS position FROM messages
             WHERE conversation_id < 'conv_0201' WINDOW w AS (PARTITION BY conversation_id ORDER BY seq)) l
       WHERE m.id = l.id`,
    );
    await dataSource.query(
      `UPDATE conversations c SET head_message_id =
         (SELECT id FROM messages m WHERE m.conversation_id = c.id ORDER BY seq DESC LIMIT 1)
       WHERE c.id < 'conv_0201'`,
    );
    await dataSource.query(
      `UPDATE messages SET parent_id = NULL, depth = NULL WHERE id = 'msg_0008_8';
       UPDATE conversations SET head_message_id = 'msg_0008_7' WHERE id = 'conv_0008'`,
    );
    await expect(
      dataSource.query(
        `CREATE UNIQUE INDEX CONCURRENTLY idx_messages_siblings ON messages (conversation_id)`,
      ),
    ).rejects.toThrow(/could not create unique index/);

    const applied = await dataSource.runMigrations();
    expect(applied.map((migration) => migration.name)).toEqual(FROM_TREE);
    await treeIsComplete(dataSource);
    expect(await contents(dataSource)).toEqual(await contents(clean.dataSource));
  });
});

describe('the FeedbackUsageAgentStats migration (frozen SQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await connectTo(db);
    // Back to the state before it, whatever came after it.
    const index = MIGRATIONS.findIndex(
      ({ name }) => name === 'FeedbackUsageAgentStats1796120777314',
    );
    for (let i = index; i < MIGRATIONS.length; i += 1) await dataSource.undoLastMigration();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  it("counts the assistant messages written before it into the agents' rollup", async () => {
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
