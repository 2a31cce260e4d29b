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
  'cache_invalidations',
  'cache_replicas',
  'conversations',
  'event_losses',
  'idempotency_keys',
  'message_deltas',
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
