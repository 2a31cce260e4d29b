import { DataSource } from 'typeorm';
import { buildConfig } from '../src/config/load-config';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { MIGRATIONS } from '../src/database/migrations';
import { testEnvironment } from './support/test-environment';
import { createTestDatabase, type TestDatabase } from './support/test-database';

describe('migrations', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    const { postgres } = testEnvironment();
    const config = buildConfig({
      POSTGRES_HOST: postgres.host,
      POSTGRES_PORT: String(postgres.port),
      POSTGRES_USER: postgres.user,
      POSTGRES_PASSWORD: postgres.password,
      POSTGRES_DB: db.name,
      DB_MIGRATIONS_RUN: 'false',
    });
    dataSource = new DataSource(buildDataSourceOptions(config.postgres));
    await dataSource.initialize();
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
    expect(await tables()).toEqual(['conversations', 'idempotency_keys', 'messages']);
    for (let i = 0; i < MIGRATIONS.length; i += 1) await dataSource.undoLastMigration();
    expect(await tables()).toEqual([]);
    const applied = await dataSource.runMigrations();
    expect(applied.map((migration) => migration.name)).toEqual(
      MIGRATIONS.map((migration) => migration.name),
    );
    expect(await tables()).toEqual(['conversations', 'idempotency_keys', 'messages']);
  });

  it('leave nothing for a new migration to generate (entities and migrations cannot drift)', async () => {
    const sqlInMemory = await dataSource.driver.createSchemaBuilder().log();
    expect(sqlInMemory.upQueries.map((query) => query.query)).toEqual([]);
  });
});
