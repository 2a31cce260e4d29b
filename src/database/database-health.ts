import type { DataSource } from 'typeorm';
import { ServerTimeoutsError } from './data-source-options';
import { REQUIRED_EXTENSIONS, REQUIRED_INDEXES, REQUIRED_TABLES } from './schema-requirements';

export interface SchemaReport {
  tables: Record<string, boolean>;
  indexes: Record<string, boolean>;
  extensions: Record<string, boolean>;
  /** Whether pg_trgm sees Hangul as word characters (a UTF-8 `LC_CTYPE`). */
  hangulTrigrams: boolean;
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
  const extensionPresence = presence(REQUIRED_EXTENSIONS, extensions);
  return {
    tables: presence(REQUIRED_TABLES, tables),
    indexes: presence(REQUIRED_INDEXES, indexes),
    extensions: extensionPresence,
    hangulTrigrams: extensionPresence.pg_trgm ? await seesHangul(dataSource) : false,
  };
}

async function seesHangul(dataSource: DataSource): Promise<boolean> {
  const [{ count }] = await dataSource.query(
    `SELECT cardinality(show_trgm('관세율 조회')) AS count`,
  );
  return Number(count) > 0;
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

/** Errors that say the database cannot be reached or will not talk to us (boot and CLI messages). */
export function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : '';
  return (
    (typeof code === 'string' &&
      /^(E[A-Z]+|ERR_TLS_\w+|UNABLE_TO_\w+|SELF_SIGNED_\w+|DEPTH_ZERO_\w+|CERT_\w+|08\w{3}|28\w{3}|3D000|57P0\d)$/.test(
        code,
      )) ||
    /SSL|TLS|certificate|connect|timeout/i.test(message)
  );
}

/** Failures that retrying cannot fix: TLS verification, authentication, a missing database. */
export function isPermanentConnectionFailure(error: unknown): boolean {
  if (error instanceof ServerTimeoutsError) return true;
  const description = describeConnectionFailure(error);
  return /^(TLS|authentication failed|the database does not exist)/.test(description);
}

/** What went wrong, in words an operator can act on, without echoing hosts or credentials. */
export function describeConnectionFailure(error: unknown): string {
  // Names settings and the configured values only: safe to print.
  if (error instanceof ServerTimeoutsError) return error.message;
  const code = (error as { code?: string })?.code;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused: is PostgreSQL running and listening on that port?';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return 'no answer from the server (network or firewall)';
    case '28P01':
    case '28000':
      return 'authentication failed: check POSTGRES_USER and POSTGRES_PASSWORD';
    case '3D000':
      return 'the database does not exist: run npm run db:setup';
    case '42501':
      return 'permission denied: the role lacks a privilege this needs';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return "TLS refused: the server's certificate does not name POSTGRES_HOST";
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_UNTRUSTED':
      return "TLS refused: the server's certificate is not signed by the CA in POSTGRES_SSL_CA";
    case 'CERT_HAS_EXPIRED':
      return "TLS refused: the server's certificate has expired";
    default:
      if (/timeout/i.test(message))
        return 'no answer from the server within the connection timeout';
      if (/SSL|certificate/i.test(message))
        return 'TLS negotiation failed: check POSTGRES_SSL_MODE and POSTGRES_SSL_CA';
      return 'PostgreSQL is not answering';
  }
}
