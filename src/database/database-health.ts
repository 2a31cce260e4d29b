import type { DataSource } from 'typeorm';
import { describeConnectionFailure } from './database-errors';
import { REQUIRED_EXTENSIONS, REQUIRED_INDEXES, REQUIRED_TABLES } from './schema-requirements';

export interface SchemaReport {
  tables: Record<string, boolean>;
  indexes: Record<string, boolean>;
  extensions: Record<string, boolean>;
}

export interface DatabaseHealth {
  status: 'up' | 'down';
  latency_ms?: number;
  server_version?: string;
  schema?: SchemaReport;
  /** A fixed description of the failure: never a host, user or driver text. */
  error?: string;
}

/**
 * The seed's `database_health_check()`: connectivity, latency, server version and the required
 * schema. Never throws.
 */
export async function databaseHealthCheck(dataSource: DataSource): Promise<DatabaseHealth> {
  const started = performance.now();
  try {
    const [{ version }] = await dataSource.query(
      `SELECT current_setting('server_version') AS version`,
    );
    const latency = Math.round(performance.now() - started);
    return {
      status: 'up',
      latency_ms: latency,
      server_version: version,
      schema: await inspectSchema(dataSource),
    };
  } catch (error) {
    return { status: 'down', error: describeConnectionFailure(error) };
  }
}

export async function inspectSchema(dataSource: DataSource): Promise<SchemaReport> {
  const tables: Array<{ name: string }> = await dataSource.query(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`,
  );
  const indexes: Array<{ name: string }> = await dataSource.query(
    `SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()`,
  );
  const extensions: Array<{ name: string }> = await dataSource.query(
    `SELECT extname AS name FROM pg_extension`,
  );
  const presence = (
    required: readonly string[],
    found: Array<{ name: string }>,
  ): Record<string, boolean> =>
    Object.fromEntries(required.map((name) => [name, found.some((row) => row.name === name)]));
  return {
    tables: presence(REQUIRED_TABLES, tables),
    indexes: presence(REQUIRED_INDEXES, indexes),
    extensions: presence(REQUIRED_EXTENSIONS, extensions),
  };
}

export function missingParts(schema: SchemaReport): string[] {
  const missing = (kind: string, parts: Record<string, boolean>): string[] =>
    Object.entries(parts)
      .filter(([, present]) => !present)
      .map(([name]) => `${kind} ${name}`);
  return [
    ...missing('table', schema.tables),
    ...missing('index', schema.indexes),
    ...missing('extension', schema.extensions),
  ];
}
