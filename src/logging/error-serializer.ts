import { QueryFailedError } from 'typeorm';

const MESSAGE_SHOWN = 300;

/**
 * What an error may say in a log line, for pino's `err` key (every logger of the process uses
 * it): its class and code, and for a database error the constraint it broke; never the SQL, its
 * parameters (message text, metadata) or the driver's own text, which quotes values.
 */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const fields: Record<string, unknown> = { type: error.constructor?.name ?? error.name };
  const driver = error instanceof QueryFailedError ? error.driverError : error;
  const { code, constraint } = driver as { code?: unknown; constraint?: unknown };
  if (typeof code === 'string' || typeof code === 'number') fields.code = code;
  if (typeof constraint === 'string') fields.constraint = constraint;
  // A statement's error and a socket's quote values or addresses: class and code say enough.
  if (error instanceof QueryFailedError || isDriverError(driver)) return fields;
  fields.message = error.message.slice(0, MESSAGE_SHOWN);
  if (error.stack) fields.stack = error.stack.split('\n').slice(1, 8).join('\n');
  return fields;
}

function isDriverError(error: unknown): boolean {
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return (
    typeof severity === 'string' || (typeof code === 'string' && /^(E[A-Z]+|\w{5})$/.test(code))
  );
}
