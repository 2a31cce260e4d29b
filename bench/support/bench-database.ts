import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildConfig } from '../../src/config/load-config';
import { buildDataSourceOptions } from '../../src/database/data-source-options';

/** The server benchmarks use: the local one unless BENCH_POSTGRES_* say otherwise. */
export const BENCH_SERVER = {
  host: process.env.BENCH_POSTGRES_HOST ?? '127.0.0.1',
  port: Number(process.env.BENCH_POSTGRES_PORT ?? 5432),
  user: process.env.BENCH_POSTGRES_USER ?? 'postgres',
  password: process.env.BENCH_POSTGRES_PASSWORD ?? '',
};

export async function recreateDatabase(name: string): Promise<void> {
  const admin = new Client({ ...BENCH_SERVER, database: 'postgres' });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
}

export function benchConfig(
  database: string,
  extra: Record<string, string> = {},
): ReturnType<typeof buildConfig> {
  return buildConfig({
    POSTGRES_HOST: BENCH_SERVER.host,
    POSTGRES_PORT: String(BENCH_SERVER.port),
    POSTGRES_USER: BENCH_SERVER.user,
    POSTGRES_PASSWORD: BENCH_SERVER.password,
    POSTGRES_DB: database,
    POSTGRES_STATEMENT_TIMEOUT_MS: '600000',
    ...extra,
  });
}

export async function migratedDataSource(database: string): Promise<DataSource> {
  const dataSource = new DataSource({
    ...buildDataSourceOptions(benchConfig(database).postgres),
    migrationsRun: false,
  });
  await dataSource.initialize();
  await dataSource.runMigrations();
  return dataSource;
}
