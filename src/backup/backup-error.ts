import { describeConnectionFailure, isConnectionFailure } from '../database/database-errors';

/** A failure of a backup or a drill, with a message an operator can act on (no password in it). */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/**
 * PostgreSQL's own words for an error it raised (they name objects and privileges, never
 * credentials); the fixed description for a connection failure.
 */
export function describeDatabaseError(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !isConnectionFailure(error)) {
    return `${(error as Error).message} (SQLSTATE ${code})`;
  }
  return describeConnectionFailure(error);
}
