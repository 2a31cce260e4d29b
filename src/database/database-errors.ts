import { HttpStatus } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';

export interface MappedDatabaseError {
  status: HttpStatus;
  message: string;
  /** Worth retrying after a pause (a 503). */
  transient: boolean;
  /** SQLSTATE or Node error code, for logs only. */
  code: string;
}

const UNAVAILABLE = 'the database is unavailable or too slow right now; retry shortly';

// SQLSTATE classes and codes where a retry can succeed: timeouts, lock waits, serialization,
// resource limits, server shutdown, lost connections.
const TRANSIENT_SQLSTATES = new Set([
  '57014',
  '55P03',
  '40001',
  '40P01',
  '25P03',
  '57P01',
  '57P02',
  '57P03',
]);
const TRANSIENT_CLASSES = new Set(['08', '53']);
const NODE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
// pg and pg-pool raise plain Errors for these, and TypeORM its own when a connection died under a
// transaction (it releases the query runner); their wording is the only signal.
const DRIVER_CONNECTION_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client has encountered a connection error|Connection is not established|Client was closed|pool is probably full|Cannot use a pool after calling end|Query runner already released/i;

/**
 * Classifies an error thrown by TypeORM or pg. Null when it is not a database error. The message
 * is fixed per class: no SQL, constraint name, value or host ever reaches a caller.
 */
export function mapDatabaseError(error: unknown): MappedDatabaseError | null {
  // Duck-typed: socket errors come from Node's core and may belong to another realm than ours.
  if (typeof error !== 'object' || error === null || typeof (error as Error).message !== 'string') {
    return null;
  }
  return classify(error as Error);
}

function classify(error: Error): MappedDatabaseError | null {
  const code = sqlState(error) ?? nodeCode(error);
  if (
    code &&
    (TRANSIENT_SQLSTATES.has(code) ||
      TRANSIENT_CLASSES.has(code.slice(0, 2)) ||
      NODE_NETWORK_CODES.has(code))
  ) {
    return { status: HttpStatus.SERVICE_UNAVAILABLE, message: UNAVAILABLE, transient: true, code };
  }
  if (DRIVER_CONNECTION_MESSAGES.test(error.message)) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      message: UNAVAILABLE,
      transient: true,
      code: 'CONNECTION',
    };
  }
  if (!(error instanceof QueryFailedError) || !code) return null;
  if (code === '23505') {
    return {
      status: HttpStatus.CONFLICT,
      message: 'the request conflicts with data already stored',
      transient: false,
      code,
    };
  }
  if (code.startsWith('22') || code === '23514' || code === '23502') {
    return {
      status: HttpStatus.BAD_REQUEST,
      message: 'a value in the request cannot be stored',
      transient: false,
      code,
    };
  }
  return null;
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
