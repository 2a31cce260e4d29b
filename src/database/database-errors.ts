import { HttpStatus } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';

/**
 * What went wrong with the database, decided once from an error thrown by TypeORM, pg or Node's
 * sockets. Both the HTTP answer (`mapDatabaseError`) and the operator's message
 * (`describeConnectionFailure`) are read from this one classification.
 */
type FailureKind =
  // The pooled server does not enforce the configured timeouts (POSTGRES_POOLER=pgbouncer).
  | 'server-settings'
  | 'refused'
  | 'unknown-host'
  | 'no-answer'
  | 'authentication'
  | 'missing-database'
  | 'permission'
  | 'tls-name'
  | 'tls-untrusted'
  | 'tls-expired'
  | 'tls'
  // Worth retrying: the connection was lost or the server is shutting down...
  | 'lost-connection'
  // ...or the server is busy: timeouts, lock waits, serialization, resource limits.
  | 'busy'
  | 'conflict'
  | 'bad-value';

interface Classification {
  kind: FailureKind;
  /** SQLSTATE or Node error code, for logs only. */
  code: string;
}

/**
 * A pooled server that does not enforce the configured timeouts. Class 08 (connection exception):
 * a request that needed the connection answers 503, and the boot stops with this message.
 */
export class ServerTimeoutsError extends Error {
  readonly code = '08004';

  constructor(looser: string[]) {
    super(
      `POSTGRES_POOLER=pgbouncer, but the server's ${looser.join(', ')}: set them as database or role defaults (README, "PgBouncer")`,
    );
    this.name = 'ServerTimeoutsError';
  }
}

export interface MappedDatabaseError {
  status: HttpStatus;
  message: string;
  /** Worth retrying after a pause (a 503). */
  transient: boolean;
  code: string;
}

const UNAVAILABLE = 'the database is unavailable or too slow right now; retry shortly';

const BUSY_SQLSTATES = new Set(['57014', '55P03', '40001', '40P01', '25P03']);
const SHUTDOWN_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
const LOST_NODE_CODES = new Set(['ECONNRESET', 'EPIPE']);
const NODE_CODE_KINDS: Record<string, FailureKind> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'unknown-host',
  EAI_AGAIN: 'unknown-host',
  ETIMEDOUT: 'no-answer',
  EHOSTUNREACH: 'no-answer',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls-name',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls-untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'tls-untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls-untrusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls-untrusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls-untrusted',
  CERT_UNTRUSTED: 'tls-untrusted',
  CERT_HAS_EXPIRED: 'tls-expired',
};
const SQLSTATE_KINDS: Record<string, FailureKind> = {
  '28P01': 'authentication',
  '28000': 'authentication',
  '3D000': 'missing-database',
  '42501': 'permission',
  '23505': 'conflict',
  '23514': 'bad-value',
  '23502': 'bad-value',
};
// pg and pg-pool raise plain Errors for these, and TypeORM its own when a connection died under a
// transaction (it releases the query runner); their wording is the only signal.
const DRIVER_CONNECTION_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client has encountered a connection error|Connection is not established|Client was closed|pool is probably full|Cannot use a pool after calling end|Query runner already released/i;

function classify(error: unknown): Classification | null {
  if (error instanceof ServerTimeoutsError) return { kind: 'server-settings', code: error.code };
  // Duck-typed: socket errors come from Node's core and may belong to another realm than ours.
  if (typeof error !== 'object' || error === null || typeof (error as Error).message !== 'string') {
    return null;
  }
  const sqlstate = sqlState(error as Error);
  const code = sqlstate ?? nodeCode(error as Error);
  if (sqlstate) {
    if (BUSY_SQLSTATES.has(sqlstate) || sqlstate.startsWith('53'))
      return { kind: 'busy', code: sqlstate };
    if (SHUTDOWN_SQLSTATES.has(sqlstate) || sqlstate.startsWith('08')) {
      return { kind: 'lost-connection', code: sqlstate };
    }
    const kind = SQLSTATE_KINDS[sqlstate] ?? (sqlstate.startsWith('22') ? 'bad-value' : null);
    if (kind) return { kind, code: sqlstate };
  }
  if (code && NODE_CODE_KINDS[code]) return { kind: NODE_CODE_KINDS[code], code };
  if (code && LOST_NODE_CODES.has(code)) return { kind: 'lost-connection', code };
  const message = (error as Error).message;
  if (DRIVER_CONNECTION_MESSAGES.test(message))
    return { kind: 'lost-connection', code: 'CONNECTION' };
  if (/SSL|TLS|certificate/i.test(message)) return { kind: 'tls', code: code ?? 'TLS' };
  return null;
}

const CALLER_UNAVAILABLE: ReadonlySet<FailureKind> = new Set([
  'server-settings',
  'lost-connection',
  'busy',
  'refused',
  'unknown-host',
  'no-answer',
]);
const CONNECTION_KINDS: ReadonlySet<FailureKind> = new Set([
  'server-settings',
  'refused',
  'unknown-host',
  'no-answer',
  'authentication',
  'missing-database',
  'tls-name',
  'tls-untrusted',
  'tls-expired',
  'tls',
  'lost-connection',
]);

/**
 * The answer a caller gets for a database error: 503 (with Retry-After) when retrying can help,
 * 409 for a unique violation, 400 for a value the database refused. Null when it is not a database
 * error. The message is fixed per class: no SQL, constraint name, value or host ever reaches a caller.
 */
export function mapDatabaseError(error: unknown): MappedDatabaseError | null {
  const classified = classify(error);
  if (!classified) return null;
  const { kind, code } = classified;
  if (CALLER_UNAVAILABLE.has(kind)) {
    return { status: HttpStatus.SERVICE_UNAVAILABLE, message: UNAVAILABLE, transient: true, code };
  }
  // Constraint and value errors come from statements; the same codes from elsewhere are not ours.
  if (!(error instanceof QueryFailedError)) return null;
  if (kind === 'conflict') {
    return {
      status: HttpStatus.CONFLICT,
      message: 'the request conflicts with data already stored',
      transient: false,
      code,
    };
  }
  if (kind === 'bad-value') {
    return {
      status: HttpStatus.BAD_REQUEST,
      message: 'a value in the request cannot be stored',
      transient: false,
      code,
    };
  }
  return null;
}

const OPERATOR_MESSAGES: Partial<Record<FailureKind, string>> = {
  refused: 'connection refused: is PostgreSQL running and listening on that port?',
  'unknown-host': 'host name not found',
  'no-answer': 'no answer from the server (network or firewall)',
  authentication: 'authentication failed: check POSTGRES_USER and POSTGRES_PASSWORD',
  'missing-database': 'the database does not exist: run npm run db:setup',
  permission: 'permission denied: the role lacks a privilege this needs',
  'tls-name': "TLS refused: the server's certificate does not name POSTGRES_HOST",
  'tls-untrusted':
    "TLS refused: the server's certificate is not signed by the CA in POSTGRES_SSL_CA",
  'tls-expired': "TLS refused: the server's certificate has expired",
  tls: 'TLS negotiation failed: check POSTGRES_SSL_MODE and POSTGRES_SSL_CA',
};

/** What went wrong, in words an operator can act on, without echoing hosts or credentials. */
export function describeConnectionFailure(error: unknown): string {
  // Names settings and the configured values only: safe to print.
  if (error instanceof ServerTimeoutsError) return error.message;
  const classified = classify(error);
  const known = classified && OPERATOR_MESSAGES[classified.kind];
  if (known) return known;
  if (/timeout/i.test(error instanceof Error ? error.message : String(error))) {
    return 'no answer from the server within the connection timeout';
  }
  return 'PostgreSQL is not answering';
}

/** Errors that say the database cannot be reached or will not talk to us (boot and CLI messages). */
export function isConnectionFailure(error: unknown): boolean {
  const classified = classify(error);
  if (classified) return CONNECTION_KINDS.has(classified.kind);
  return /connect|timeout/i.test(error instanceof Error ? error.message : '');
}

/** Failures that retrying cannot fix: TLS verification, authentication, a missing database. */
export function isPermanentConnectionFailure(error: unknown): boolean {
  const kind = classify(error)?.kind;
  return (
    kind === 'server-settings' ||
    kind === 'authentication' ||
    kind === 'missing-database' ||
    (kind !== undefined && kind.startsWith('tls'))
  );
}

function sqlState(error: Error): string | undefined {
  const driverError = error instanceof QueryFailedError ? error.driverError : error;
  const code = (driverError as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function nodeCode(error: Error): string | undefined {
  const code =
    (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
